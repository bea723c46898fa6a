#!/usr/bin/env bash
# Installs what the browser journeys and the off-the-shelf xAPI client need: Debian's Chromium (when missing; needs
# root, as on CI) and the npm packages of e2e/ from their lockfile. Run by .ci/run, and by the browser test itself when something is missing.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser tests" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "The browser tests need Chromium: run 'sudo apt-get install chromium' and try again." >&2
    exit 1
  fi
fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ] || [ ! -d node_modules/@xapi/xapi ] || [ ! -d node_modules/@xapi/cmi5 ]; then
  npm ci --no-audit --no-fund >/dev/null
fi

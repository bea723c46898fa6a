#!/bin/sh
# The read model over HTTP on a real `lantern serve` (issue 15): an organisation's dashboard, API and page, with and
# without known_at, on the first request after a start and asked again, and the server's memory while it warms every
# organisation and once it is steady. Run it twice on the same database: the first start finds no stored layers (the
# engine builds and stores them), the second is a restart.
#
#   scripts/bench-read-model.sh DATA_DIR [ODS] [KNOWN_AT]
#
# LANTERN_BIN names the binary (default target/release/lantern); KNOWN_AT defaults to now (UTC). With
# LANTERN_LOG=info,lantern_store::read_model=debug the server logs where each build's time went; the script prints
# those lines at the end.
set -eu
BIN=${LANTERN_BIN:-target/release/lantern}
DIR=$1
ODS=${2:-RJ1}
KNOWN_AT=${3:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
PORT=${PORT:-18282}
BASE=http://127.0.0.1:$PORT
EMAIL=bench-read-model@lantern.test
PASS=bench-read-model-password
REPEATS=${REPEATS:-50}
JAR=$(mktemp)
LOG=$(mktemp)
LANTERN_PASSWORD=$PASS "$BIN" --data-dir "$DIR" user create --email "$EMAIL" --role platform_admin >/dev/null 2>&1 || true

"$BIN" --data-dir "$DIR" serve --listen 127.0.0.1:$PORT --content-listen 127.0.0.1:$((PORT + 1)) >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$JAR" "$ANON_PEAK"' EXIT
until curl -sf -o /dev/null $BASE/healthz; do
    kill -0 $PID 2>/dev/null || { echo "the server stopped:" >&2; cat "$LOG" >&2; exit 1; }
    sleep 0.05
done
echo "server $PID listening after start"
# The peak of anonymous memory (the heap) while warming, sampled every 0.2 s: VmHWM also counts the pages of the
# memory-mapped SQLite file that the builds read, which are the kernel's page cache and can be dropped.
ANON_PEAK=$(mktemp)
( peak=0; while kill -0 $PID 2>/dev/null; do
    a=$(awk '/^RssAnon/ { print $2 }' /proc/$PID/status 2>/dev/null || echo 0)
    [ "${a:-0}" -gt "$peak" ] && { peak=$a; echo "$peak" >"$ANON_PEAK"; }
    sleep 0.2
  done ) &

curl -s -c "$JAR" -b "$JAR" -o /dev/null $BASE/sign-in
CSRF=$(awk '$6 == "lantern_csrf" { print $7 }' "$JAR")
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data "csrf_token=$CSRF&email=$EMAIL&password=$PASS" $BASE/sign-in

get() { curl -s -o /dev/null -b "$JAR" -w '%{http_code} %{time_total}\n' "$1"; }
first() { printf '%-60s first: %s\n' "$1" "$(get "$BASE$1")"; }
again() {
    for _ in $(seq "$REPEATS"); do get "$BASE$1"; done | sort -k2 -n | awk -v what="$1" '
        { code[NR] = $1; t[NR] = $2 }
        END { p50 = t[int((NR - 1) * 0.5 + 1.5)]; p99 = t[int((NR - 1) * 0.99 + 1.5)];
              printf "%-60s again x%d: p50 %.1f ms p99 %.1f ms (status %s)\n", what, NR, p50 * 1000, p99 * 1000, code[1] }'
}
rss() {
    awk '/^VmRSS|^VmHWM|^RssAnon|^RssFile/ { printf "%s %.0f MB  ", $1, $2 / 1024 }' /proc/$PID/status
    printf 'RssAnon peak: %.0f MB\n' "$(($(cat "$ANON_PEAK" 2>/dev/null || echo 0) / 1024))"
}

API=/api/v1/organisations/$ODS/compliance
first "$API"
first "$API?known_at=$KNOWN_AT"
first "/orgs/$ODS"
first "/orgs/$ODS?known_at=$KNOWN_AT"
echo "memory after the first requests: $(rss)"
until grep -q "compliance indexes ready" "$LOG"; do sleep 0.5; done
grep "compliance indexes ready" "$LOG" | sed 's/\x1b\[[0-9;]*m//g'
echo "memory once every organisation is warm: $(rss)"
again "$API"
again "$API?known_at=$KNOWN_AT"
again "/orgs/$ODS"
again "/orgs/$ODS?known_at=$KNOWN_AT"
printf '%-60s %s bytes, %s links\n' "/orgs/$ODS" \
    "$(curl -s -b "$JAR" "$BASE/orgs/$ODS" | wc -c)" "$(curl -s -b "$JAR" "$BASE/orgs/$ODS" | grep -o '<a ' | wc -l)"
echo "memory at the end: $(rss)"
grep -E "roll-up restored|roll-up made" "$LOG" | sed 's/\x1b\[[0-9;]*m//g' || true

// What every browser journey shares: the environment it is run with, the demo accounts, the checks that collect
// failures (so one run reports every one), axe-core on a page, the phone-width check, signing in and out, Chromium,
// and the report at the end. Each journey script imports these; the integration tests in
// crates/lantern/tests/integration/browser.rs run the scripts against a server they start.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const BASE = process.env.BASE_URL;
export const SHOTS = process.env.SCREENSHOTS ?? 'screenshots';
export const LABEL = process.env.LABEL ?? 'run';
if (!BASE) throw new Error('BASE_URL is required');
mkdirSync(SHOTS, { recursive: true });

/// The demo world's accounts (README.md): public, they exist only there.
export const ACCOUNTS = {
  learner: ['learner@demo.lantern.test', 'learner-demo-password'],
  doctor: ['doctor@demo.lantern.test', 'doctor-demo-password'],
  manager: ['manager@demo.lantern.test', 'manager-demo-password'],
  admin: ['admin@demo.lantern.test', 'admin-demo-password'],
  auditor: ['auditor@demo.lantern.test', 'auditor-demo-password'],
  platform: ['platform@demo.lantern.test', 'platform-demo-password'],
  author: ['author@demo.lantern.test', 'author-demo-password'],
};

const failures = [];
let pagesChecked = 0;

/// Records a failure and goes on, so that one run names every problem.
export function check(condition, message) {
  if (!condition) failures.push(message);
}

/// axe-core on the current page (evaluated through the DevTools protocol, which the page's CSP does not govern,
/// so the page itself keeps its strict policy), a full-page screenshot, every breadcrumb followed (none may be
/// refused), and the 390 px check (`narrow`).
export async function audit(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(serious.length === 0, `${name}: axe found ${JSON.stringify(serious)}`);
  await page.screenshot({ path: `${SHOTS}/${LABEL}-${name}.png`, fullPage: true });
  pagesChecked += 1;
  // Breadcrumbs lead only where the caller may go: never to a 403 or a 404.
  for (const href of await page.locator('.nhsuk-breadcrumb a').evaluateAll((links) => links.map((a) => a.href))) {
    const res = await page.request.get(href, { maxRedirects: 0 });
    check(res.status() < 400, `${name}: the breadcrumb to ${href} answers ${res.status()}`);
  }
  // Every page audited must fit a phone: nothing may need sideways scrolling at 390 px.
  const size = page.viewportSize();
  await narrow(page, name, size ?? undefined);
}

/// The page at a phone's width (390 px): nothing may need sideways scrolling. Restores `width` x `height` after.
export async function narrow(page, name, { width = 1280, height = 720 } = {}) {
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  // What sticks out, so a failure says where to look.
  const over = await page.evaluate(() => [...document.querySelectorAll('main *')]
    .filter((e) => e.getBoundingClientRect().right > 391)
    .slice(0, 3)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`));
  check(wide <= 390, `${name}: fits 390 px without sideways scrolling (${wide} px wide: ${over.join(', ')})`);
  await page.setViewportSize({ width, height });
  // Let the page (and any frames in it) lay out again at the restored size before the journey acts on it.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
}

export async function signIn(page, who) {
  const [email, password] = ACCOUNTS[who];
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

export async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('.nhsuk-header__account-button')]);
  check(page.url().includes('/sign-in'), `sign-out lands on sign-in, not ${page.url()}`);
}

/// Debian's Chromium (e2e/setup.sh installs it), headless.
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/// Prints what was checked and every failure; a failure makes the process (and so the test) fail.
export function finish(what) {
  console.log(`${LABEL}: ${pagesChecked} pages checked with axe${what ? ` (${what})` : ''}, screenshots in ${SHOTS}`);
  if (failures.length > 0) {
    console.error(`${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
}

/// Signs out and in as the demo manager, and checks that My team, for this requirement (SUBJECT:LEVEL), shows the
/// demo learner (LEARNER_PERSON) in date.
export async function managerSeesInDate(page, requirement, what) {
  await signOut(page);
  await signIn(page, 'manager');
  await page.goto(`${BASE}/team?requirement=${requirement}`);
  const row = await page.locator(`tr:has(a[href$="/people/${process.env.LEARNER_PERSON}"])`).first().textContent();
  check(row.includes('OK'), `${what} is in date on the manager's team at once: ${row}`);
  await audit(page, `manager-team-${requirement.replace(/[^a-z0-9]+/g, '-')}`);
}

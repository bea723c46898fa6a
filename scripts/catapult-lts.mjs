// Runtime verification of ADL's cmi5 LMS test packages (CATAPULT lts/, see docs/cmi5.md) against a running Lantern:
// the demo learner opens an imported course's cmi5 module in headless Chromium and launches its AU; the runner waits for
// the result object the test AU displays (#result), then reads the registration's statements from Lantern's LRS and
// makes the post-execution checks of CATAPULT's lts/procedure.md for that package.
//
// Import the package first (`lantern course import-cmi5 001-essentials.zip --org RJ1 --code lts-001-essentials`) and
// make an LRS credential (`lantern lrs credentials create --org RJ1`). Then:
//
//   BASE_URL=http://127.0.0.1:18480 LRS_KEY=... LRS_SECRET=... node scripts/catapult-lts.mjs lts-001-essentials [MODE]
//
// MODE: once (default); twice (launch again in the same registration: 007-*); abandon (when the AU asks, launch it
// again in a second tab, which abandons the open session, then click on: 008-1); browse or review (launch in that
// cmi5 launch mode: 006; the page offers Review once a unit is done, so the runner sends the form with the mode). The course code's end names the
// package (lts-004-1-moveon-completed). Prints JSON (the results, the statements' verbs, failures); exits 1 on a
// failure. Each package wants a registration of its own: run it once per import (an unfinished course's next launch
// reuses its registration). playwright-core comes from e2e/node_modules (cd e2e && npm ci), Chromium from
// /usr/bin/chromium.

import { createRequire } from 'node:module';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
const { LRS_KEY, LRS_SECRET } = process.env;
const [code, mode = 'once'] = process.argv.slice(2);
if (!code || !LRS_KEY || !LRS_SECRET) {
  console.error('usage: BASE_URL=... LRS_KEY=... LRS_SECRET=... node scripts/catapult-lts.mjs COURSE_CODE [once|twice|abandon|browse|review]');
  process.exit(2);
}

const VERB = 'http://adlnet.gov/expapi/verbs/';
const ADL = 'https://w3id.org/xapi/adl/verbs/';
const CMI5 = 'https://w3id.org/xapi/cmi5/context/categories/cmi5';
const EXT = 'https://w3id.org/xapi/cmi5/context/extensions/';
const LTS = 'https://w3id.org/xapi/cmi5/catapult/lts/';

async function openModule(page) {
  await page.goto(`${BASE}/orgs/RJ1/learning/courses/${code}`);
  const start = page.locator('button:has-text("the course")');
  if (await start.count()) await Promise.all([page.waitForNavigation(), start.first().click()]);
  const next = page.locator('a.nhsuk-button:has-text("Continue")');
  if (await next.count()) await Promise.all([page.waitForNavigation(), next.first().click()]);
}

async function launch(page, launchMode = 'Normal') {
  await openModule(page);
  if (launchMode !== 'Normal') {
    await page.evaluate((m) => { document.querySelector('#launch-0').form.elements.mode.value = m; }, launchMode);
  }
  await Promise.all([page.waitForNavigation(), page.click('#launch-0')]);
  return page.url();
}

async function resultOf(page) {
  const el = page.locator('#result').first();
  await el.waitFor({ state: 'attached', timeout: 60000 });
  return JSON.parse(await el.textContent());
}

async function statementsOf(registration) {
  const auth = Buffer.from(`${LRS_KEY}:${LRS_SECRET}`).toString('base64');
  const out = [];
  let url = `${BASE}/xapi/statements?registration=${registration}&ascending=true`;
  while (url) {
    const res = await fetch(url, { headers: { Authorization: `Basic ${auth}`, 'X-Experience-API-Version': '1.0.3' } });
    if (!res.ok) throw new Error(`statements: ${res.status} ${await res.text()}`);
    const body = await res.json();
    out.push(...body.statements);
    url = body.more ? new URL(body.more, BASE).href : null;
  }
  return out;
}

// procedure.md's post-execution checks; statements are numbered from 1 as there.
function checks(pkg, st, r) {
  const fails = [];
  const ok = (cond, what) => { if (!cond) fails.push(what); };
  const s = (n) => st[n - 1] ?? {};
  const verb = (n) => s(n).verb?.id;
  const list = (n, name) => (s(n).context?.contextActivities?.[name] ?? []).map((a) => a.id);
  const ext = (n, k) => s(n).context?.extensions?.[EXT + k];
  const grouped = (n, id) => list(n, 'grouping').some((g) => g.toLowerCase() === id.toLowerCase());
  if (pkg === '001-essentials') {
    ok(st.filter((x) => x.verb.id === `${VERB}launched`).length === 1, 'one launched statement');
    ok(verb(1) === `${VERB}launched`, '1: launched');
    for (const n of [1, 5, 6]) ok(list(n, 'category').includes(CMI5), `${n}: the cmi5 category`);
    ok(ext(1, 'sessionid') === r.sessionId, '1: sessionid');
    ok(ext(1, 'masteryscore') === r.masteryScore, '1: masteryscore');
    ok(ext(1, 'launchmode') === r.launchMode, '1: launchmode');
    const a = new URL(ext(1, 'launchurl') ?? 'about:blank');
    const b = new URL(r.launchString);
    ok(a.host === b.host && a.pathname === b.pathname, '1: launchurl domain and path');
    ok(a.searchParams.get('paramA') === '1' && a.searchParams.get('paramB') === '2', '1: launchurl paramA and paramB');
    ok(ext(1, 'moveon') === r.moveOn, '1: moveon');
    ok(ext(1, 'launchparameters') === r.launchParameters, '1: launchparameters');
    for (const [n, kind] of [[5, 'block'], [6, 'course']]) {
      ok(verb(n) === `${ADL}satisfied`, `${n}: satisfied`);
      ok(s(n).object?.definition?.type === `https://w3id.org/xapi/cmi5/activitytype/${kind}`, `${n}: a ${kind}`);
      ok(s(n).object?.id !== `${LTS}${kind}/001-essentials`, `${n}: the LMS's id, not the publisher's`);
      ok(ext(n, 'sessionid') === r.sessionId, `${n}: sessionid`);
    }
    ok(grouped(5, `${LTS}block/001-essentials`), '5: the block in grouping');
    // procedure.md names the block for the sixth statement too; 004's checks name the course for the course's.
    ok(grouped(6, `${LTS}course/001-essentials`), '6: the course in grouping');
  } else if (pkg.startsWith('006-launchmode')) {
    // Not in procedure.md: the launch carries the mode asked for, and the session recorded no result.
    const asked = { browse: 'Browse', review: 'Review' }[mode];
    ok(ext(1, 'launchmode') === asked, `1: launchmode ${asked}`);
    ok(!st.some((x) => /\/(completed|passed|failed)$/.test(x.verb.id)), 'no result recorded');
  } else if (pkg === '002-allowed') {
    ok(verb(3) === `${VERB}experienced`, '3: experienced');
  } else if (pkg.startsWith('004-')) {
    const [b, c] = pkg.endsWith('notapplicable') ? [1, 2] : [4, 5];
    ok(verb(b) === `${ADL}satisfied` && verb(c) === `${ADL}satisfied`, `${b}, ${c}: satisfied`);
    ok(grouped(b, `${LTS}block/${pkg}`), `${b}: the block in grouping`);
    ok(grouped(c, `${LTS}course/${pkg}`), `${c}: the course in grouping`);
  } else if (pkg === '008-1-abandoned') {
    ok(verb(3) === `${ADL}abandoned`, '3: abandoned');
    ok(ext(3, 'sessionid') === r.session, '3: sessionid');
    ok(list(3, 'category').includes(CMI5), '3: the cmi5 category');
    ok(Boolean(s(3).result?.duration), '3: a duration');
    const actor = typeof r.actor === 'string' ? JSON.parse(r.actor) : (r.actor ?? {});
    ok(s(3).actor?.account?.name === actor.account?.name
      && s(3).actor?.account?.homePage === actor.account?.homePage, '3: the actor');
    ok(s(3).object?.id === r.activityId, '3: the AU');
    ok(s(3).context?.registration === r.registration, '3: the registration');
  }
  return fails;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
let failures = [];
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', 'learner@demo.lantern.test');
  await page.fill('#password', 'learner-demo-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  const launchMode = { browse: 'Browse', review: 'Review' }[mode] ?? 'Normal';
  const url = await launch(page, launchMode);
  if (mode === 'abandon') {
    const button = page.locator('button:has-text("abandoned")');
    await button.waitFor({ timeout: 60000 });
    const other = await context.newPage();
    await launch(other);
    await other.close();
    await button.click();
  }
  const results = [await resultOf(page)];
  if (mode === 'twice') {
    await launch(page);
    results.push(await resultOf(page));
  }
  results.forEach((r, i) => {
    if (r.success !== true || r.isError !== false) failures.push(`launch ${i + 1}: ${JSON.stringify(r)}`);
  });
  const registration = new URL(url).searchParams.get('registration');
  const statements = await statementsOf(registration);
  const pkg = code.replace(/^lts-/, '');
  failures = failures.concat(checks(pkg, statements, results[0]));
  console.log(JSON.stringify({
    code,
    registration,
    results,
    verbs: statements.map((x) => x.verb.id.split('/').pop()),
    failures,
  }, null, 1));
} finally {
  await browser.close();
}
process.exit(failures.length ? 1 : 0);

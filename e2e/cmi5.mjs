// A cmi5 course in a real browser: the demo learner opens the cmi5 module, launches its AU (a page of plain
// JavaScript following the cmi5 launch protocol, served from the content origin in a window of its own), which fetches
// its token once, reads LMS.LaunchData and sends initialized, passed, completed and terminated to Lantern's LRS; the
// learner returns to Lantern by the return URL and reviews the unit (Review mode, nothing recorded); the course is
// complete and fire safety is compliant on My training and in date on the manager's My team.
// axe-core checks every Lantern page.
//
// Usage: BASE_URL=http://127.0.0.1:PORT CONTENT_URL=http://localhost:PORT2 SCREENSHOTS=DIR node cmi5.mjs
// Run by the integration test `cmi5_course_in_chromium` (crates/lantern/tests/integration/browser.rs).

import { BASE, check, audit, signIn, launchChromium, finish, narrow, managerSeesInDate } from './common.mjs';

const CONTENT = process.env.CONTENT_URL;
if (!CONTENT) throw new Error('CONTENT_URL is required');

async function rowOf(page, text) {
  const rows = await page.locator('table tbody tr').allTextContents();
  return rows.find((r) => r.toLowerCase().includes(text.toLowerCase())) ?? '';
}

const browser = await launchChromium();

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error(`console: ${m.text()}`); });
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, 'learner');
  const before = await rowOf(page, 'Fire safety');
  check(before !== '' && !before.includes('Compliant'), `fire safety starts out of date: ${before}`);

  await page.goto(`${BASE}/orgs/RJ1/learning/courses/demo-cmi5-fire-safety`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("the course")')]);
  await Promise.all([page.waitForNavigation(), page.click('a.nhsuk-button:has-text("Continue")')]);
  check(page.url().includes('/modules/cmi5'), `the cmi5 module opens: ${page.url()}`);
  check((await page.textContent('main')).includes('Not started'), 'the AU has not been started');
  await audit(page, 'cmi5-module');
  await narrow(page, 'cmi5-module', { width: 1280, height: 900 });

  // The launch: a redirect to the AU on the content origin, with the five launch parameters.
  await Promise.all([page.waitForNavigation(), page.click('#launch-0')]);
  const launched = new URL(page.url());
  check(launched.origin === new URL(CONTENT).origin, `the AU runs on the content origin: ${launched.origin}`);
  for (const p of ['endpoint', 'fetch', 'actor', 'registration', 'activityId']) {
    check(launched.searchParams.has(p), `the launch URL has ${p}`);
  }
  await page.locator('#au-check').waitFor({ state: 'visible', timeout: 15000 });
  check((await page.locator('#au-note').textContent()).includes('answer the questions'), 'the AU is connected');
  const cookies = await page.evaluate(() => document.cookie);
  check(cookies === '', `the AU sees no cookie: ${cookies}`);
  await page.locator('label:has-text("Heat, fuel and oxygen")').click();
  await page.locator('label:has-text("Into the next fire compartment")').click();
  await page.locator('label:has-text("Carbon dioxide")').click();
  await page.locator('#au-submit').click();
  await page.locator('#au-exit').waitFor({ state: 'visible', timeout: 15000 });
  check((await page.locator('#au-result').textContent()).includes('passed'), 'the AU says passed');
  // The fetch URL is one-time: the AU's own address cannot get a second token.
  const again = await page.evaluate(async (url) => (await (await fetch(url, { method: 'POST' })).json()), launched.searchParams.get('fetch'));
  check(again['error-code'] === '1', `a second fetch is refused with error 1: ${JSON.stringify(again)}`);

  // Back to Lantern by LMS.LaunchData's returnURL.
  await Promise.all([page.waitForNavigation(), page.click('#au-exit')]);
  check(page.url().startsWith(BASE) && page.url().includes('/modules/cmi5'), `back on the module page: ${page.url()}`);
  check((await page.textContent('main')).includes('Passed'), 'the AU is passed');
  await audit(page, 'cmi5-module-passed');

  // Review (cmi5 10.2.2): the unit opens again, the AU knows the mode, marks the answers on the page and records
  // nothing; back on Lantern the unit is still passed.
  check(await page.locator('#review-0').count() === 1, 'the passed unit offers Review');
  await Promise.all([page.waitForNavigation(), page.click('#review-0')]);
  await page.locator('#au-check').waitFor({ state: 'visible', timeout: 15000 });
  check((await page.locator('#au-note').textContent()).includes('Review mode'), 'the AU is in Review mode');
  await page.locator('#au-submit').click();
  await page.locator('#au-exit').waitFor({ state: 'visible', timeout: 15000 });
  check((await page.locator('#au-note').textContent()).includes('nothing is recorded'), 'a review records nothing');
  await Promise.all([page.waitForNavigation(), page.click('#au-exit')]);
  check((await page.textContent('main')).includes('Passed'), 'the AU is still passed after a review');
  await page.click('#back-to-course');
  check((await page.textContent('main')).includes('Course complete'), 'the attempt page says the course is complete');

  await page.goto(`${BASE}/me`);
  const after = await rowOf(page, 'Fire safety');
  check(after.includes('Compliant'), `fire safety is compliant on My training: ${after}`);
  await audit(page, 'cmi5-my-training');
  await managerSeesInDate(page, 'cstf.fire_safety:1', 'fire safety');
} finally {
  await browser.close();
}

finish('cmi5');

// A cmi5 AU written with the npm package @xapi/cmi5, a real client library (e2e/cmi5-client/, packaged by the test
// with the library's browser build): the demo learner launches it from the course's cmi5 module; the library
// fetches its token, reads LMS.LaunchData and the learner preferences, and sends initialized, passed, completed and
// terminated; back on Lantern the unit is passed, the course complete and fire safety compliant.
//
// Usage: BASE_URL=http://127.0.0.1:PORT CONTENT_URL=http://localhost:PORT2 [COURSE=CODE] node cmi5-client.mjs
// Run by the integration test `cmi5_client_library_in_chromium` (crates/lantern/tests/integration/browser.rs).

import { BASE, check, audit, signIn, launchChromium, finish } from './common.mjs';

const COURSE = process.env.COURSE ?? 'e2e-cmi5-client';

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  // The library's read of the learner preferences answers 404 when none are stored, as cmi5 11 allows.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('404')) console.error(`console: ${m.text()}`); });
  await signIn(page, 'learner');
  await page.goto(`${BASE}/orgs/RJ1/learning/courses/${COURSE}`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("the course")')]);
  await Promise.all([page.waitForNavigation(), page.click('a.nhsuk-button:has-text("Continue")')]);
  check(page.url().includes('/modules/'), `the cmi5 module opens: ${page.url()}`);
  await Promise.all([page.waitForNavigation(), page.click('#launch-0')]);
  await page.locator('#finish').waitFor({ state: 'visible', timeout: 20000 });
  check((await page.locator('#note').textContent()).includes('Normal'), 'the library connected in Normal mode');
  await page.click('#finish');
  await page.locator('#back').waitFor({ state: 'visible', timeout: 20000 });
  check((await page.locator('#note').textContent()).includes('passed and completed'), 'the library sent its results');
  await Promise.all([page.waitForNavigation(), page.click('#back')]);
  check(page.url().startsWith(BASE), `back on Lantern: ${page.url()}`);
  check((await page.textContent('main')).includes('Passed'), 'the unit is passed');
  await audit(page, 'cmi5-client-module');
  await page.goto(`${BASE}/me`);
  const rows = await page.locator('table tbody tr').allTextContents();
  const fire = rows.find((r) => r.toLowerCase().includes('fire safety')) ?? '';
  check(fire.includes('Compliant'), `fire safety is compliant on My training: ${fire}`);
} finally {
  await browser.close();
}

finish('cmi5-client');

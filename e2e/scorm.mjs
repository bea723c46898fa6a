// SCORM packages in a real browser: the demo learner completes the SCORM 1.2 package and the SCORM 2004 package
// (resuming the 2004 one after a reload), and both requirements turn compliant on My training; then a hostile package
// tries to read cookies, call Lantern's API, read the Lantern page and commit with a forged token, and is stopped;
// last, the manager's My team shows both requirements in date.
// axe-core checks every Lantern page; the packages play in frames from the content origin (CONTENT_URL).
//
// Usage: BASE_URL=http://127.0.0.1:PORT CONTENT_URL=http://localhost:PORT2 SCREENSHOTS=DIR node scorm.mjs
// Run by the integration test `scorm_packages_in_chromium` (crates/lantern/tests/integration/browser.rs).

import { BASE, check, audit, signIn, launchChromium, finish, narrow as narrowAt, managerSeesInDate } from './common.mjs';

const CONTENT = process.env.CONTENT_URL;
if (!CONTENT) throw new Error('CONTENT_URL is required');

/// The page at a phone's width, back to the player's 1280 x 900 after.
const narrow = (page, name) => narrowAt(page, name, { width: 1280, height: 900 });

/// Starts (or continues) a course and opens its one package module.
async function openPackage(page, code) {
  await page.goto(`${BASE}/orgs/RJ1/learning/courses/${code}`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("the course")')]);
  await Promise.all([page.waitForNavigation(), page.click('a.nhsuk-button:has-text("Continue")')]);
  check(page.url().includes('/modules/package'), `the package module opens: ${page.url()}`);
}

const sco = (page) => page.frameLocator('iframe.lantern-package').frameLocator('#sco');
const player = (page) => page.frameLocator('iframe.lantern-package');

/// The attempt page says the course is complete (the last commit may still be on its way: look a few times).
async function courseComplete(page, name) {
  await page.click('#back-to-course');
  for (let i = 0; i < 10; i += 1) {
    if ((await page.textContent('main')).includes('Course complete')) return true;
    await page.waitForTimeout(300);
    await page.reload();
  }
  check(false, `${name}: the attempt page says the course is complete`);
  return false;
}

async function rowOf(page, text) {
  const rows = await page.locator('table tbody tr').allTextContents();
  return rows.find((r) => r.toLowerCase().includes(text.toLowerCase())) ?? '';
}

const browser = await launchChromium();

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, 'learner');
  const before = await rowOf(page, 'Health, safety and welfare');
  check(before !== '' && !before.includes('Compliant'), `health and safety starts out of date: ${before}`);

  // SCORM 1.2: one SCO with a mastery score.
  await openPackage(page, 'demo-scorm12-health-safety');
  await audit(page, 'scorm12-package');
  // The SCO's first page, then its second; a click during the frames' re-layout (after the 390 px check) is tried
  // again rather than waited on.
  for (let tries = 0; tries < 3; tries += 1) {
    await sco(page).locator('button:has-text("Next page")').first().click();
    try {
      await sco(page).locator('button:has-text("check your understanding")').waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch {
      // The click was lost: still on the first page.
    }
  }
  await sco(page).locator('button:has-text("check your understanding")').click();
  await sco(page).locator('text=Every employee, for themselves').click();
  await sco(page).locator("text=Report it through your organisation's incident reporting system").click();
  await sco(page).locator('label:has-text("COSHH 2002")').click();
  await sco(page).locator('button:has-text("Submit answers")').click();
  check((await sco(page).locator('#quiz-result').textContent()).includes('You scored 100%'), 'the 1.2 quiz is marked');
  await sco(page).locator('#quiz-finish').click();
  await courseComplete(page, 'scorm12');
  await audit(page, 'scorm12-complete');

  // SCORM 2004: two SCOs, flow from the first to the second; a reload part-way resumes on the page left.
  await openPackage(page, 'demo-scorm2004-equality');
  check((await player(page).locator('nav').textContent()).includes('Check your understanding'), 'the player lists both parts');
  await sco(page).locator('button:has-text("Next page")').click();
  await sco(page).locator('h2:has-text("Public bodies and human rights")').waitFor();
  await page.reload();
  const note = await sco(page).locator('#sco-note').textContent();
  check(note.includes('Welcome back: you are on page 2'), `the 2004 SCO resumes where it was left: ${note}`);
  check(await sco(page).locator('h2:has-text("Public bodies and human rights")').isVisible(), 'on the page left');
  await sco(page).locator('button:has-text("I have read this")').click();
  // Flow: the player goes on to the second SCO by itself.
  await sco(page).locator('text=How many protected characteristics').waitFor({ timeout: 10000 });
  await sco(page).locator('label:has-text("Nine")').click();
  await sco(page).locator('label:has-text("To make reasonable adjustments")').click();
  await sco(page).locator('label:has-text("The Human Rights Act 1998")').click();
  await sco(page).locator('button:has-text("Submit answers")').click();
  await sco(page).locator('#quiz-finish').click();
  await courseComplete(page, 'scorm2004');

  await page.goto(`${BASE}/me`);
  const hsw = await rowOf(page, 'Health, safety and welfare');
  const edhr = await rowOf(page, 'Equality, diversity and human rights');
  check(hsw.includes('Compliant'), `health and safety is compliant on My training: ${hsw}`);
  check(edhr.includes('Compliant'), `equality is compliant on My training: ${edhr}`);
  await audit(page, 'scorm-my-training');

  // A hostile package: what it found, written into its own page.
  await openPackage(page, 'hostile-package');
  const findings = sco(page).locator('#findings[data-done]');
  await findings.waitFor({ timeout: 10000 });
  const found = JSON.parse(await findings.textContent());
  check(found.cookie === '', `the package reads no cookie: ${JSON.stringify(found)}`);
  check(found.api === 'blocked', `Lantern's API is out of its reach: ${JSON.stringify(found)}`);
  check(found.page === 'blocked', `the Lantern page is out of its reach: ${JSON.stringify(found)}`);
  check(found.forged === 404, `a forged launch is refused: ${JSON.stringify(found)}`);
  check(found.origin === new URL(CONTENT).origin, `the package runs on the content origin: ${JSON.stringify(found)}`);
  await page.goto(`${BASE}/me`);
  check(page.url().endsWith('/me'), 'the learner is still signed in after the hostile package');
  await managerSeesInDate(page, 'cstf.health_safety_welfare:1', 'health and safety (SCORM 1.2)');
  await page.goto(`${BASE}/team?requirement=cstf.equality_diversity_human_rights:1`);
  const edhrTeam = await page.locator(`tr:has(a[href$="/people/${process.env.LEARNER_PERSON}"])`).first().textContent();
  check(edhrTeam.includes('OK'), `equality (SCORM 2004) is in date on the manager's team at once: ${edhrTeam}`);
} finally {
  await browser.close();
}

finish('SCORM');

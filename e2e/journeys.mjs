// Lantern's journeys in a real browser: Debian's Chromium driven by playwright-core, with axe-core run on every
// page (no serious or critical violations allowed) and a screenshot of each page kept as an artefact.
//
// Usage: BASE_URL=http://127.0.0.1:PORT SCREENSHOTS=DIR node journeys.mjs
// Run by the integration test `browser_journeys` (crates/lantern/tests/integration/browser.rs) against a server
// it starts on each backend with the demo world and its accounts.

import { readFileSync } from 'node:fs';
import { BASE, ACCOUNTS, check, audit, narrow, signIn, signOut, launchChromium, finish } from './common.mjs';

const browser = await launchChromium();

try {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const consoleErrors = [];
  // Forms answer 400 (a field to correct), 401 (a refused sign-in) or 422 (a file with problems) on purpose, as the
  // journeys provoke, and the "Page not found" page is a 404 by design; any other failed load (a missing asset, a
  // server error) is a fault.
  page.on('console', (m) => {
    const notFoundPage = page.url().endsWith('/no-such-page') && / 404 /.test(m.text());
    const expected = notFoundPage || /Failed to load resource: the server responded with a status of (400|401|422)/.test(m.text());
    if (m.type() === 'error' && !expected) consoleErrors.push(`${page.url()}: ${m.text()}`);
  });

  // Signed out: the sign-in page, and a wrong password shows the NHS.UK error summary.
  await page.goto(`${BASE}/team`);
  check(page.url().includes('/sign-in?next=%2Fteam'), `a signed-out visit goes to sign-in: ${page.url()}`);
  await audit(page, 'sign-in');
  await page.fill('#email', ACCOUNTS.learner[0]);
  await page.fill('#password', 'not the password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check(await page.locator('.nhsuk-error-summary').isVisible(), 'a wrong password shows the error summary');
  check((await page.textContent('.nhsuk-error-summary')).includes('Enter a correct email address and password'),
    'the error summary says what to do');
  await audit(page, 'sign-in-error');
  // Five wrong passwords for the auditor: their account now waits at this address (the admin clears it below).
  for (let i = 0; i < 5; i++) {
    await page.fill('#email', ACCOUNTS.auditor[0]);
    await page.fill('#password', 'not the password');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }

  // Learner: My training, then the full explanation.
  await signIn(page, 'learner');
  check(page.url().endsWith('/me'), `a learner lands on My training: ${page.url()}`);
  check((await page.textContent('h1')).includes('My training'), 'My training heading');
  check(await page.locator('table tbody tr').count() >= 10, 'every requirement is listed');
  await audit(page, 'learner-my-training');
  await Promise.all([page.waitForNavigation(), page.click('text=See the full explanation')]);
  check(await page.locator('.nhsuk-card').count() >= 10, 'the explanation has a card per requirement');
  await audit(page, 'learner-explanation');

  // Learner: the calendar of what falls due, and the link to subscribe to it (shown once).
  await page.goto(`${BASE}/me`);
  await Promise.all([page.waitForNavigation(), page.click('text=My training calendar')]);
  check(await page.locator('.lantern-calendar li').count() >= 1, 'the calendar lists what falls due');
  await audit(page, 'learner-calendar');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Make my calendar link")')]);
  check((await page.textContent('.lantern-credential-secret')).includes('/calendar/'), 'the calendar link is shown once');
  await audit(page, 'learner-calendar-link');

  // Learner: revalidation. The NMC card lists every requirement; a file that is not a PDF, PNG or JPEG is refused;
  // feedback with a signed PDF is recorded and listed with its download.
  await page.goto(`${BASE}/me`);
  check((await page.textContent('main')).includes('Practice hours'), 'the NMC card lists the practice hours');
  await Promise.all([page.waitForNavigation(), page.click('text=Record your revalidation evidence')]);
  check(page.url().endsWith('/revalidation'), `the revalidation page: ${page.url()}`);
  check((await page.textContent('h1')).includes('Revalidation'), 'the revalidation heading');
  await audit(page, 'learner-revalidation');
  await page.selectOption('#kind', 'nmc.practice_feedback');
  await page.fill('#note', "A thank-you card from a patient's family");
  await page.setInputFiles('#file', { name: 'card.html', mimeType: 'text/html', buffer: Buffer.from('<html><script>alert(1)</script></html>') });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record it")')]);
  check((await page.textContent('.nhsuk-error-summary')).includes('must be a PDF, PNG or JPEG'), 'a file of another type is refused');
  await audit(page, 'learner-revalidation-error');
  await page.setInputFiles('#file', { name: 'card.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record it")')]);
  check((await page.textContent('main')).includes('Saved: Practice-related feedback'), 'the feedback is recorded');
  check(await page.locator('a[href*="/revalidation/evidence/"][href$="/file"]').count() >= 1, 'and its file can be downloaded');
  await audit(page, 'learner-revalidation-saved');
  await signOut(page);

  // The footer's public pages, and a designed "Page not found".
  for (const [path, name] of [['/accessibility', 'accessibility-statement'], ['/privacy', 'privacy-notice']]) {
    await page.goto(`${BASE}${path}`);
    await audit(page, name);
  }
  const missing = await page.goto(`${BASE}/no-such-page`);
  check(missing.status() === 404, `an unknown page is a 404: ${missing.status()}`);
  check((await page.textContent('h1')).includes('Page not found'), 'with the designed page');
  await audit(page, 'not-found');

  // Manager: My team, filter, export, drill down.
  await signIn(page, 'manager');
  check(page.url().endsWith('/team'), `a manager lands on My team: ${page.url()}`);
  await audit(page, 'manager-team');
  // Names stay in view while the requirements scroll sideways; on a phone the team is a list of people with counts.
  const nameCell = page.locator('tbody th.lantern-name-col').first();
  const before = await nameCell.boundingBox();
  await page.locator('.lantern-matrix-scroll').evaluate((e) => { e.scrollLeft = 800; });
  const after = await nameCell.boundingBox();
  check(Math.abs(before.x - after.x) < 1, `names stay in view as the table scrolls sideways (${before.x} -> ${after.x})`);
  await page.setViewportSize({ width: 390, height: 844 });
  check(!(await page.locator('thead th.lantern-req-col').first().isVisible()), 'on a phone the requirement columns give way');
  check(await page.locator('td.lantern-summary').first().isVisible(), "on a phone each person's summary shows");
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.selectOption('#view', 'compact');
  await Promise.all([page.waitForNavigation(), page.click('text=Apply filters')]);
  check(await page.locator('table.lantern-matrix--compact').count() === 1, 'the compact layout');
  await audit(page, 'manager-team-compact');
  // The compact view saved under a name, listed above the table for next time.
  await page.click('summary:has-text("Save this view")');
  await page.fill('#view_name', 'Compact, everyone');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save the view")')]);
  check(await page.locator('.lantern-saved-views a:has-text("Compact, everyone")').count() === 1, 'a saved view is listed');
  await audit(page, 'manager-team-saved-view');
  await page.selectOption('#view', '');

  // Remind everyone shown: a confirmation (no script needed) names how many and lists them; Send records each
  // reminder and returns to the same filtered view, which then says who was reminded, when and by whom.
  await page.selectOption('#sort', 'name');
  await Promise.all([page.waitForNavigation(), page.click('text=Apply filters')]);
  const remind = page.locator('a:has-text("Remind everyone shown")');
  if (await remind.count() > 0) {
    const n = (await remind.textContent()).match(/\((\d+)\)/)[1];
    await Promise.all([page.waitForNavigation(), remind.click()]);
    check((await page.textContent('h1')).includes(`Send a reminder to ${n} `), `the confirmation names how many (${n})`);
    check(await page.locator('.lantern-remind-list > li').count() === Number(n), 'and lists each of them');
    await audit(page, 'manager-remind-confirm');
    await narrow(page, 'manager-remind-confirm');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Send")')]);
    check(page.url().includes('sort=name'), `the filter is kept after sending: ${page.url()}`);
    check((await page.textContent('main')).includes(`Reminders sent: ${n}.`), 'the team view says how many were reminded');
    check((await page.textContent('main')).includes('Last reminded'), 'and who was last reminded, by whom');
    await audit(page, 'manager-team-reminded');
  } else {
    await page.goto(`${BASE}/team/remind?sort=name`);
    check((await page.textContent('h1')).includes('Nobody to remind'), 'nobody overdue: the confirmation says so');
    await audit(page, 'manager-remind-nobody');
    await page.goto(`${BASE}/team?sort=name`);
  }
  // Assign a course to two people ticked: the form names them, asks for the course and the date, and the team view
  // then says what was assigned.
  await page.locator('input.lantern-pick').nth(0).check();
  await page.locator('input.lantern-pick').nth(1).check();
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Assign a course to those ticked")')]);
  check((await page.textContent('h1')).includes('Assign a course to 2 people'), 'the assign form names how many were ticked');
  await audit(page, 'manager-team-assign');
  const course = await page.locator('#course option').nth(1).getAttribute('value');
  await page.selectOption('#course', course);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Assign to 2 people")')]);
  check((await page.textContent('main')).includes('assigned to 2 people'), 'the team view says the course was assigned to both');
  check(page.url().includes('sort=name'), `the filter is kept after assigning: ${page.url()}`);
  await audit(page, 'manager-team-assigned');
  await page.selectOption('#status', 'compliant');
  await Promise.all([page.waitForNavigation(), page.click('text=Apply filters')]);
  check(page.url().includes('status=compliant'), 'the filter is in the URL');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download this table as CSV')]);
  const csv = readFileSync(await download.path(), 'utf8');
  check(csv.startsWith('"Employee number","Name"'), `the CSV export has its header: ${csv.slice(0, 80)}`);
  // The team's revalidation: registrants with their dates and readiness, the learner's feedback among them.
  await Promise.all([page.waitForNavigation(), page.click('text=Revalidation dates and readiness')]);
  check((await page.textContent('h1')).includes('Revalidation'), 'the team revalidation page');
  check(await page.locator('table tbody tr').count() >= 1, 'it lists the registrants');
  await audit(page, 'manager-team-revalidation');
  await page.goBack();
  await Promise.all([page.waitForNavigation(), page.click('text=What falls due in the coming weeks')]);
  check((await page.textContent('h1')).includes('What falls due'), 'the team calendar');
  await audit(page, 'manager-team-calendar');
  await page.goBack();
  await Promise.all([page.waitForNavigation(), page.locator('table tbody tr th a').first().click()]);
  check(page.url().includes('/people/'), 'drill down from the team to a person');
  check((await page.textContent('main')).includes('Reminders'), 'the person page has their reminder history');
  await audit(page, 'manager-person');
  await signOut(page);

  // Organisation admin: organisations, heatmap, a past date, a unit, a person.
  await signIn(page, 'admin');
  check((await page.textContent('h1')).includes('Organisations'), 'an admin lands on the organisations list');
  await audit(page, 'admin-organisations');
  await Promise.all([page.waitForNavigation(), page.click('a[href="/orgs/RJ1"]')]);
  check(await page.locator('.heatmap').count() === 1, 'the heatmap is drawn');
  await audit(page, 'admin-heatmap');
  // Cells are not tab stops: only the units' names (and their "below" and "Who is overdue" links) are.
  const tabStops = await page.locator('.heatmap a').count();
  const cells = await page.locator('.heatmap tbody td').count();
  check(tabStops < cells / 4, `far fewer links than cells (${tabStops} links, ${cells} cells)`);
  // The header row stays in view as the map scrolls.
  await page.locator('.lantern-heat-scroll').evaluate((e) => { e.scrollTop = 400; });
  const headTop = await page.locator('.heatmap thead th').first().evaluate((e) => e.getBoundingClientRect().top - e.closest('.lantern-heat-scroll').getBoundingClientRect().top);
  check(Math.abs(headTop) < 2, `the heatmap's header row is sticky (${headTop})`);
  await page.locator('.lantern-heat-scroll').evaluate((e) => { e.scrollTop = 0; });
  await narrow(page, 'admin-heatmap');
  await page.setViewportSize({ width: 390, height: 844 });
  check(await page.locator('.lantern-heat-list li').first().isVisible(), 'on a phone the map is a list of units');
  check(!(await page.locator('.lantern-heat-scroll').isVisible()), 'and the table gives way');
  await page.setViewportSize({ width: 1280, height: 720 });
  // A cell's "N overdue" opens those N people in the team view, which the admin may open for any unit.
  const cellLink = page.locator('.heatmap tbody tr[data-unit] td:has(small)').first();
  const said = Number((await cellLink.locator('small').textContent()).match(/^(\d+) overdue/)[1]);
  await Promise.all([page.waitForNavigation(), cellLink.click()]);
  check(page.url().includes('/team?') && page.url().includes('status=overdue'), `the cell opens the team view: ${page.url()}`);
  check((await page.textContent('#team-shown')).includes(`Showing ${said} of`), `it shows the ${said} the cell counted`);
  check(await page.locator('tbody tr').count() === said, 'one row each');
  await audit(page, 'admin-team-from-heatmap');
  await page.goBack();
  await page.fill('#as_at', '2024-03-31');
  await Promise.all([page.waitForNavigation(), page.click('.lantern-asat button[type=submit]')]);
  check(page.url().includes('as_at=2024-03-31'), 'as-at date in the URL');
  await audit(page, 'admin-heatmap-past');
  await Promise.all([page.waitForNavigation(), page.locator('.heatmap tbody a').nth(1).click()]);
  check(page.url().includes('/units/'), 'drill down from a cell to a unit');
  await audit(page, 'admin-unit');

  // Organisation admin: a new rule version (a backdated one is refused with the reason), then a bad import.
  await Promise.all([page.waitForNavigation(), page.click('.nhsuk-header__navigation-link >> text=Admin')]);
  check(page.url().endsWith('/orgs/RJ1/admin'), `Admin opens the organisation's rules: ${page.url()}`);
  await audit(page, 'admin-rules');
  // Safeguarding children level 3: the national figures, with the London reading offered as a local choice.
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("New version of Safeguarding Children level 3")')]);
  check((await page.textContent('main')).includes('London ICB reading'), 'the London reading is offered');
  await audit(page, 'admin-rule-version-readings');
  await page.goBack();
  await Promise.all([page.waitForNavigation(), page.locator('a:has-text("New version")').first().click()]);
  await audit(page, 'admin-rule-version');
  await page.fill('#effective_from', '2000-01-01');
  await page.fill('#reason', 'Risk assessment by the L&D committee');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create the new version")')]);
  check((await page.textContent('.nhsuk-error-summary')).includes('history is never edited'),
    'a backdated rule version is refused with the reason');
  await audit(page, 'admin-rule-version-error');
  await page.fill('#effective_from', '2030-01-01');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create the new version")')]);
  check((await page.textContent('main')).includes('Nothing has been saved yet'), 'a new rule version is previewed first');
  await audit(page, 'admin-rule-version-preview');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Apply this version")')]);
  check((await page.textContent('main')).includes('Saved'), 'the new version is saved');
  check((await page.textContent('main')).includes('From 2030-01-01'), 'and listed with its history');

  await Promise.all([page.waitForNavigation(), page.click('text=Add a requirement of your own')]);
  await audit(page, 'admin-local-requirement');
  await page.fill('#title', 'Medical Devices (Theatres)');
  await page.fill('#reason', 'Agreed by the Medical Devices Committee');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Show whom it makes due")')]);
  check((await page.textContent('main')).includes('Nothing has been saved yet'), 'a local requirement is previewed first');
  await audit(page, 'admin-local-requirement-preview');
  await page.goto(`${BASE}/orgs/RJ1/admin`);
  await Promise.all([page.waitForNavigation(), page.click('.lantern-tabs >> text=Import')]);
  await audit(page, 'admin-import');
  const bad = 'employee_number,assignment_number,given_name,family_name,org_code,unit_code,staff_group,job_role,patient_facing,start_date\n'
    + 'E1,E1-1,Ada,L,RJ1,D1,Nurses,Staff nurse,Y,2021-04-01\n'
    + 'E2,E2-1,Ben,O,RJ1,D1,medical_dental,Consultant,maybe,2021-13-01\n';
  await page.setInputFiles('#file', { name: 'bad-staff.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.click('button:has-text("Check and import")');
  await page.waitForSelector('text=bad-staff.csv was not imported');
  const problems = await page.locator('table tbody tr').count();
  check(problems >= 3, `every bad row and column is listed (${problems})`);
  check(await page.locator('a[download="import-problems.csv"]').count() === 1, 'the report can be downloaded');
  await audit(page, 'admin-import-errors');
  for (const [tab, name] of [['Where to do each requirement', 'admin-how-to-complete'], ['Units and people', 'admin-people'], ['Accounts', 'admin-accounts'], ['Single sign-on', 'admin-sso'], ['Learning Record Store', 'admin-lrs'], ['Sign-in locks', 'admin-locks'], ['Settings', 'admin-settings']]) {
    await Promise.all([page.waitForNavigation(), page.click(`.lantern-tabs >> text=${tab}`)]);
    await audit(page, name);
    if (name === 'admin-accounts') {
      check((await page.textContent('main')).includes('Invite your staff'), 'the accounts page offers to invite the staff list');
      // Giving a role with nothing filled in names each missing field.
      await Promise.all([page.waitForNavigation(), page.click('button:has-text("Give the role or invite")')]);
      check(await page.locator('.nhsuk-error-summary li').count() >= 2, 'an empty role form names each missing field');
      await audit(page, 'admin-accounts-errors');
    }
    if (name === 'admin-sso') {
      // An incomplete provider is refused with every missing field named.
      await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save single sign-on")')]);
      check(await page.locator('.nhsuk-error-summary li').count() >= 3, 'single sign-on names each missing field');
      await audit(page, 'admin-sso-errors');
    }
    if (name === 'admin-locks') {
      check((await page.textContent('main')).includes(ACCOUNTS.auditor[0]), 'the auditor held up by failed sign-ins is listed');
      await Promise.all([page.waitForNavigation(), page.click('button:has-text("Unlock")')]);
      check((await page.textContent('main')).includes('can sign in again'), 'unlocking says so');
      await audit(page, 'admin-locks-cleared');
    }
    if (name === 'admin-lrs') {
      // A client credential: its secret is shown once, on the page that answers the form.
      await page.fill('#credential-name', 'Fire safety e-learning (Storyline)');
      await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create credential")')]);
      check(await page.locator('.lantern-credential-secret').count() === 1, 'a new LRS credential shows its secret once');
      await audit(page, 'admin-lrs-credential');
      // A mapping with nothing chosen names what is missing.
      await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add mapping")')]);
      check(await page.locator('.nhsuk-error-summary li').count() >= 3, 'an incomplete mapping names each missing field');
      await audit(page, 'admin-lrs-mapping-errors');
      await Promise.all([page.waitForNavigation(), page.click('text=Erase a person')]);
      await audit(page, 'admin-lrs-erase');
    }
  }
  check((await page.textContent('main')).includes('Compliance target'), 'the settings page shows the target');
  check((await page.textContent('main')).includes('Days between reminders'), 'and the reminder interval');
  check(await page.locator('#time_zone option[selected]').textContent() === 'Europe/London', 'and the time zone, London by default');
  await page.selectOption('#time_zone', 'Europe/London');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save time zone")')]);
  check((await page.textContent('main')).includes('Saved: Time zone'), 'the time zone is saved');

  // Keeping records by hand: a record with its certificate on a person's page, and exemptions.
  await page.goto(`${BASE}/orgs/RJ1/people/${process.env.LEARNER_PERSON}`);
  await Promise.all([page.waitForNavigation(), page.click('text=Add a training record')]);
  await audit(page, 'admin-record-new');
  await page.check('#provider-other');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add the record")')]);
  check(await page.locator('.nhsuk-error-summary li').count() >= 3, 'an empty record form names each missing field');
  await audit(page, 'admin-record-errors');
  await page.selectOption('#requirement', { index: 1 });
  await page.check('#provider-own');
  await page.setInputFiles('#file', { name: 'certificate.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add the record")')]);
  check((await page.textContent('main')).includes('The training record is added'), 'a record entered by hand is added');
  check(await page.locator('#records ~ table a:has-text("Download")').count() >= 1, 'with its certificate to download');
  await audit(page, 'admin-person-records');
  await Promise.all([page.waitForNavigation(), page.locator('a:has-text("Correct or withdraw")').first().click()]);
  await audit(page, 'admin-record-correct');
  await page.goBack();
  await Promise.all([page.waitForNavigation(), page.click('text=Grant an exemption')]);
  await audit(page, 'admin-exemption-new');
  await page.goto(`${BASE}/orgs/RJ1/admin/exemptions`);
  await page.selectOption('#unit', { index: 1 });
  await page.selectOption('#subject', { index: 1 });
  await page.fill('#until', '2027-05-31');
  await page.fill('#reason', 'Ward closed for refurbishment');
  await page.fill('#approved_by', 'Sam Okafor, Chief Nurse');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Show who it covers")')]);
  const previewed = await page.locator('text=Check who it covers').count();
  check(previewed === 1 || (await page.locator('.nhsuk-error-summary').count()) === 1, 'a group exemption is shown before it is granted');
  await audit(page, 'admin-exemptions');
  await signOut(page);

  // Auditor: the same organisation, read-only.
  await signIn(page, 'auditor');
  await page.goto(`${BASE}/orgs/RJ1?as_at=2023-12-31`);
  check(await page.locator('.heatmap').count() === 1, 'an auditor sees the heatmap as at a past date');
  await audit(page, 'auditor-heatmap');
  await Promise.all([page.waitForNavigation(), page.click('text=Trends, the 90-day forecast')]);
  check(await page.locator('svg polyline').count() >= 10, 'the leader view draws a trend line per requirement');
  await audit(page, 'leader-trends');
  await page.goBack();
  await Promise.all([page.waitForNavigation(), page.click('text=Point-in-time report as at 2023-12-31')]);
  check((await page.textContent('h1')).includes('Compliance report as at 2023-12-31'), 'the report states its date');
  const hash = (await page.textContent('.lantern-hash')).trim();
  check(/^[0-9a-f]{64}$/.test(hash), `the report states a SHA-256 content hash: ${hash}`);
  await audit(page, 'auditor-report');
  for (const ext of ['csv', 'xlsx', 'pdf']) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`a[href*="report.${ext}?"]`)]);
    check(dl.suggestedFilename().endsWith(`2023-12-31.${ext}`), `the ${ext} download is named by its date: ${dl.suggestedFilename()}`);
    if (ext === 'csv') {
      const { createHash } = await import('node:crypto');
      const got = createHash('sha256').update(readFileSync(await dl.path())).digest('hex');
      check(got === hash, 'the downloaded CSV has the stated hash');
    }
  }
  await signOut(page);

  // Author: a question bank and a course built in the browser, previewed and published; a learner then sees it.
  await signIn(page, 'author');
  check(page.url().endsWith('/orgs/RJ1/authoring'), `an author starts at authoring: ${page.url()}`);
  await audit(page, 'author-list');
  await page.goto(`${BASE}/orgs/RJ1/authoring/bank`);
  await page.fill('#code', 'journey-bank');
  const question = async (i, stem, right, wrong) => {
    await page.fill(`#q${i}_id`, `journey-${i}`);
    await page.fill(`#q${i}_outcome`, 'raise-the-alarm');
    await page.fill(`#q${i}_stem`, stem);
    await page.fill(`#q${i}_o0_text`, right);
    await page.check(`#q${i}_o0_correct`);
    await page.fill(`#q${i}_o0_feedback`, 'Yes: everyone is warned and help comes.');
    await page.fill(`#q${i}_o1_text`, wrong);
    await page.fill(`#q${i}_explanation`, 'Regulatory Reform (Fire Safety) Order 2005.');
  };
  await question(0, 'You see smoke. What do you do first?', 'Raise the alarm', 'Look for the fire');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add a question")')]);
  check(await page.locator('#q1_stem').count() === 1, 'adding a question keeps the first and adds a second');
  await question(1, 'Who raises the alarm?', 'Whoever finds the fire', 'Only the nurse in charge');
  await audit(page, 'author-bank');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Publish")')]);
  check((await page.textContent('main')).includes('Bank journey-bank published as version 1'), 'the bank is published');
  await page.goto(`${BASE}/orgs/RJ1/authoring/course`);
  await page.fill('#code', 'journey-course');
  await page.fill('#title', 'Raising the alarm');
  await page.fill('#summary', 'What to do first when you find a fire.');
  await page.fill('#m0_title', 'The alarm');
  await page.fill('#m0_markdown', '# Raise the alarm\n\nBreak the glass at the **nearest call point**.');
  await page.waitForFunction(() => document.querySelector('#m0_live strong')?.textContent === 'nearest call point');
  check(true, 'the live preview renders the lesson as it is typed');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add an assessment")')]);
  await page.selectOption('#m1_bank', 'journey-bank');
  await page.fill('#m1_per_outcome', '2');
  await audit(page, 'author-course');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Preview")')]);
  const coursePreview = await page.textContent('main');
  check(coursePreview.includes('Raise the alarm') && coursePreview.includes('2 questions drawn from bank journey-bank'),
    'the preview shows the lesson and what the assessment draws');
  await audit(page, 'author-preview');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Publish")')]);
  check((await page.textContent('main')).includes('Raising the alarm published as version 1'), 'the course is published');
  await signOut(page);
  await signIn(page, 'learner');
  await page.goto(`${BASE}/orgs/RJ1/learning/courses/journey-course`);
  check((await page.textContent('h1')).includes('Raising the alarm'), 'the learner sees the published course');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Start the course")')]);
  check((await page.textContent('main')).includes('The alarm'), 'and starts it');
  await signOut(page);

  // Test-out: the learner's fire safety has expired (browser.rs set it up, with a course whose right answer is
  // always "b"). The admin turns test-out on for it; the learner takes the assessment first from My training's
  // pathway, passes, downloads the certificate, and is compliant at once on My training and on the manager's team.
  await signIn(page, 'admin');
  await page.goto(`${BASE}/orgs/RJ1/admin/test-out`);
  await audit(page, 'admin-test-out');
  await Promise.all([page.waitForNavigation(),
    page.click('form:has(input[name="subject"][value="cstf.fire_safety"]) button')]);
  check((await page.textContent('main')).includes('Test-out turned on'), 'test-out is turned on for fire safety');
  await signOut(page);
  await signIn(page, 'learner');
  await page.goto(`${BASE}/me`);
  check((await page.textContent('main')).includes('Your pathway'), 'My training shows the pathway');
  await audit(page, 'learner-pathway');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Take the assessment first for A fire safety renewal")')]);
  check(page.url().endsWith('/modules/check'), `test-out goes straight to the assessment: ${page.url()}`);
  await audit(page, 'learner-test-out-paper');
  for (const input of await page.locator('input[type=radio][value="b"], input[type=checkbox][value="b"]').all()) {
    await input.check({ force: true });
  }
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  check((await page.textContent('main')).includes('Passed: 100%'), 'the test-out is passed');
  await audit(page, 'learner-test-out-result');
  const [certificate] = await Promise.all([page.waitForEvent('download'), page.click('a[href$="/certificate.pdf"]')]);
  check(certificate.suggestedFilename().endsWith('.pdf'), `the certificate downloads as a PDF: ${certificate.suggestedFilename()}`);
  await page.goto(`${BASE}/me`);
  const fireRow = await page.locator('tr', { hasText: 'Fire Safety level 1' }).first().textContent();
  check(fireRow.includes('Compliant'), `fire safety is compliant on My training at once: ${fireRow}`);
  await signOut(page);
  await signIn(page, 'manager');
  await page.goto(`${BASE}/team?requirement=cstf.fire_safety:1`);
  const learnerRow = await page.locator(`tr:has(a[href$="/people/${process.env.LEARNER_PERSON}"])`).first().textContent();
  check(learnerRow.includes('OK'), `and on the manager's team: ${learnerRow}`);
  await page.goto(`${BASE}/orgs/RJ1/learning/assignments`);
  await audit(page, 'manager-assignments');
  await page.selectOption('#course', 'renewal');
  await page.selectOption('#unit', { index: 1 });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Assign the course")')]);
  check((await page.textContent('main')).includes('A fire safety renewal assigned to'), 'a course is assigned to the unit');
  await audit(page, 'manager-assignments-saved');
  await page.goto(`${BASE}/team`);
  check((await page.textContent('main')).includes('assigned courses not done'), 'My team counts assigned courses');
  await signOut(page);

  // Platform admin: a new CSTF version that differs from 1.1 only in Fire Safety (12 months instead of 24, from
  // 2025-01-01) is uploaded, previewed, applied with a transition, and explained on a person's page.
  await signIn(page, 'platform');
  await page.goto(`${BASE}/orgs/RJ1/admin/framework`);
  await audit(page, 'platform-framework');
  const cstf12 = readFileSync(new URL('../frameworks/cstf-england-1.1.toml', import.meta.url), 'utf8')
    .replace('version = "1.1"', 'version = "1.2"')
    .replace('effective_from = "2021-07-01"', 'effective_from = "2025-01-01"')
    .replace('subject = "cstf.fire_safety"\nlevel = 1\nkind = "completion"\nrefresher_months = 24',
      'subject = "cstf.fire_safety"\nlevel = 1\nkind = "completion"\nrefresher_months = 12');
  await page.setInputFiles('#file', { name: 'cstf-england-1.2.toml', mimeType: 'text/plain', buffer: Buffer.from(cstf12) });
  await page.check('#transition-until');
  await page.fill('#transition_until', '2027-03-31');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Preview")')]);
  const preview = await page.textContent('main');
  check(preview.includes('Preview: Core Skills Training Framework (England) 1.2'), 'the preview names the version');
  check(preview.includes('Nothing has been applied'), 'the preview says nothing is applied');
  check(preview.includes('Fire Safety (level 1)') && preview.includes('24 months') && preview.includes('12 months'),
    'the diff shows Fire Safety from 24 to 12 months');
  check(await page.locator('svg.lantern-change-chart rect').count() === 6, 'compliance with and without the transition is charted');
  await audit(page, 'platform-framework-preview');
  const person = await page.locator('table a[href*="/people/"]').first().getAttribute('href');
  check(person !== null, 'a record that stops counting links to its person');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Apply to every organisation")')]);
  check(page.url().includes('/orgs/RJ1/changes'), `applying lands on the changes page: ${page.url()}`);
  const changes = await page.textContent('main');
  check(changes.includes('applied to') && changes.includes('Platform admin') && changes.includes('2027-03-31'),
    'the changes page lists the change with who applied it and its transition');
  await audit(page, 'platform-changes');
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Core Skills Training Framework (England) 1.2")')]);
  await audit(page, 'platform-change');
  if (person) {
    await page.goto(`${BASE}${person}`);
    const text = await page.textContent('main');
    check(text.includes('2027-03-31'), 'the person page explains the new requirement with its transition date');
    await audit(page, 'platform-person-transition');
  }
  await signOut(page);

  check(consoleErrors.length === 0, `no console errors: ${consoleErrors.join('; ')}`);
} finally {
  await browser.close();
}

finish();

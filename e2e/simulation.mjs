// The deterioration course in Chromium, as a learner takes it: the NEWS2 lesson, then the sepsis simulation played
// in the player (the clock started at 10 times speed and paused, the observations charted with the NEWS2 that
// POST /api/v1/news2 gives for what the monitor shows, a question from the history menu, an SBAR handover, the
// Sepsis Six, one action by keyboard),
// its passing debrief with the chart, and the course showing the module complete. Then the team scenario by two
// learners at once, in two browser contexts: the nurse starts it and sends the join link, the doctor joins, each
// page follows the other's clock and actions as they happen (without losing what is being typed), each takes their
// own role's actions, and each reads their own debrief. axe on every page, and every page at 390 px.
//
// Usage: BASE_URL=http://127.0.0.1:PORT SCREENSHOTS=DIR node simulation.mjs
// Run by the integration test `the_sepsis_simulation_in_chromium` (crates/lantern/tests/integration/browser.rs).

import { BASE, check, audit, narrow, signIn, launchChromium, finish } from './common.mjs';

const browser = await launchChromium();

/// The monitor's values as POST /api/v1/news2 takes them.
async function monitorReading(page) {
  return page.evaluate(() => {
    const value = (label) => [...document.querySelectorAll('#sim-monitor .nhsuk-summary-list__row')]
      .find((r) => r.querySelector('dt').textContent.trim() === label)
      .querySelector('dd').textContent.trim();
    const spo2 = value('SpO2');
    const acvpu = { Alert: 'A', 'New confusion': 'C', 'Responds to voice': 'V', 'Responds to pain': 'P', Unresponsive: 'U' };
    return {
      respiration_rate: parseInt(value('Respiration rate'), 10),
      spo2: parseInt(spo2, 10),
      spo2_scale: document.querySelector('#sim-monitor p').textContent.includes('Scale 2') ? 2 : 1,
      on_oxygen: spo2.includes('on oxygen'),
      systolic_bp: parseInt(value('Blood pressure (systolic)'), 10),
      pulse: parseInt(value('Pulse'), 10),
      consciousness: acvpu[value('Consciousness')],
      temperature: parseFloat(value('Temperature')),
    };
  });
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

try {
  const page = await (await browser.newContext()).newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });

  await signIn(page, 'learner');
  await page.goto(`${BASE}/orgs/RJ1/learning/courses/clinical-deterioration-1`);
  check((await page.textContent('h1')).includes('Recognising and responding to deterioration'), 'the course page');
  await submit(page, 'button:has-text("Start the course")');
  const attempt = page.url();
  check(/\/learning\/attempts\/\d+$/.test(attempt), `the course starts: ${attempt}`);

  // The lesson: read at a phone's width too.
  await page.goto(`${attempt}/modules/news2`);
  check((await page.textContent('h1')).includes('NEWS2, escalation and sepsis'), 'the lesson');
  await audit(page, 'sim-course-lesson');
  await submit(page, 'button:has-text("I have read this")');

  // The simulation module opens the scenario's brief, for this module.
  await page.goto(`${attempt}/modules/sepsis-simulation`);
  check(page.url().includes('/simulations/sepsis-post-op?attempt='), `the module opens the brief: ${page.url()}`);
  check((await page.textContent('main')).includes('This simulation is a module of'), 'the brief names the course');
  await audit(page, 'sim-brief');
  await submit(page, 'button:has-text("Start the simulation")');
  check(/\/simulations\/runs\/\d+$/.test(page.url()), `the player: ${page.url()}`);
  check((await page.textContent('[data-sim-time]')).trim() === '00:00', 'a run starts paused at 00:00');
  await audit(page, 'sim-player-paused');

  // Ten times speed: the page's clock ticks on its own; then pause, to chart what the monitor shows.
  await submit(page, 'button[name=speed][value="10"]');
  check((await page.textContent('#clock-heading')).includes('running at 10 times speed'), 'the clock runs at 10x');
  await page.waitForFunction(() => document.querySelector('[data-sim-time]').textContent >= '00:30', null, { timeout: 15000 });
  await submit(page, 'button[name=speed][value=pause]');
  const paused = (await page.textContent('[data-sim-time]')).trim();
  check(paused >= '00:30' && (await page.textContent('#clock-heading')).includes('paused'), `paused at ${paused}`);

  const reading = await monitorReading(page);
  const news2 = await page.evaluate(async (body) => {
    const res = await fetch('/api/v1/news2', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': document.querySelector('input[name=csrf_token]').value },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }, reading);
  check(news2.status === 200, `POST /api/v1/news2 scores the monitor: ${JSON.stringify(news2)}`);
  await page.fill('#news2', String(news2.body.total));
  await submit(page, 'button[value=record_observations]');
  check((await page.textContent('table')).includes('Observation chart'), 'the observation chart shows the charted set');

  // Taking a history from the menu.
  await submit(page, 'button[name=question][value=pain]');
  check((await page.textContent('#sim-conversation')).includes('My tummy hurts more than yesterday'), 'the patient answers');

  // Looking at the patient, by keyboard.
  await page.focus('button[value=observe]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(await page.locator('.lantern-sim-timeline li').count() === 3, 'the keyboard action is on the timeline');

  await page.selectOption('#to', 'registrar');
  await page.fill('#situation', 'Grace Okafor, bay 3: NEWS2 rising, feels cold and shivery');
  await page.fill('#background', 'Day 2 after a laparoscopic anterior resection; type 2 diabetes');
  await page.fill('#assessment', 'I think she may be septic, possibly an anastomotic leak');
  await page.fill('#recommendation', 'Please review her within 30 minutes; I am starting the Sepsis Six');
  await submit(page, 'button[value=escalate]');
  for (const action of ['blood_cultures', 'lactate', 'antibiotics', 'fluids']) {
    await submit(page, `button[value=${action}]`);
  }
  await page.check('#target-std');
  await submit(page, 'button[value=oxygen]');
  await page.fill('#note', 'Escalated to the registrar with SBAR; Sepsis Six started');
  await submit(page, 'button[value=document]');
  check(await page.locator('.lantern-sim-timeline li').count() === 10, 'every action is on the timeline');
  await audit(page, 'sim-player-acted');

  // The debrief.
  await submit(page, 'button:has-text("I have finished")');
  const debrief = await page.textContent('main');
  check(debrief.includes('Passed:'), `the run passes: ${debrief.slice(0, 400)}`);
  check(debrief.includes('Recorded in your training: clinical.deterioration'), 'the competency is recorded');
  // Acting this early (the journey is quick), the debrief says the actions came before the patient called for them.
  check(debrief.includes('Before it was called for'), 'actions before their moment are named as such');
  check(await page.locator('svg.lantern-sim-chart').count() === 1, 'the debrief draws the vital signs');
  await audit(page, 'sim-debrief');

  // Back in the course, the simulation module is complete and the assessment is next.
  await submit(page, 'a:has-text("Back to your course")');
  check(page.url() === attempt, `back to the course: ${page.url()}`);
  const row = await page.locator('li, tr').filter({ hasText: 'Simulation: sepsis after surgery' }).first().textContent();
  check(row.includes('Completed'), `the simulation module is complete: ${row}`);
  await audit(page, 'sim-course-after');

  // The team scenario: the nurse (this learner) and the doctor, each in their own browser context.
  const doctor = await (await browser.newContext()).newPage();
  doctor.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${doctor.url()}: ${m.text()}`); });
  await signIn(doctor, 'doctor');
  await page.goto(`${BASE}/orgs/RJ1/simulations/sepsis-post-op-team`);
  await audit(page, 'sim-team-brief');
  await submit(page, 'button:has-text("Start as the registered nurse")');
  const teamRun = page.url();
  check((await page.textContent('#sim-team')).includes('waiting for a colleague to join'), 'the nurse waits for the doctor');
  check(await page.locator('button[name=speed]').count() === 0, 'no clock until both are here');
  await audit(page, 'sim-team-waiting');
  const link = await page.inputValue('#join-link');

  await doctor.goto(link);
  check((await doctor.textContent('h1')).includes('Join a colleague'), `the join link opens the invitation: ${doctor.url()}`);
  await audit(doctor, 'sim-team-join');
  await narrow(doctor, 'sim-team-join');
  await submit(doctor, 'button:has-text("Join as the foundation doctor")');
  check(doctor.url() === teamRun, `the doctor is in the nurse's run: ${doctor.url()}`);

  // The nurse's page notices the doctor has joined and offers the clock; the doctor's follows it when it starts.
  await page.waitForSelector('button[name=speed][value="10"]', { timeout: 15000 });
  await submit(page, 'button[name=speed][value="10"]');
  await doctor.waitForFunction(() => document.querySelector('#clock-heading').textContent.includes('running'), null, { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector('[data-sim-time]').textContent >= '00:30', null, { timeout: 15000 });
  await submit(page, 'button[name=speed][value=pause]');
  await doctor.waitForFunction(() => document.querySelector('#clock-heading').textContent.includes('paused'), null, { timeout: 15000 });
  check(await doctor.locator('button[value=antibiotics]').count() === 1, 'the doctor has the doctor\'s actions');
  check(await doctor.locator('button[value=record_observations]').count() === 0, 'and not the nurse\'s');
  check(await page.locator('button[value=antibiotics]').count() === 0, 'the nurse has not the doctor\'s');

  // The doctor starts a note; the nurse charts and escalates; the doctor's page takes in the nurse's actions and
  // keeps the note.
  await doctor.fill('#note', 'Reviewed after the nurse\'s call');
  const teamNews2 = await page.evaluate(async (body) => {
    const res = await fetch('/api/v1/news2', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': document.querySelector('input[name=csrf_token]').value },
      body: JSON.stringify(body),
    });
    return (await res.json()).total;
  }, await monitorReading(page));
  await page.fill('#news2', String(teamNews2));
  await submit(page, 'button[value=record_observations]');
  await page.selectOption('#to', 'ward_doctor');
  await page.fill('#situation', 'Grace Okafor, bay 3: NEWS2 rising, rigors');
  await page.fill('#background', 'Day 2 after a laparoscopic anterior resection');
  await page.fill('#assessment', 'I am worried she is septic');
  await page.fill('#recommendation', 'Please review her now');
  await submit(page, 'button[value=escalate]');
  await doctor.waitForFunction(() => (document.querySelector('#sim-timeline') || {}).textContent?.includes('Registered nurse'), null, { timeout: 15000 });
  check((await doctor.inputValue('#note')) === 'Reviewed after the nurse\'s call', 'the doctor\'s note survives the update');
  check((await doctor.textContent('#sim-timeline')).includes('Escalated to ward doctor'), 'the doctor sees the escalation');
  await audit(doctor, 'sim-team-player');
  await narrow(doctor, 'sim-team-player');

  for (const action of ['blood_cultures', 'lactate', 'antibiotics', 'fluids']) {
    await submit(doctor, `button[value=${action}]`);
  }
  await submit(doctor, 'button[value=document]');
  await page.check('#target-std');
  await submit(page, 'button[value=oxygen]');
  await page.fill('#note', 'Escalated to the ward doctor; observations hourly');
  await submit(page, 'button[value=document]');
  check(await page.locator('.lantern-sim-timeline li').count() === 9, 'one timeline for the team');

  // The nurse ends it for both; the doctor's page goes to the doctor's debrief.
  await submit(page, 'button:has-text("We have finished")');
  const nurseDebrief = await page.textContent('main');
  check(nurseDebrief.includes('This score is the registered nurse'), 'the nurse reads the nurse\'s part');
  check(nurseDebrief.includes('Passed:'), `the nurse passes: ${nurseDebrief.slice(0, 400)}`);
  await doctor.waitForFunction(() => document.querySelector('main').textContent.includes('This score is the foundation doctor'), null, { timeout: 15000 });
  check((await doctor.textContent('main')).includes('Passed:'), 'the doctor passes');
  await audit(page, 'sim-team-debrief');
  await narrow(doctor, 'sim-team-debrief');

  check(consoleErrors.length === 0, `no console errors: ${consoleErrors.join('; ')}`);
} finally {
  await browser.close();
}
finish('the deterioration course and its simulation');

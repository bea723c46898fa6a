// An off-the-shelf xAPI client (xAPI.js, the @xapi/xapi package from npm) pointed at Lantern's LRS with a Basic key:
// it exercises every resource the client knows: about, statements (one, several, voiding, queries, more), state,
// activity profiles, agent profiles, activities and agents. Run by the integration test `xapi_client`, which starts
// a server and makes the credential (BASE_URL, LRS_KEY, LRS_SECRET).
import XAPI from '@xapi/xapi';

const { BASE_URL, LRS_KEY, LRS_SECRET } = process.env;
const xapi = new XAPI({
  endpoint: `${BASE_URL}/xapi/`,
  auth: XAPI.toBasicAuth(LRS_KEY, LRS_SECRET),
  version: '1.0.3',
});

const failures = [];
let checks = 0;
function check(ok, what) {
  checks += 1;
  if (!ok) failures.push(what);
}
async function expectStatus(promise, status, what) {
  try {
    await promise;
    check(false, `${what}: expected ${status}, got success`);
  } catch (e) {
    check(e.response?.status === status, `${what}: expected ${status}, got ${e.response?.status ?? e.message}`);
  }
}

const learner = { objectType: 'Agent', name: 'Off The Shelf', mbox: 'mailto:off.the.shelf@nhs.test' };
const activity = 'https://elearning.test/xapi-js/fire-safety';
const statement = (verb) => ({
  actor: learner,
  verb: { id: `http://adlnet.gov/expapi/verbs/${verb}`, display: { 'en-GB': verb } },
  object: { objectType: 'Activity', id: activity, definition: { name: { 'en-GB': 'Fire safety (xAPI.js)' } } },
  result: { success: true, score: { scaled: 0.9 } },
});

// About.
const about = await xapi.getAbout();
check(about.data.version.includes('1.0.3'), `about lists 1.0.3: ${JSON.stringify(about.data)}`);

// Statements: one, several, read back, query, page, void.
const [one] = (await xapi.sendStatement({ statement: statement('completed') })).data;
check(typeof one === 'string' && one.length === 36, `sendStatement returns an id: ${one}`);
const many = (await xapi.sendStatements({ statements: [1, 2, 3, 4, 5].map(() => statement('experienced')) })).data;
check(many.length === 5, `sendStatements returns five ids: ${many}`);
const got = (await xapi.getStatement({ statementId: one })).data;
check(got.id === one && got.actor.mbox === learner.mbox, 'getStatement returns it');
const byAgent = (await xapi.getStatements({ agent: learner, verb: 'http://adlnet.gov/expapi/verbs/experienced', limit: 2 })).data;
check(byAgent.statements.length === 2 && byAgent.more.length > 0, `a filtered page of two with a more link: ${JSON.stringify(byAgent.more)}`);
const next = (await xapi.getMoreStatements({ more: byAgent.more })).data;
check(next.statements.length === 2, `getMoreStatements follows it: ${next.statements.length}`);
const seen = new Set([...byAgent.statements, ...next.statements].map((s) => s.id));
check(seen.size === 4, 'pages do not repeat statements');
const related = (await xapi.getStatements({ activity, related_activities: true, ascending: true })).data;
check(related.statements.length === 6 && related.statements[0].id === one, 'ascending query by activity');
await xapi.voidStatement({ actor: learner, statementId: many[0] });
const voided = (await xapi.getVoidedStatement({ voidedStatementId: many[0] })).data;
check(voided.id === many[0], 'getVoidedStatement finds the voided one');
await expectStatus(xapi.getStatement({ statementId: many[0] }), 404, 'a voided statement by statementId');

// State.
const registration = 'e6a5a6c3-5f43-4f0e-9a0e-2b6c8f6d1a11';
await xapi.setState({ agent: learner, activityId: activity, stateId: 'bookmark', state: { page: 3 }, registration });
await xapi.createState({ agent: learner, activityId: activity, stateId: 'bookmark', state: { score: 80 }, registration });
const state = (await xapi.getState({ agent: learner, activityId: activity, stateId: 'bookmark', registration })).data;
check(state.page === 3 && state.score === 80, `createState merges into the state: ${JSON.stringify(state)}`);
const stateIds = (await xapi.getStates({ agent: learner, activityId: activity, registration })).data;
check(JSON.stringify(stateIds) === '["bookmark"]', `getStates lists it: ${JSON.stringify(stateIds)}`);
await xapi.deleteState({ agent: learner, activityId: activity, stateId: 'bookmark', registration });
await expectStatus(xapi.getState({ agent: learner, activityId: activity, stateId: 'bookmark', registration }), 404, 'a deleted state');
await xapi.setState({ agent: learner, activityId: activity, stateId: 'other', state: { a: 1 } });
await xapi.deleteStates({ agent: learner, activityId: activity });
check((await xapi.getStates({ agent: learner, activityId: activity })).data.length === 0, 'deleteStates empties them');

// Activity profiles, with ETag concurrency.
await xapi.createActivityProfile({ activityId: activity, profileId: 'settings', profile: { theme: 'dark' }, etag: '*', matchHeader: 'If-None-Match' });
const profile = await xapi.getActivityProfile({ activityId: activity, profileId: 'settings' });
check(profile.data.theme === 'dark' && /^"[0-9a-f]{40}"$/.test(profile.headers.etag), `an activity profile with its ETag: ${profile.headers.etag}`);
await xapi.setActivityProfile({ activityId: activity, profileId: 'settings', profile: { theme: 'light' }, etag: profile.headers.etag, matchHeader: 'If-Match' });
await expectStatus(
  xapi.setActivityProfile({ activityId: activity, profileId: 'settings', profile: { theme: 'blue' }, etag: profile.headers.etag, matchHeader: 'If-Match' }),
  412,
  'a stale ETag',
);
check((await xapi.getActivityProfiles({ activityId: activity })).data.includes('settings'), 'getActivityProfiles lists it');
await xapi.deleteActivityProfile({ activityId: activity, profileId: 'settings' });
await expectStatus(xapi.getActivityProfile({ activityId: activity, profileId: 'settings' }), 404, 'a deleted activity profile');

// Agent profiles.
await xapi.createAgentProfile({ agent: learner, profileId: 'preferences', profile: { fontSize: 'large' }, etag: '*', matchHeader: 'If-None-Match' });
const agentProfile = await xapi.getAgentProfile({ agent: learner, profileId: 'preferences' });
check(agentProfile.data.fontSize === 'large', 'an agent profile');
check((await xapi.getAgentProfiles({ agent: learner })).data.includes('preferences'), 'getAgentProfiles lists it');
await xapi.deleteAgentProfile({ agent: learner, profileId: 'preferences', etag: agentProfile.headers.etag, matchHeader: 'If-Match' });

// Activities and agents.
const act = (await xapi.getActivity({ activityId: activity })).data;
check(act.definition?.name?.['en-GB'] === 'Fire safety (xAPI.js)', `getActivity gives the canonical definition: ${JSON.stringify(act)}`);
const person = (await xapi.getAgent({ agent: learner })).data;
check(person.objectType === 'Person' && person.mbox.includes(learner.mbox), `getAgent gives the Person: ${JSON.stringify(person)}`);

// Another organisation's credential would not see any of this; a wrong secret is refused.
const stranger = new XAPI({ endpoint: `${BASE_URL}/xapi/`, auth: XAPI.toBasicAuth(LRS_KEY, 'wrong'), version: '1.0.3' });
await expectStatus(stranger.getStatements(), 401, 'a wrong secret');

console.log(`xAPI.js: ${checks} checks`);
if (failures.length > 0) {
  console.error(`${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
  process.exit(1);
}

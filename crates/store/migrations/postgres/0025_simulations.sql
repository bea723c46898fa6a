-- Simulations: a learner's runs of a scenario. A run is its scenario (kept by digest, so an old run replays
-- against the file it was played with), a seed and its events (clock controls and actions, each with the simulated
-- second the server worked out and the wall-clock time it arrived); the engine rebuilds everything else. A run
-- ends once, with its score. All append-only.
CREATE TABLE sim_scenarios (
    digest TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL,
    body TEXT NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sim_runs (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    scenario_id TEXT NOT NULL,
    scenario_digest TEXT NOT NULL REFERENCES sim_scenarios(digest),
    seed BIGINT NOT NULL,
    -- The xAPI registration (a UUID) under which the run's statements are recorded.
    registration TEXT NOT NULL UNIQUE,
    started_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sim_runs_person ON sim_runs (person_id, scenario_id);
CREATE INDEX sim_runs_org ON sim_runs (org_id, scenario_id);

CREATE TABLE sim_events (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES sim_runs(id),
    seq BIGINT NOT NULL,
    -- 'control' (the body is a clock control) or 'action' (the body is the action).
    kind TEXT NOT NULL CHECK (kind IN ('control', 'action')),
    sim_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (run_id, seq)
);

CREATE TABLE sim_results (
    run_id BIGINT PRIMARY KEY REFERENCES sim_runs(id),
    ended_at_sim BIGINT NOT NULL,
    percent BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    score TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER sim_scenarios_append_only BEFORE UPDATE OR DELETE ON sim_scenarios
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER sim_runs_append_only BEFORE UPDATE OR DELETE ON sim_runs
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER sim_events_append_only BEFORE UPDATE OR DELETE ON sim_events
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER sim_results_append_only BEFORE UPDATE OR DELETE ON sim_results
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

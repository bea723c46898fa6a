-- Simulations: a learner's runs of a scenario. A run is its scenario (kept by digest, so an old run replays
-- against the file it was played with), a seed and its events (clock controls and actions, each with the simulated
-- second the server worked out and the wall-clock time it arrived); the engine rebuilds everything else. A run
-- ends once, with its score. All append-only.
CREATE TABLE sim_scenarios (
    digest TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL,
    body TEXT NOT NULL,
    stored_at TEXT NOT NULL
);

CREATE TABLE sim_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    scenario_id TEXT NOT NULL,
    scenario_digest TEXT NOT NULL REFERENCES sim_scenarios(digest),
    seed INTEGER NOT NULL,
    -- The xAPI registration (a UUID) under which the run's statements are recorded.
    registration TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL
);
CREATE INDEX sim_runs_person ON sim_runs (person_id, scenario_id);
CREATE INDEX sim_runs_org ON sim_runs (org_id, scenario_id);

CREATE TABLE sim_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES sim_runs(id),
    seq INTEGER NOT NULL,
    -- 'control' (the body is a clock control) or 'action' (the body is the action).
    kind TEXT NOT NULL CHECK (kind IN ('control', 'action')),
    sim_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (run_id, seq)
);

CREATE TABLE sim_results (
    run_id INTEGER PRIMARY KEY REFERENCES sim_runs(id),
    ended_at_sim INTEGER NOT NULL,
    percent INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    score TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TRIGGER sim_scenarios_append_only_update BEFORE UPDATE ON sim_scenarios BEGIN SELECT RAISE(ABORT, 'simulation scenarios are append-only'); END;
CREATE TRIGGER sim_scenarios_append_only_delete BEFORE DELETE ON sim_scenarios BEGIN SELECT RAISE(ABORT, 'simulation scenarios are append-only'); END;
CREATE TRIGGER sim_runs_append_only_update BEFORE UPDATE ON sim_runs BEGIN SELECT RAISE(ABORT, 'simulation runs are append-only'); END;
CREATE TRIGGER sim_runs_append_only_delete BEFORE DELETE ON sim_runs BEGIN SELECT RAISE(ABORT, 'simulation runs are append-only'); END;
CREATE TRIGGER sim_events_append_only_update BEFORE UPDATE ON sim_events BEGIN SELECT RAISE(ABORT, 'simulation events are append-only'); END;
CREATE TRIGGER sim_events_append_only_delete BEFORE DELETE ON sim_events BEGIN SELECT RAISE(ABORT, 'simulation events are append-only'); END;
CREATE TRIGGER sim_results_append_only_update BEFORE UPDATE ON sim_results BEGIN SELECT RAISE(ABORT, 'simulation results are append-only'); END;
CREATE TRIGGER sim_results_append_only_delete BEFORE DELETE ON sim_results BEGIN SELECT RAISE(ABORT, 'simulation results are append-only'); END;

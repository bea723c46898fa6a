-- Team simulations: a scenario with roles (a nurse and a doctor) played by several learners at once, each in one
-- role, on one patient, one clock and one timeline. The learner who starts a team run takes a role and shares its
-- join code; each colleague who joins takes another. One person per role and one role per person. Each event says
-- which role took it; when the run ends each member has their own result (their role's part and the team's shared
-- parts) beside the team's in sim_results. All append-only.
CREATE TABLE sim_team_runs (
    run_id BIGINT PRIMARY KEY REFERENCES sim_runs(id),
    -- Random, unguessable: the link a colleague joins by.
    join_code TEXT NOT NULL UNIQUE
);

CREATE TABLE sim_run_members (
    run_id BIGINT NOT NULL REFERENCES sim_team_runs(run_id),
    role TEXT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES people(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    joined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, role),
    UNIQUE (run_id, person_id)
);
CREATE INDEX sim_run_members_person ON sim_run_members (person_id);

CREATE TABLE sim_member_results (
    run_id BIGINT NOT NULL REFERENCES sim_results(run_id),
    role TEXT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES people(id),
    percent BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    score TEXT NOT NULL,
    PRIMARY KEY (run_id, role)
);

-- The role that took the event in a team run; NULL in a run one learner plays.
ALTER TABLE sim_events ADD COLUMN role TEXT;

CREATE TRIGGER sim_team_runs_append_only BEFORE UPDATE OR DELETE ON sim_team_runs
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER sim_run_members_append_only BEFORE UPDATE OR DELETE ON sim_run_members
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER sim_member_results_append_only BEFORE UPDATE OR DELETE ON sim_member_results
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

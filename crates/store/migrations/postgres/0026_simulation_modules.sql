-- A simulation played as a module of a course: the run, the attempt and the module it counts for. A run started
-- from the simulations catalogue has no row here. When such a run ends, its result is the module's state (completed
-- on a pass, not passed yet otherwise) in the same transaction. Append-only.
CREATE TABLE sim_run_modules (
    run_id BIGINT PRIMARY KEY REFERENCES sim_runs(id),
    attempt_id BIGINT NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL
);
CREATE INDEX sim_run_modules_attempt ON sim_run_modules (attempt_id, module_key);

CREATE TRIGGER sim_run_modules_append_only BEFORE UPDATE OR DELETE ON sim_run_modules
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

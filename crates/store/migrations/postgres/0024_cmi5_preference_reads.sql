-- cmi5 11.0.0.0-3: an AU reads the learner preferences (the cmi5LearnerPreferences agent profile) on startup, and
-- the LMS refuses its "initialized" until it has (ADL's cmi5 LMS test 005-1). One row per session that has read them.
CREATE TABLE cmi5_preference_reads (
    session_id BIGINT PRIMARY KEY REFERENCES cmi5_sessions(id),
    read_at TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER cmi5_preference_reads_append_only BEFORE UPDATE OR DELETE ON cmi5_preference_reads
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

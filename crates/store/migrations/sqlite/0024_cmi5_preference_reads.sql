-- cmi5 11.0.0.0-3: an AU reads the learner preferences (the cmi5LearnerPreferences agent profile) on startup, and
-- the LMS refuses its "initialized" until it has (ADL's cmi5 LMS test 005-1). One row per session that has read them.
CREATE TABLE cmi5_preference_reads (
    session_id INTEGER PRIMARY KEY REFERENCES cmi5_sessions(id),
    read_at TEXT NOT NULL
);

CREATE TRIGGER cmi5_preference_reads_append_only_update BEFORE UPDATE ON cmi5_preference_reads BEGIN SELECT RAISE(ABORT, 'cmi5 preference reads are append-only'); END;
CREATE TRIGGER cmi5_preference_reads_append_only_delete BEFORE DELETE ON cmi5_preference_reads BEGIN SELECT RAISE(ABORT, 'cmi5 preference reads are append-only'); END;

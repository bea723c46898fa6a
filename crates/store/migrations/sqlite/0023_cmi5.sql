-- cmi5 courses (issue 16): a cmi5 package is kept with the SCORM packages (files content-addressed in the same
-- blobs, the same size caps and path checks), told apart by its kind; `manifest` then holds the checked course
-- structure (cmi5.xml) as JSON. Registrations, launch sessions, one-time fetches and closures are append-only.
-- Keep in step with ../postgres/0023_cmi5.sql.

ALTER TABLE scorm_packages ADD COLUMN kind TEXT NOT NULL DEFAULT 'scorm' CHECK (kind IN ('scorm', 'cmi5'));

-- The name a person has as a cmi5 actor (cmi5 9.2: an account on the LMS, never an email address or a name): random,
-- the same in every registration.
CREATE TABLE cmi5_actors (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- A learner's enrolment in a cmi5 course (cmi5 8.1.4): one per attempt's cmi5 module, with its UUID.
CREATE TABLE cmi5_registrations (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    package_id INTEGER NOT NULL REFERENCES scorm_packages(id),
    registration TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    UNIQUE (attempt_id, module_key)
);

-- One launch of an AU: its session id (9.6.3.1), the hash of the one-time fetch token in the launch URL (8.2), and
-- the launch as JSON (what LMS.LaunchData and the session's checks are made from).
CREATE TABLE cmi5_sessions (
    id INTEGER PRIMARY KEY,
    registration_id INTEGER NOT NULL REFERENCES cmi5_registrations(id),
    au_id TEXT NOT NULL,
    session_id TEXT NOT NULL UNIQUE,
    fetch_hash TEXT NOT NULL UNIQUE,
    launch TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX cmi5_sessions_au ON cmi5_sessions (registration_id, au_id, id);

-- The fetch URL's one answer (8.2.3: one-time): the LRS credential it gave out, the secret kept as its hash. The
-- primary key makes a second fetch of the same session impossible, even two at once.
CREATE TABLE cmi5_fetches (
    session_id INTEGER PRIMARY KEY REFERENCES cmi5_sessions(id),
    auth_key TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);

-- A session's end: "terminated" from the AU, or "abandoned" by the LMS when the AU was launched again (9.3.6).
CREATE TABLE cmi5_closures (
    session_id INTEGER PRIMARY KEY REFERENCES cmi5_sessions(id),
    reason TEXT NOT NULL CHECK (reason IN ('terminated', 'abandoned')),
    closed_at TEXT NOT NULL
);

CREATE TRIGGER cmi5_actors_append_only_update BEFORE UPDATE ON cmi5_actors BEGIN SELECT RAISE(ABORT, 'cmi5 actors are append-only'); END;
CREATE TRIGGER cmi5_actors_append_only_delete BEFORE DELETE ON cmi5_actors BEGIN SELECT RAISE(ABORT, 'cmi5 actors are append-only'); END;
CREATE TRIGGER cmi5_registrations_append_only_update BEFORE UPDATE ON cmi5_registrations BEGIN SELECT RAISE(ABORT, 'cmi5 registrations are append-only'); END;
CREATE TRIGGER cmi5_registrations_append_only_delete BEFORE DELETE ON cmi5_registrations BEGIN SELECT RAISE(ABORT, 'cmi5 registrations are append-only'); END;
CREATE TRIGGER cmi5_sessions_append_only_update BEFORE UPDATE ON cmi5_sessions BEGIN SELECT RAISE(ABORT, 'cmi5 sessions are append-only'); END;
CREATE TRIGGER cmi5_sessions_append_only_delete BEFORE DELETE ON cmi5_sessions BEGIN SELECT RAISE(ABORT, 'cmi5 sessions are append-only'); END;
CREATE TRIGGER cmi5_fetches_append_only_update BEFORE UPDATE ON cmi5_fetches BEGIN SELECT RAISE(ABORT, 'cmi5 fetches are append-only'); END;
CREATE TRIGGER cmi5_fetches_append_only_delete BEFORE DELETE ON cmi5_fetches BEGIN SELECT RAISE(ABORT, 'cmi5 fetches are append-only'); END;
CREATE TRIGGER cmi5_closures_append_only_update BEFORE UPDATE ON cmi5_closures BEGIN SELECT RAISE(ABORT, 'cmi5 closures are append-only'); END;
CREATE TRIGGER cmi5_closures_append_only_delete BEFORE DELETE ON cmi5_closures BEGIN SELECT RAISE(ABORT, 'cmi5 closures are append-only'); END;

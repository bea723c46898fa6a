-- Learning delivery: courses and question banks kept as numbered versions, attempts and what happened in them.
-- Keep in step with ../postgres/0019_learning.sql. Everything here is append-only: a new version, a new attempt, a
-- new event; nothing is edited, so an attempt always shows the course version it was made on.

-- A course belongs to the organisation that authored it; `code` is stable across its versions.
CREATE TABLE courses (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, code)
);

-- Each published version: its title for listings and the whole version (modules, order, prerequisites) as JSON.
CREATE TABLE course_versions (
    id INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES courses(id),
    version INTEGER NOT NULL CHECK (version > 0),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by INTEGER REFERENCES accounts(id),
    UNIQUE (course_id, version)
);

-- The requirements a version satisfies, to find "the course for this requirement".
CREATE TABLE course_satisfies (
    course_version_id INTEGER NOT NULL REFERENCES course_versions(id),
    subject TEXT NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (course_version_id, subject, level)
);
CREATE INDEX course_satisfies_requirement ON course_satisfies (subject, level);

CREATE TABLE question_banks (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE bank_versions (
    id INTEGER PRIMARY KEY,
    bank_id INTEGER NOT NULL REFERENCES question_banks(id),
    version INTEGER NOT NULL CHECK (version > 0),
    questions TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by INTEGER REFERENCES accounts(id),
    UNIQUE (bank_id, version)
);

-- One person's go at one course version.
CREATE TABLE course_attempts (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    course_version_id INTEGER NOT NULL REFERENCES course_versions(id),
    started_at TEXT NOT NULL
);
CREATE INDEX course_attempts_person ON course_attempts (person_id, id);

-- A module's state changes within an attempt; the latest is its state.
CREATE TABLE module_events (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'completed', 'failed')),
    recorded_at TEXT NOT NULL
);
CREATE INDEX module_events_attempt ON module_events (attempt_id, id);

-- A paper drawn for an assessment module: the questions and option order shown, from one bank version. The answer
-- key stays in the bank; the deadline, when the assessment has a time limit, is enforced here.
CREATE TABLE assessment_papers (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    bank_version_id INTEGER NOT NULL REFERENCES bank_versions(id),
    paper TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    deadline TEXT
);
CREATE INDEX assessment_papers_attempt ON assessment_papers (attempt_id, module_key, id);

-- At most one submission per paper: a resubmitted or replayed form counts once.
CREATE TABLE assessment_submissions (
    paper_id INTEGER PRIMARY KEY REFERENCES assessment_papers(id),
    answers TEXT NOT NULL,
    correct INTEGER NOT NULL,
    total INTEGER NOT NULL,
    percent INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    late INTEGER NOT NULL,
    submitted_at TEXT NOT NULL
);

-- An attempt that completed its course, with the training records it made (by their evidence reference).
CREATE TABLE course_completions (
    attempt_id INTEGER PRIMARY KEY REFERENCES course_attempts(id),
    completed_at TEXT NOT NULL,
    evidence_ref TEXT NOT NULL
);

CREATE TRIGGER courses_append_only_update BEFORE UPDATE ON courses BEGIN SELECT RAISE(ABORT, 'courses are append-only'); END;
CREATE TRIGGER courses_append_only_delete BEFORE DELETE ON courses BEGIN SELECT RAISE(ABORT, 'courses are append-only'); END;
CREATE TRIGGER course_versions_append_only_update BEFORE UPDATE ON course_versions BEGIN SELECT RAISE(ABORT, 'course versions are append-only'); END;
CREATE TRIGGER course_versions_append_only_delete BEFORE DELETE ON course_versions BEGIN SELECT RAISE(ABORT, 'course versions are append-only'); END;
CREATE TRIGGER course_satisfies_append_only_update BEFORE UPDATE ON course_satisfies BEGIN SELECT RAISE(ABORT, 'course versions are append-only'); END;
CREATE TRIGGER course_satisfies_append_only_delete BEFORE DELETE ON course_satisfies BEGIN SELECT RAISE(ABORT, 'course versions are append-only'); END;
CREATE TRIGGER question_banks_append_only_update BEFORE UPDATE ON question_banks BEGIN SELECT RAISE(ABORT, 'question banks are append-only'); END;
CREATE TRIGGER question_banks_append_only_delete BEFORE DELETE ON question_banks BEGIN SELECT RAISE(ABORT, 'question banks are append-only'); END;
CREATE TRIGGER bank_versions_append_only_update BEFORE UPDATE ON bank_versions BEGIN SELECT RAISE(ABORT, 'bank versions are append-only'); END;
CREATE TRIGGER bank_versions_append_only_delete BEFORE DELETE ON bank_versions BEGIN SELECT RAISE(ABORT, 'bank versions are append-only'); END;
CREATE TRIGGER course_attempts_append_only_update BEFORE UPDATE ON course_attempts BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
CREATE TRIGGER course_attempts_append_only_delete BEFORE DELETE ON course_attempts BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
CREATE TRIGGER module_events_append_only_update BEFORE UPDATE ON module_events BEGIN SELECT RAISE(ABORT, 'module events are append-only'); END;
CREATE TRIGGER module_events_append_only_delete BEFORE DELETE ON module_events BEGIN SELECT RAISE(ABORT, 'module events are append-only'); END;
CREATE TRIGGER assessment_papers_append_only_update BEFORE UPDATE ON assessment_papers BEGIN SELECT RAISE(ABORT, 'papers are append-only'); END;
CREATE TRIGGER assessment_papers_append_only_delete BEFORE DELETE ON assessment_papers BEGIN SELECT RAISE(ABORT, 'papers are append-only'); END;
CREATE TRIGGER assessment_submissions_append_only_update BEFORE UPDATE ON assessment_submissions BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
CREATE TRIGGER assessment_submissions_append_only_delete BEFORE DELETE ON assessment_submissions BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
CREATE TRIGGER course_completions_append_only_update BEFORE UPDATE ON course_completions BEGIN SELECT RAISE(ABORT, 'completions are append-only'); END;
CREATE TRIGGER course_completions_append_only_delete BEFORE DELETE ON course_completions BEGIN SELECT RAISE(ABORT, 'completions are append-only'); END;

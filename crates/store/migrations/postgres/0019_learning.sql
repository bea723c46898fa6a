-- Learning delivery: courses and question banks kept as numbered versions, attempts and what happened in them.
-- Keep in step with ../sqlite/0019_learning.sql. Everything here is append-only: a new version, a new attempt, a
-- new event; nothing is edited, so an attempt always shows the course version it was made on.

-- A course belongs to the organisation that authored it; `code` is stable across its versions.
CREATE TABLE courses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, code)
);

-- Each published version: its title for listings and the whole version (modules, order, prerequisites) as JSON.
CREATE TABLE course_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    version BIGINT NOT NULL CHECK (version > 0),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by BIGINT REFERENCES accounts(id),
    UNIQUE (course_id, version)
);

-- The requirements a version satisfies, to find "the course for this requirement".
CREATE TABLE course_satisfies (
    course_version_id BIGINT NOT NULL REFERENCES course_versions(id),
    subject TEXT NOT NULL,
    level BIGINT NOT NULL,
    PRIMARY KEY (course_version_id, subject, level)
);
CREATE INDEX course_satisfies_requirement ON course_satisfies (subject, level);

CREATE TABLE question_banks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE bank_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bank_id BIGINT NOT NULL REFERENCES question_banks(id),
    version BIGINT NOT NULL CHECK (version > 0),
    questions TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by BIGINT REFERENCES accounts(id),
    UNIQUE (bank_id, version)
);

-- One person's go at one course version.
CREATE TABLE course_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    course_version_id BIGINT NOT NULL REFERENCES course_versions(id),
    started_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX course_attempts_person ON course_attempts (person_id, id);

-- A module's state changes within an attempt; the latest is its state.
CREATE TABLE module_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempt_id BIGINT NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'completed', 'failed')),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX module_events_attempt ON module_events (attempt_id, id);

-- A paper drawn for an assessment module: the questions and option order shown, from one bank version. The answer
-- key stays in the bank; the deadline, when the assessment has a time limit, is enforced here.
CREATE TABLE assessment_papers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempt_id BIGINT NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    bank_version_id BIGINT NOT NULL REFERENCES bank_versions(id),
    paper TEXT NOT NULL,
    drawn_at TIMESTAMPTZ NOT NULL,
    deadline TIMESTAMPTZ
);
CREATE INDEX assessment_papers_attempt ON assessment_papers (attempt_id, module_key, id);

-- At most one submission per paper: a resubmitted or replayed form counts once.
CREATE TABLE assessment_submissions (
    paper_id BIGINT PRIMARY KEY REFERENCES assessment_papers(id),
    answers TEXT NOT NULL,
    correct BIGINT NOT NULL,
    total BIGINT NOT NULL,
    percent BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    late BOOLEAN NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL
);

-- An attempt that completed its course, with the training records it made (by their evidence reference).
CREATE TABLE course_completions (
    attempt_id BIGINT PRIMARY KEY REFERENCES course_attempts(id),
    completed_at TIMESTAMPTZ NOT NULL,
    evidence_ref TEXT NOT NULL
);

CREATE TRIGGER courses_append_only BEFORE UPDATE OR DELETE ON courses
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_versions_append_only BEFORE UPDATE OR DELETE ON course_versions
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_satisfies_append_only BEFORE UPDATE OR DELETE ON course_satisfies
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER question_banks_append_only BEFORE UPDATE OR DELETE ON question_banks
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER bank_versions_append_only BEFORE UPDATE OR DELETE ON bank_versions
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_attempts_append_only BEFORE UPDATE OR DELETE ON course_attempts
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER module_events_append_only BEFORE UPDATE OR DELETE ON module_events
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER assessment_papers_append_only BEFORE UPDATE OR DELETE ON assessment_papers
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER assessment_submissions_append_only BEFORE UPDATE OR DELETE ON assessment_submissions
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_completions_append_only BEFORE UPDATE OR DELETE ON course_completions
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

-- Test-out and assignments. Keep in step with ../sqlite/0022_test_out_and_assignments.sql. Append-only, like the
-- rest of learning delivery: a setting is a new version, a cancelled assignment is a cancellation row.

-- Whether an organisation lets a person whose requirement is expiring or expired take a course's assessment first
-- (a pass renews it without the course). Versions per requirement: the latest recorded by T is the setting "as known
-- at" T. No row: off.
CREATE TABLE test_out_settings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    subject TEXT NOT NULL,
    level BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES accounts(id)
);
CREATE INDEX test_out_settings_org ON test_out_settings (org_id, recorded_at);

-- An attempt begun as a test-out (assessment first), and the requirement it tests out of.
CREATE TABLE test_out_attempts (
    attempt_id BIGINT PRIMARY KEY REFERENCES course_attempts(id),
    subject TEXT NOT NULL,
    level BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

-- A course assigned by a manager or admin to one person or to everyone in post in a unit (and the units below it),
-- to complete by a date.
CREATE TABLE course_assignments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    course_id BIGINT NOT NULL REFERENCES courses(id),
    person_id BIGINT REFERENCES people(id),
    unit_id BIGINT REFERENCES units(id),
    due_on DATE NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL,
    assigned_by BIGINT NOT NULL REFERENCES accounts(id),
    CHECK ((person_id IS NULL) <> (unit_id IS NULL))
);
CREATE INDEX course_assignments_org ON course_assignments (org_id, id);

-- A cancellation ends an assignment; the assignment itself is never edited.
CREATE TABLE course_assignment_cancellations (
    assignment_id BIGINT PRIMARY KEY REFERENCES course_assignments(id),
    cancelled_at TIMESTAMPTZ NOT NULL,
    cancelled_by BIGINT NOT NULL REFERENCES accounts(id)
);

CREATE TRIGGER test_out_settings_append_only BEFORE UPDATE OR DELETE ON test_out_settings
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER test_out_attempts_append_only BEFORE UPDATE OR DELETE ON test_out_attempts
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_assignments_append_only BEFORE UPDATE OR DELETE ON course_assignments
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_assignment_cancellations_append_only BEFORE UPDATE OR DELETE ON course_assignment_cancellations
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

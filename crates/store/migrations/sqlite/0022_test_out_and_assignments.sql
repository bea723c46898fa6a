-- Test-out and assignments. Keep in step with ../postgres/0022_test_out_and_assignments.sql. Append-only, like the
-- rest of learning delivery: a setting is a new version, a cancelled assignment is a cancellation row.

-- Whether an organisation lets a person whose requirement is expiring or expired take a course's assessment first
-- (a pass renews it without the course). Versions per requirement: the latest recorded by T is the setting "as known
-- at" T. No row: off.
CREATE TABLE test_out_settings (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    subject TEXT NOT NULL,
    level INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts(id)
);
CREATE INDEX test_out_settings_org ON test_out_settings (org_id, recorded_at);

-- An attempt begun as a test-out (assessment first), and the requirement it tests out of.
CREATE TABLE test_out_attempts (
    attempt_id INTEGER PRIMARY KEY REFERENCES course_attempts(id),
    subject TEXT NOT NULL,
    level INTEGER NOT NULL,
    recorded_at TEXT NOT NULL
);

-- A course assigned by a manager or admin to one person or to everyone in post in a unit (and the units below it),
-- to complete by a date.
CREATE TABLE course_assignments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    course_id INTEGER NOT NULL REFERENCES courses(id),
    person_id INTEGER REFERENCES people(id),
    unit_id INTEGER REFERENCES units(id),
    due_on TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    assigned_by INTEGER NOT NULL REFERENCES accounts(id),
    CHECK ((person_id IS NULL) <> (unit_id IS NULL))
);
CREATE INDEX course_assignments_org ON course_assignments (org_id, id);

-- A cancellation ends an assignment; the assignment itself is never edited.
CREATE TABLE course_assignment_cancellations (
    assignment_id INTEGER PRIMARY KEY REFERENCES course_assignments(id),
    cancelled_at TEXT NOT NULL,
    cancelled_by INTEGER NOT NULL REFERENCES accounts(id)
);

CREATE TRIGGER test_out_settings_append_only_update BEFORE UPDATE ON test_out_settings BEGIN SELECT RAISE(ABORT, 'test_out_settings is append-only: record a new version'); END;
CREATE TRIGGER test_out_settings_append_only_delete BEFORE DELETE ON test_out_settings BEGIN SELECT RAISE(ABORT, 'test_out_settings is append-only: record a new version'); END;
CREATE TRIGGER test_out_attempts_append_only_update BEFORE UPDATE ON test_out_attempts BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
CREATE TRIGGER test_out_attempts_append_only_delete BEFORE DELETE ON test_out_attempts BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
CREATE TRIGGER course_assignments_append_only_update BEFORE UPDATE ON course_assignments BEGIN SELECT RAISE(ABORT, 'assignments are append-only: cancel and assign again'); END;
CREATE TRIGGER course_assignments_append_only_delete BEFORE DELETE ON course_assignments BEGIN SELECT RAISE(ABORT, 'assignments are append-only: cancel and assign again'); END;
CREATE TRIGGER course_assignment_cancellations_append_only_update BEFORE UPDATE ON course_assignment_cancellations BEGIN SELECT RAISE(ABORT, 'cancellations are append-only'); END;
CREATE TRIGGER course_assignment_cancellations_append_only_delete BEFORE DELETE ON course_assignment_cancellations BEGIN SELECT RAISE(ABORT, 'cancellations are append-only'); END;

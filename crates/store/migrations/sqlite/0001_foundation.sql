-- Lantern foundation schema, SQLite. Dates are ISO-8601 TEXT (YYYY-MM-DD), instants are RFC 3339 TEXT in UTC, so both
-- sort as text. JSON columns are TEXT. Keep in step with ../postgres/0001_foundation.sql.

CREATE TABLE frameworks (
    code TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_text TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE competencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    framework TEXT NOT NULL,
    levels TEXT NOT NULL
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    ods_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_type TEXT NOT NULL,
    target_percent REAL NOT NULL DEFAULT 90,
    data_version INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    parent_id INTEGER REFERENCES units(id),
    site_id INTEGER REFERENCES sites(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    employee_number TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    email TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE registrations (
    person_id INTEGER NOT NULL REFERENCES people(id),
    body TEXT NOT NULL,
    number TEXT NOT NULL,
    renewal_date TEXT,
    PRIMARY KEY (person_id, body)
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    assignment_number TEXT NOT NULL,
    staff_group TEXT NOT NULL,
    job_role TEXT NOT NULL,
    band TEXT,
    specialty TEXT,
    patient_facing INTEGER NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    recorded_at TEXT NOT NULL,
    UNIQUE (org_id, assignment_number)
);
CREATE INDEX posts_person ON posts (person_id);
CREATE INDEX posts_org_unit ON posts (org_id, unit_id);

CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    framework TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    subject TEXT NOT NULL REFERENCES competencies(code),
    level INTEGER NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    refresher_months INTEGER,
    hours REAL,
    window_months INTEGER,
    applies_to TEXT NOT NULL,
    renewal_base TEXT NOT NULL,
    warning_days INTEGER NOT NULL,
    new_starter_days INTEGER NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    adjustable INTEGER NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX rules_org ON rules (org_id);

CREATE TABLE training_records (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    level INTEGER NOT NULL,
    completed_on TEXT NOT NULL,
    hours REAL,
    provider TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    provider_org_id INTEGER REFERENCES organisations(id),
    source TEXT NOT NULL,
    evidence_ref TEXT,
    recorded_at TEXT NOT NULL,
    -- A digest of the record's content: re-importing the same record changes nothing.
    content_key TEXT NOT NULL UNIQUE
);
CREATE INDEX training_records_person ON training_records (person_id);

CREATE TABLE record_supersessions (
    record_id INTEGER PRIMARY KEY REFERENCES training_records(id),
    replaced_by INTEGER REFERENCES training_records(id),
    reason TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- Records are append-only: a correction supersedes, never overwrites.
CREATE TRIGGER training_records_append_only_update BEFORE UPDATE ON training_records
BEGIN SELECT RAISE(ABORT, 'training records are append-only: supersede instead'); END;
CREATE TRIGGER training_records_append_only_delete BEFORE DELETE ON training_records
BEGIN SELECT RAISE(ABORT, 'training records are append-only: supersede instead'); END;
CREATE TRIGGER record_supersessions_append_only_update BEFORE UPDATE ON record_supersessions
BEGIN SELECT RAISE(ABORT, 'supersessions are append-only'); END;
CREATE TRIGGER record_supersessions_append_only_delete BEFORE DELETE ON record_supersessions
BEGIN SELECT RAISE(ABORT, 'supersessions are append-only'); END;

CREATE TABLE exemptions (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    reason TEXT NOT NULL,
    from_date TEXT NOT NULL,
    until_date TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX exemptions_org_person ON exemptions (org_id, person_id);

CREATE TABLE acceptance_policies (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    accepted TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX acceptance_policies_org ON acceptance_policies (org_id);

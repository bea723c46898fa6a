-- Lantern foundation schema, PostgreSQL. JSON columns are TEXT (read by the same code as SQLite).
-- Keep in step with ../sqlite/0001_foundation.sql.

CREATE TABLE frameworks (
    code TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    effective_from DATE NOT NULL,
    file_name TEXT NOT NULL,
    file_text TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE competencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    framework TEXT NOT NULL,
    levels TEXT NOT NULL
);

CREATE TABLE organisations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ods_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_type TEXT NOT NULL,
    target_percent DOUBLE PRECISION NOT NULL DEFAULT 90,
    data_version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sites (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE units (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    parent_id BIGINT REFERENCES units(id),
    site_id BIGINT REFERENCES sites(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE people (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    employee_number TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    email TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE registrations (
    person_id BIGINT NOT NULL REFERENCES people(id),
    body TEXT NOT NULL,
    number TEXT NOT NULL,
    renewal_date DATE,
    PRIMARY KEY (person_id, body)
);

CREATE TABLE posts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    assignment_number TEXT NOT NULL,
    staff_group TEXT NOT NULL,
    job_role TEXT NOT NULL,
    band TEXT,
    specialty TEXT,
    patient_facing BOOLEAN NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, assignment_number)
);
CREATE INDEX posts_person ON posts (person_id);
CREATE INDEX posts_org_unit ON posts (org_id, unit_id);

CREATE TABLE rules (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    framework TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    subject TEXT NOT NULL REFERENCES competencies(code),
    level SMALLINT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    refresher_months BIGINT,
    hours DOUBLE PRECISION,
    window_months BIGINT,
    applies_to TEXT NOT NULL,
    renewal_base TEXT NOT NULL,
    warning_days BIGINT NOT NULL,
    new_starter_days BIGINT NOT NULL,
    effective_from DATE NOT NULL,
    effective_to DATE,
    adjustable BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rules_org ON rules (org_id);

CREATE TABLE training_records (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    level SMALLINT NOT NULL,
    completed_on DATE NOT NULL,
    hours DOUBLE PRECISION,
    provider TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    provider_org_id BIGINT REFERENCES organisations(id),
    source TEXT NOT NULL,
    evidence_ref TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    -- A digest of the record's content: re-importing the same record changes nothing.
    content_key TEXT NOT NULL UNIQUE
);
CREATE INDEX training_records_person ON training_records (person_id);

CREATE TABLE record_supersessions (
    record_id BIGINT PRIMARY KEY REFERENCES training_records(id),
    replaced_by BIGINT REFERENCES training_records(id),
    reason TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

-- Records are append-only: a correction supersedes, never overwrites.
CREATE FUNCTION lantern_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: supersede instead', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER training_records_append_only BEFORE UPDATE OR DELETE ON training_records
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER record_supersessions_append_only BEFORE UPDATE OR DELETE ON record_supersessions
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

CREATE TABLE exemptions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    reason TEXT NOT NULL,
    from_date DATE NOT NULL,
    until_date DATE,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX exemptions_org_person ON exemptions (org_id, person_id);

CREATE TABLE acceptance_policies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    accepted TEXT NOT NULL,
    effective_from DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX acceptance_policies_org ON acceptance_policies (org_id);

-- no-transaction
-- (SQLite cannot drop a column that a foreign key or an index uses: `units` and `posts` are rebuilt, which needs
-- foreign-key enforcement off outside a transaction. The rebuild itself is one transaction and keeps every id.)
--
-- Every fact an answer depends on is kept as recorded versions, never updated in place, so that "as Lantern knew
-- it at T" (`known_at`) can always be answered exactly:
-- * a unit is its identity (organisation and code) plus versions of its name, kind, site and parent;
-- * a post is its identity (person, organisation, assignment number) plus versions of everything else, its unit
--   and end date included;
-- * an organisation's compliance target is a list of versions;
-- * a rule version no longer stores when it stops: it is in force until the next version of the same requirement
--   known at the time takes effect, so closing it needs no update.
-- The versions tables are append-only (triggers). `current_units` and `current_posts` show the latest version of each.
-- Existing rows become each fact's first recorded version, recorded when it was last written.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE units_new (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, code)
);
INSERT INTO units_new (id, org_id, code, created_at)
    SELECT u.id, u.org_id, u.code, o.created_at FROM units u JOIN organisations o ON o.id = u.org_id;
CREATE TABLE unit_versions (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    parent_id INTEGER REFERENCES units(id),
    site_id INTEGER REFERENCES sites(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
INSERT INTO unit_versions (unit_id, org_id, parent_id, site_id, name, kind, recorded_at)
    SELECT u.id, u.org_id, u.parent_id, u.site_id, u.name, u.kind, o.created_at
    FROM units u JOIN organisations o ON o.id = u.org_id ORDER BY u.id;
DROP TABLE units;
ALTER TABLE units_new RENAME TO units;
CREATE INDEX unit_versions_unit ON unit_versions (unit_id, recorded_at);
CREATE INDEX unit_versions_org ON unit_versions (org_id);

CREATE TABLE posts_new (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    assignment_number TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, assignment_number)
);
INSERT INTO posts_new (id, person_id, org_id, assignment_number, created_at)
    SELECT id, person_id, org_id, assignment_number, recorded_at FROM posts;
CREATE TABLE post_versions (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
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
    recorded_at TEXT NOT NULL
);
INSERT INTO post_versions (post_id, person_id, org_id, unit_id, assignment_number, staff_group, job_role, band,
        specialty, patient_facing, start_date, end_date, recorded_at)
    SELECT id, person_id, org_id, unit_id, assignment_number, staff_group, job_role, band, specialty, patient_facing,
        start_date, end_date, recorded_at
    FROM posts ORDER BY id;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX posts_person_org ON posts (person_id, org_id);
CREATE INDEX post_versions_post ON post_versions (post_id, recorded_at);
CREATE INDEX post_versions_org_unit ON post_versions (org_id, unit_id);
CREATE INDEX post_versions_person_org ON post_versions (person_id, org_id);

CREATE TABLE organisation_targets (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    target_percent REAL NOT NULL,
    recorded_at TEXT NOT NULL
);
INSERT INTO organisation_targets (org_id, target_percent, recorded_at)
    SELECT id, target_percent, created_at FROM organisations ORDER BY id;
CREATE INDEX organisation_targets_org ON organisation_targets (org_id, recorded_at);
ALTER TABLE organisations DROP COLUMN target_percent;

ALTER TABLE rules DROP COLUMN effective_to;

-- The latest recorded version of each unit and post (ties on the instant go to the later row).
CREATE VIEW current_units AS
    SELECT u.id, u.org_id, u.code, v.parent_id, v.site_id, v.name, v.kind, v.recorded_at
    FROM units u JOIN unit_versions v ON v.unit_id = u.id
    WHERE NOT EXISTS (SELECT 1 FROM unit_versions n WHERE n.unit_id = v.unit_id
        AND (n.recorded_at > v.recorded_at OR (n.recorded_at = v.recorded_at AND n.id > v.id)));
CREATE VIEW current_posts AS
    SELECT v.post_id AS id, v.person_id, v.org_id, v.unit_id, v.assignment_number, v.staff_group, v.job_role, v.band,
        v.specialty, v.patient_facing, v.start_date, v.end_date, v.recorded_at
    FROM post_versions v
    WHERE NOT EXISTS (SELECT 1 FROM post_versions n WHERE n.post_id = v.post_id
        AND (n.recorded_at > v.recorded_at OR (n.recorded_at = v.recorded_at AND n.id > v.id)));

CREATE TRIGGER unit_versions_append_only_update BEFORE UPDATE ON unit_versions
BEGIN SELECT RAISE(ABORT, 'unit_versions is append-only: record a new version'); END;
CREATE TRIGGER unit_versions_append_only_delete BEFORE DELETE ON unit_versions
BEGIN SELECT RAISE(ABORT, 'unit_versions is append-only: record a new version'); END;
CREATE TRIGGER post_versions_append_only_update BEFORE UPDATE ON post_versions
BEGIN SELECT RAISE(ABORT, 'post_versions is append-only: record a new version'); END;
CREATE TRIGGER post_versions_append_only_delete BEFORE DELETE ON post_versions
BEGIN SELECT RAISE(ABORT, 'post_versions is append-only: record a new version'); END;
CREATE TRIGGER units_identity_update BEFORE UPDATE ON units
BEGIN SELECT RAISE(ABORT, 'units is append-only: record a new version'); END;
CREATE TRIGGER posts_identity_update BEFORE UPDATE ON posts
BEGIN SELECT RAISE(ABORT, 'posts is append-only: record a new version'); END;
CREATE TRIGGER organisation_targets_append_only_update BEFORE UPDATE ON organisation_targets
BEGIN SELECT RAISE(ABORT, 'organisation_targets is append-only: record a new version'); END;
CREATE TRIGGER organisation_targets_append_only_delete BEFORE DELETE ON organisation_targets
BEGIN SELECT RAISE(ABORT, 'organisation_targets is append-only: record a new version'); END;
CREATE TRIGGER rules_append_only_update BEFORE UPDATE ON rules
BEGIN SELECT RAISE(ABORT, 'rules is append-only: add a rule version'); END;
CREATE TRIGGER rules_append_only_delete BEFORE DELETE ON rules
BEGIN SELECT RAISE(ABORT, 'rules is append-only: add a rule version'); END;
CREATE TRIGGER exemptions_append_only_update BEFORE UPDATE ON exemptions
BEGIN SELECT RAISE(ABORT, 'exemptions is append-only'); END;
CREATE TRIGGER exemptions_append_only_delete BEFORE DELETE ON exemptions
BEGIN SELECT RAISE(ABORT, 'exemptions is append-only'); END;
CREATE TRIGGER acceptance_policies_append_only_update BEFORE UPDATE ON acceptance_policies
BEGIN SELECT RAISE(ABORT, 'acceptance_policies is append-only: add a policy version'); END;
CREATE TRIGGER acceptance_policies_append_only_delete BEFORE DELETE ON acceptance_policies
BEGIN SELECT RAISE(ABORT, 'acceptance_policies is append-only: add a policy version'); END;

COMMIT;
PRAGMA foreign_keys = ON;

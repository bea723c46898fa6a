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

CREATE TABLE unit_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    parent_id BIGINT REFERENCES units(id),
    site_id BIGINT REFERENCES sites(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
INSERT INTO unit_versions (unit_id, org_id, parent_id, site_id, name, kind, recorded_at)
    SELECT u.id, u.org_id, u.parent_id, u.site_id, u.name, u.kind, o.created_at
    FROM units u JOIN organisations o ON o.id = u.org_id ORDER BY u.id;
ALTER TABLE units ADD COLUMN created_at TIMESTAMPTZ;
UPDATE units u SET created_at = o.created_at FROM organisations o WHERE o.id = u.org_id;
ALTER TABLE units ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE units DROP COLUMN parent_id, DROP COLUMN site_id, DROP COLUMN name, DROP COLUMN kind;
CREATE INDEX unit_versions_unit ON unit_versions (unit_id, recorded_at);
CREATE INDEX unit_versions_org ON unit_versions (org_id);

CREATE TABLE post_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id),
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
    recorded_at TIMESTAMPTZ NOT NULL
);
INSERT INTO post_versions (post_id, person_id, org_id, unit_id, assignment_number, staff_group, job_role, band,
        specialty, patient_facing, start_date, end_date, recorded_at)
    SELECT id, person_id, org_id, unit_id, assignment_number, staff_group, job_role, band, specialty, patient_facing,
        start_date, end_date, recorded_at
    FROM posts ORDER BY id;
ALTER TABLE posts RENAME COLUMN recorded_at TO created_at;
DROP INDEX posts_org_unit;
ALTER TABLE posts DROP COLUMN unit_id, DROP COLUMN staff_group, DROP COLUMN job_role, DROP COLUMN band,
    DROP COLUMN specialty, DROP COLUMN patient_facing, DROP COLUMN start_date, DROP COLUMN end_date;
CREATE INDEX post_versions_post ON post_versions (post_id, recorded_at);
CREATE INDEX post_versions_org_unit ON post_versions (org_id, unit_id);
CREATE INDEX post_versions_person_org ON post_versions (person_id, org_id);

CREATE TABLE organisation_targets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    target_percent DOUBLE PRECISION NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
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

CREATE FUNCTION lantern_versions_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: record a new version', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER unit_versions_append_only BEFORE UPDATE OR DELETE ON unit_versions
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();
CREATE TRIGGER post_versions_append_only BEFORE UPDATE OR DELETE ON post_versions
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();
CREATE TRIGGER units_identity_only BEFORE UPDATE ON units
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();
CREATE TRIGGER posts_identity_only BEFORE UPDATE ON posts
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();
CREATE TRIGGER organisation_targets_append_only BEFORE UPDATE OR DELETE ON organisation_targets
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();
CREATE TRIGGER rules_append_only BEFORE UPDATE OR DELETE ON rules
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();
CREATE TRIGGER exemptions_append_only BEFORE UPDATE OR DELETE ON exemptions
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();
CREATE TRIGGER acceptance_policies_append_only BEFORE UPDATE OR DELETE ON acceptance_policies
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();

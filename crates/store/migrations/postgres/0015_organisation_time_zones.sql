-- Each organisation's IANA time zone, which decides what "today" and "the end of a day" mean for its answers (at
-- 00:30 on a summer morning it is already the new day in London while UTC still says yesterday). The column holds
-- the zone in force; every change is also kept, append-only, with who made it and when.
ALTER TABLE organisations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/London';

CREATE TABLE organisation_time_zones (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    time_zone TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES accounts(id)
);
CREATE INDEX organisation_time_zones_org ON organisation_time_zones (org_id, id);
CREATE TRIGGER organisation_time_zones_append_only BEFORE UPDATE OR DELETE ON organisation_time_zones
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

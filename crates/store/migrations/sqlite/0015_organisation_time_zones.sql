-- Each organisation's IANA time zone, which decides what "today" and "the end of a day" mean for its answers (at
-- 00:30 on a summer morning it is already the new day in London while UTC still says yesterday). The column holds
-- the zone in force; every change is also kept, append-only, with who made it and when.
ALTER TABLE organisations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/London';

CREATE TABLE organisation_time_zones (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    time_zone TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts(id)
);
CREATE INDEX organisation_time_zones_org ON organisation_time_zones (org_id, id);
CREATE TRIGGER organisation_time_zones_append_only_update BEFORE UPDATE ON organisation_time_zones
BEGIN SELECT RAISE(ABORT, 'organisation_time_zones is append-only'); END;
CREATE TRIGGER organisation_time_zones_append_only_delete BEFORE DELETE ON organisation_time_zones
BEGIN SELECT RAISE(ABORT, 'organisation_time_zones is append-only'); END;

-- The read model, kept (issue 15): what an organisation's roll-up was at a data version survives a restart, and a
-- question "as known at T" can find the data version Lantern had then.

-- When each data version's facts were recorded: the earliest and latest `recorded_at` written under it, and the
-- latest of any version up to it (`known_to`, never falling). Instants are microseconds since 1970 (UTC). Versions
-- from before this table get one row saying only that they were all recorded by the time it was made.
CREATE TABLE data_version_times (
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    data_version INTEGER NOT NULL,
    recorded_from INTEGER NOT NULL,
    recorded_to INTEGER NOT NULL,
    known_to INTEGER NOT NULL,
    PRIMARY KEY (org_id, data_version)
);
CREATE INDEX data_version_times_known ON data_version_times (org_id, known_to);
INSERT INTO data_version_times (org_id, data_version, recorded_from, recorded_to, known_to)
SELECT id, data_version, -9223372036854775808,
       CAST(strftime('%s', 'now') AS INTEGER) * 1000000, CAST(strftime('%s', 'now') AS INTEGER) * 1000000
FROM organisations WHERE data_version > 0;
CREATE TRIGGER data_version_times_append_only_update BEFORE UPDATE ON data_version_times
BEGIN SELECT RAISE(ABORT, 'data_version_times is append-only'); END;
CREATE TRIGGER data_version_times_append_only_delete BEFORE DELETE ON data_version_times
BEGIN SELECT RAISE(ABORT, 'data_version_times is append-only'); END;

-- Layers of roll-up contributions (a cache, derived from the facts): the contributions, computed at `data_version`,
-- of everyone whose facts changed after `base_version` (0: everyone), by the engine whose fingerprint is `engine`.
-- A layer's parts are written in the same transaction as its row, so a layer that is there is whole.
CREATE TABLE rollup_layers (
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    engine TEXT NOT NULL,
    data_version INTEGER NOT NULL,
    base_version INTEGER NOT NULL,
    people INTEGER NOT NULL,
    parts INTEGER NOT NULL,
    PRIMARY KEY (org_id, engine, data_version, base_version)
);
CREATE TABLE rollup_parts (
    org_id INTEGER NOT NULL,
    engine TEXT NOT NULL,
    data_version INTEGER NOT NULL,
    base_version INTEGER NOT NULL,
    part INTEGER NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (org_id, engine, data_version, base_version, part)
);

-- Keeping records by hand (lantern_domain::record_keeping): an L&D admin adds, corrects or withdraws one training
-- record in the browser, with its evidence, and grants or ends exemptions. Everything stays append-only: a
-- correction is a new record and a supersession, an exemption ended early is an end row, never an edit.

-- Who entered a record by hand, and the note they gave (a correction's reason is on its supersession).
CREATE TABLE record_entries (
    record_id INTEGER PRIMARY KEY REFERENCES training_records(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    recorded_by INTEGER NOT NULL REFERENCES accounts(id)
);

-- A record's evidence file (a certificate, a signed attendance sheet): PDF, PNG or JPEG, recognised by content.
CREATE TABLE record_evidence_files (
    record_id INTEGER PRIMARY KEY REFERENCES training_records(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL
);

-- Who superseded or withdrew a record in the browser (NULL for imports and voided xAPI statements).
ALTER TABLE record_supersessions ADD COLUMN recorded_by INTEGER REFERENCES accounts(id);

-- Who approved an exemption (a name and role, as the approval was given) and who recorded it in Lantern.
ALTER TABLE exemptions ADD COLUMN approved_by TEXT;
ALTER TABLE exemptions ADD COLUMN recorded_by INTEGER REFERENCES accounts(id);

-- An exemption ended before its end date (the person came back from leave, or it was granted by mistake): its last
-- day from then on. One end per exemption.
CREATE TABLE exemption_ends (
    exemption_id INTEGER PRIMARY KEY REFERENCES exemptions(id),
    last_day TEXT NOT NULL,
    reason TEXT NOT NULL,
    ended_by INTEGER NOT NULL REFERENCES accounts(id),
    recorded_at TEXT NOT NULL
);

CREATE TRIGGER record_entries_append_only_update BEFORE UPDATE ON record_entries
BEGIN SELECT RAISE(ABORT, 'record entries are append-only'); END;
CREATE TRIGGER record_entries_append_only_delete BEFORE DELETE ON record_entries
BEGIN SELECT RAISE(ABORT, 'record entries are append-only'); END;
CREATE TRIGGER record_evidence_files_append_only_update BEFORE UPDATE ON record_evidence_files
BEGIN SELECT RAISE(ABORT, 'evidence files are append-only'); END;
CREATE TRIGGER record_evidence_files_append_only_delete BEFORE DELETE ON record_evidence_files
BEGIN SELECT RAISE(ABORT, 'evidence files are append-only'); END;
CREATE TRIGGER exemption_ends_append_only_update BEFORE UPDATE ON exemption_ends
BEGIN SELECT RAISE(ABORT, 'exemption ends are append-only'); END;
CREATE TRIGGER exemption_ends_append_only_delete BEFORE DELETE ON exemption_ends
BEGIN SELECT RAISE(ABORT, 'exemption ends are append-only'); END;

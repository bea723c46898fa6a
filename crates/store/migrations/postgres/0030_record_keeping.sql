-- Keeping records by hand (lantern_domain::record_keeping): an L&D admin adds, corrects or withdraws one training
-- record in the browser, with its evidence, and grants or ends exemptions. Everything stays append-only: a
-- correction is a new record and a supersession, an exemption ended early is an end row, never an edit.

-- Who entered a record by hand, and the note they gave (a correction's reason is on its supersession).
CREATE TABLE record_entries (
    record_id BIGINT PRIMARY KEY REFERENCES training_records(id),
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    recorded_by BIGINT NOT NULL REFERENCES accounts(id)
);

-- A record's evidence file (a certificate, a signed attendance sheet): PDF, PNG or JPEG, recognised by content.
CREATE TABLE record_evidence_files (
    record_id BIGINT PRIMARY KEY REFERENCES training_records(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL
);

-- Who superseded or withdrew a record in the browser (NULL for imports and voided xAPI statements).
ALTER TABLE record_supersessions ADD COLUMN recorded_by BIGINT REFERENCES accounts(id);

-- Who approved an exemption (a name and role, as the approval was given) and who recorded it in Lantern.
ALTER TABLE exemptions ADD COLUMN approved_by TEXT;
ALTER TABLE exemptions ADD COLUMN recorded_by BIGINT REFERENCES accounts(id);

-- An exemption ended before its end date (the person came back from leave, or it was granted by mistake): its last
-- day from then on. One end per exemption.
CREATE TABLE exemption_ends (
    exemption_id BIGINT PRIMARY KEY REFERENCES exemptions(id),
    last_day DATE NOT NULL,
    reason TEXT NOT NULL,
    ended_by BIGINT NOT NULL REFERENCES accounts(id),
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER record_entries_append_only BEFORE UPDATE OR DELETE ON record_entries
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER record_evidence_files_append_only BEFORE UPDATE OR DELETE ON record_evidence_files
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER exemption_ends_append_only BEFORE UPDATE OR DELETE ON exemption_ends
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

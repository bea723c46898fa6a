-- Regulator-true rules and revalidation evidence. Keep in step with ../postgres/0014_regulators_and_revalidation.sql.

-- What a rule asks for and where its figures come from:
-- purpose: 'requirement' counts in compliance; 'development' (a capability framework's competency) counts nowhere
--   until an organisation makes it a requirement with a new rule version.
-- participatory_share: for an hours rule, the share of the hours (0 to 1) that must be participatory.
-- edition, reading: the edition of the source the figures follow, and whose reading of it they are.
-- local_choice: the figures are the organisation's (or a local body's) choice, not the source's.
ALTER TABLE rules ADD COLUMN purpose TEXT NOT NULL DEFAULT 'requirement' CHECK (purpose IN ('requirement', 'development'));
ALTER TABLE rules ADD COLUMN participatory_share REAL CHECK (participatory_share > 0 AND participatory_share <= 1);
ALTER TABLE rules ADD COLUMN edition TEXT;
ALTER TABLE rules ADD COLUMN reading TEXT;
ALTER TABLE rules ADD COLUMN local_choice INTEGER NOT NULL DEFAULT 0;

-- Evidence a registrant (or their manager) records towards revalidation: practice hours, CPD done outside Lantern,
-- feedback, reflections, discussions, declarations, confirmation, appraisals. It belongs to the person, like their
-- training records; org_id is where it was recorded. Append-only: a mistake is withdrawn, never edited.
CREATE TABLE revalidation_evidence (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    hours REAL CHECK (hours > 0),
    participatory INTEGER NOT NULL,
    note TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    recorded_by INTEGER NOT NULL REFERENCES accounts(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX revalidation_evidence_person ON revalidation_evidence (person_id, id);

-- A file attached to an item, checked for its type and size before it is stored; served only as a download.
CREATE TABLE revalidation_evidence_files (
    evidence_id INTEGER PRIMARY KEY REFERENCES revalidation_evidence(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE revalidation_evidence_withdrawals (
    evidence_id INTEGER PRIMARY KEY REFERENCES revalidation_evidence(id),
    reason TEXT NOT NULL,
    withdrawn_by INTEGER NOT NULL REFERENCES accounts(id),
    withdrawn_at TEXT NOT NULL
);

CREATE TRIGGER revalidation_evidence_append_only_update BEFORE UPDATE ON revalidation_evidence
BEGIN SELECT RAISE(ABORT, 'revalidation evidence is append-only: withdraw instead'); END;
CREATE TRIGGER revalidation_evidence_append_only_delete BEFORE DELETE ON revalidation_evidence
BEGIN SELECT RAISE(ABORT, 'revalidation evidence is append-only: withdraw instead'); END;
CREATE TRIGGER revalidation_evidence_files_append_only_update BEFORE UPDATE ON revalidation_evidence_files
BEGIN SELECT RAISE(ABORT, 'revalidation evidence is append-only: withdraw instead'); END;
CREATE TRIGGER revalidation_evidence_files_append_only_delete BEFORE DELETE ON revalidation_evidence_files
BEGIN SELECT RAISE(ABORT, 'revalidation evidence is append-only: withdraw instead'); END;
CREATE TRIGGER revalidation_evidence_withdrawals_append_only_update BEFORE UPDATE ON revalidation_evidence_withdrawals
BEGIN SELECT RAISE(ABORT, 'withdrawals are append-only'); END;
CREATE TRIGGER revalidation_evidence_withdrawals_append_only_delete BEFORE DELETE ON revalidation_evidence_withdrawals
BEGIN SELECT RAISE(ABORT, 'withdrawals are append-only'); END;

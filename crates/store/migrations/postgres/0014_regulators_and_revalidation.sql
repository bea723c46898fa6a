-- Regulator-true rules and revalidation evidence. Keep in step with ../sqlite/0014_regulators_and_revalidation.sql.

-- What a rule asks for and where its figures come from:
-- purpose: 'requirement' counts in compliance; 'development' (a capability framework's competency) counts nowhere
--   until an organisation makes it a requirement with a new rule version.
-- participatory_share: for an hours rule, the share of the hours (0 to 1) that must be participatory.
-- edition, reading: the edition of the source the figures follow, and whose reading of it they are.
-- local_choice: the figures are the organisation's (or a local body's) choice, not the source's.
ALTER TABLE rules ADD COLUMN purpose TEXT NOT NULL DEFAULT 'requirement' CHECK (purpose IN ('requirement', 'development'));
ALTER TABLE rules ADD COLUMN participatory_share DOUBLE PRECISION CHECK (participatory_share > 0 AND participatory_share <= 1);
ALTER TABLE rules ADD COLUMN edition TEXT;
ALTER TABLE rules ADD COLUMN reading TEXT;
ALTER TABLE rules ADD COLUMN local_choice BOOLEAN NOT NULL DEFAULT FALSE;

-- Evidence a registrant (or their manager) records towards revalidation: practice hours, CPD done outside Lantern,
-- feedback, reflections, discussions, declarations, confirmation, appraisals. It belongs to the person, like their
-- training records; org_id is where it was recorded. Append-only: a mistake is withdrawn, never edited.
CREATE TABLE revalidation_evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    hours DOUBLE PRECISION CHECK (hours > 0),
    participatory BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    recorded_by BIGINT NOT NULL REFERENCES accounts(id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revalidation_evidence_person ON revalidation_evidence (person_id, id);

-- A file attached to an item, checked for its type and size before it is stored; served only as a download.
CREATE TABLE revalidation_evidence_files (
    evidence_id BIGINT PRIMARY KEY REFERENCES revalidation_evidence(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL
);

CREATE TABLE revalidation_evidence_withdrawals (
    evidence_id BIGINT PRIMARY KEY REFERENCES revalidation_evidence(id),
    reason TEXT NOT NULL,
    withdrawn_by BIGINT NOT NULL REFERENCES accounts(id),
    withdrawn_at TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER revalidation_evidence_append_only BEFORE UPDATE OR DELETE ON revalidation_evidence
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER revalidation_evidence_files_append_only BEFORE UPDATE OR DELETE ON revalidation_evidence_files
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER revalidation_evidence_withdrawals_append_only BEFORE UPDATE OR DELETE ON revalidation_evidence_withdrawals
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

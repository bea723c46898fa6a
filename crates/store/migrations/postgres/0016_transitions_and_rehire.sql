-- The engine side of regulatory change. Keep in step with ../sqlite/0016_transitions_and_rehire.sql.
--
-- On a rule version:
-- transition_ends: the first day after the version's transition (exclusive, like every stored end); NULL: none.
--   Until then a person the version made overdue is due by that date instead (docs/compliance.md, "Transitions").
-- retired: the version ends the requirement from its effective date and applies to no one.
-- local_reason: why an organisation set its own refresher period (its local risk assessment reference).
ALTER TABLE rules ADD COLUMN transition_ends DATE;
ALTER TABLE rules ADD COLUMN retired BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rules ADD COLUMN local_reason TEXT;

-- How long a break in service (days between one post's last day and the next post's first day in the organisation)
-- must be before a returning person counts as a new starter again. Versions, append-only, like the target: an
-- answer "as known at" T uses the value recorded by T. No row: the default (lantern_domain::model).
CREATE TABLE organisation_rehire_breaks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    break_days INTEGER NOT NULL CHECK (break_days >= 1),
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES accounts(id)
);
CREATE INDEX organisation_rehire_breaks_org ON organisation_rehire_breaks (org_id, recorded_at);
CREATE TRIGGER organisation_rehire_breaks_append_only BEFORE UPDATE OR DELETE ON organisation_rehire_breaks
    FOR EACH ROW EXECUTE FUNCTION lantern_versions_only();

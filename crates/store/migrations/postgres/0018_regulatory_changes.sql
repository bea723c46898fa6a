-- Each regulatory change applied to an organisation (a new framework version, or one new rule version), with who
-- applied it and when, its effective date and transition, and the preview's summary as it was confirmed (JSON). The
-- rule versions themselves are in `rules`; this is the organisation's record of the change, for its changes page.
-- Append-only. A framework version is applied to an organisation once.
CREATE TABLE regulatory_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    -- 'framework' or 'rule_version'
    kind TEXT NOT NULL,
    framework TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    -- The requirement, for a rule version; NULL for a framework.
    subject TEXT,
    level SMALLINT,
    effective_from DATE NOT NULL,
    -- The first day after the transition; NULL without one.
    transition_ends DATE,
    -- The account that applied it; NULL from the command line.
    applied_by BIGINT REFERENCES accounts(id),
    applied_by_name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL,
    summary TEXT NOT NULL,
    -- People emailed about it (newly affected people and their managers).
    emails BIGINT NOT NULL
);
CREATE INDEX regulatory_changes_org ON regulatory_changes (org_id, id);
CREATE UNIQUE INDEX regulatory_changes_framework_once ON regulatory_changes (org_id, framework, framework_version)
    WHERE kind = 'framework';
CREATE TRIGGER regulatory_changes_append_only BEFORE UPDATE OR DELETE ON regulatory_changes
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

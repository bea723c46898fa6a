-- Each regulatory change applied to an organisation (a new framework version, or one new rule version), with who
-- applied it and when, its effective date and transition, and the preview's summary as it was confirmed (JSON). The
-- rule versions themselves are in `rules`; this is the organisation's record of the change, for its changes page.
-- Append-only. A framework version is applied to an organisation once.
CREATE TABLE regulatory_changes (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    -- 'framework' or 'rule_version'
    kind TEXT NOT NULL,
    framework TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    -- The requirement, for a rule version; NULL for a framework.
    subject TEXT,
    level INTEGER,
    effective_from TEXT NOT NULL,
    -- The first day after the transition; NULL without one.
    transition_ends TEXT,
    -- The account that applied it; NULL from the command line.
    applied_by INTEGER REFERENCES accounts(id),
    applied_by_name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    summary TEXT NOT NULL,
    -- People emailed about it (newly affected people and their managers).
    emails INTEGER NOT NULL
);
CREATE INDEX regulatory_changes_org ON regulatory_changes (org_id, id);
CREATE UNIQUE INDEX regulatory_changes_framework_once ON regulatory_changes (org_id, framework, framework_version)
    WHERE kind = 'framework';
CREATE TRIGGER regulatory_changes_append_only_update BEFORE UPDATE ON regulatory_changes
BEGIN SELECT RAISE(ABORT, 'regulatory_changes is append-only'); END;
CREATE TRIGGER regulatory_changes_append_only_delete BEFORE DELETE ON regulatory_changes
BEGIN SELECT RAISE(ABORT, 'regulatory_changes is append-only'); END;

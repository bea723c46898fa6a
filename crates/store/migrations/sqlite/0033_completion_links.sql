-- Where to do a requirement when Lantern holds no course for it (lantern_domain::how_to_complete): an organisation's
-- link per requirement subject, in versions. The latest row for (organisation, subject) is in force; one with an
-- empty url removes the link. Append-only: who set which link, and when, stays on record.
CREATE TABLE completion_links (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    url TEXT NOT NULL,
    label TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts(id)
);
CREATE INDEX completion_links_org ON completion_links (org_id, subject, id);
CREATE TRIGGER completion_links_append_only_update BEFORE UPDATE ON completion_links
BEGIN SELECT RAISE(ABORT, 'completion links are append-only'); END;
CREATE TRIGGER completion_links_append_only_delete BEFORE DELETE ON completion_links
BEGIN SELECT RAISE(ABORT, 'completion links are append-only'); END;

-- Where to do a requirement when Lantern holds no course for it (lantern_domain::how_to_complete): an organisation's
-- link per requirement subject, in versions. The latest row for (organisation, subject) is in force; one with an
-- empty url removes the link. Append-only: who set which link, and when, stays on record.
CREATE TABLE completion_links (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    url TEXT NOT NULL,
    label TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES accounts(id)
);
CREATE INDEX completion_links_org ON completion_links (org_id, subject, id);
CREATE TRIGGER completion_links_append_only BEFORE UPDATE OR DELETE ON completion_links
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

-- Which people each data version touched, so that the compliance read model can re-assess only them after a write
-- instead of rebuilding the whole organisation. person_id NULL means everyone (rules, units or policies changed).
CREATE TABLE compliance_changes (
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    data_version INTEGER NOT NULL,
    person_id INTEGER REFERENCES people(id)
);
CREATE INDEX compliance_changes_org_version ON compliance_changes (org_id, data_version);

-- One person's posts in one organisation (a person's page, every drill-down) must not scan the organisation's posts.
DROP INDEX posts_person;
CREATE INDEX posts_person_org ON posts (person_id, org_id);

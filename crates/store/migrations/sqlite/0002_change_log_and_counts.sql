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

-- Head counts for the organisation list, kept by the write path, so the landing page does not count posts.
ALTER TABLE organisations ADD COLUMN people_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN unit_count INTEGER NOT NULL DEFAULT 0;
UPDATE organisations SET
    people_count = (SELECT COUNT(DISTINCT p.person_id) FROM posts p WHERE p.org_id = organisations.id),
    unit_count = (SELECT COUNT(*) FROM units u WHERE u.org_id = organisations.id);

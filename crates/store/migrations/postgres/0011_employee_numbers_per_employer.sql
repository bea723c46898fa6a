-- An employee number is an employer's own identifier. A person created by an organisation's own import belongs to
-- that organisation's numbering (issuer_org_id); people created by the platform (its imports, the demo world, staff
-- shared between employers) have none. The same number may therefore name different people at different
-- employers, and an organisation's import can neither reach nor detect a person who is only another employer's.
ALTER TABLE people ADD COLUMN issuer_org_id BIGINT REFERENCES organisations(id);
ALTER TABLE people DROP CONSTRAINT people_employee_number_key;
CREATE UNIQUE INDEX people_number_per_issuer ON people (COALESCE(issuer_org_id, 0), employee_number);
CREATE INDEX people_employee_number ON people (employee_number);

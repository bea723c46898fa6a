-- no-transaction
-- (SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt, which needs foreign-key enforcement off
-- outside a transaction. The rebuild itself is one transaction; it keeps every id, so references stay valid.)
--
-- An employee number is an employer's own identifier. A person created by an organisation's own import belongs to
-- that organisation's numbering (issuer_org_id); people created by the platform (its imports, the demo world, staff
-- shared between employers) have none. The same number may therefore name different people at different
-- employers, and an organisation's import can neither reach nor detect a person who is only another employer's.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE people_new (
    id INTEGER PRIMARY KEY,
    employee_number TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    email TEXT,
    updated_at TEXT NOT NULL,
    issuer_org_id INTEGER REFERENCES organisations(id)
);
INSERT INTO people_new (id, employee_number, given_name, family_name, email, updated_at)
    SELECT id, employee_number, given_name, family_name, email, updated_at FROM people;
DROP TABLE people;
ALTER TABLE people_new RENAME TO people;
CREATE UNIQUE INDEX people_number_per_issuer ON people (COALESCE(issuer_org_id, 0), employee_number);
CREATE INDEX people_employee_number ON people (employee_number);
COMMIT;
PRAGMA foreign_keys = ON;

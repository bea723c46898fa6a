-- Invitations to take a role in an organisation. An organisation admin does not grant a role to an account that is
-- not already theirs: they invite an email address, and the person who holds it accepts (signing in to the account
-- they have, or choosing a password for a new one). The admin never learns whether the address had an account.

CREATE TABLE role_invitations (
    id INTEGER PRIMARY KEY,
    -- The emailed link carries a random token; only its SHA-256 is stored.
    token_hash TEXT NOT NULL UNIQUE,
    -- Stored lower-cased, as account emails are.
    email TEXT NOT NULL,
    -- The name the admin gave, used if the invitation creates a new account.
    display_name TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    role TEXT NOT NULL,
    unit_id INTEGER REFERENCES units(id),
    -- The staff record the account is linked to on acceptance (learners), found in the organisation's own people.
    person_id INTEGER REFERENCES people(id),
    invited_by INTEGER REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT,
    accepted_by INTEGER REFERENCES accounts(id),
    -- Withdrawn by an admin, or declined by the person invited.
    withdrawn_at TEXT
);
CREATE INDEX role_invitations_org ON role_invitations (org_id, created_at);

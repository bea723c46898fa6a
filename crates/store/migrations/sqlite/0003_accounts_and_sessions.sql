-- Sign-in: accounts, their role grants, server-side sessions, login throttling and password resets.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    -- Stored lower-cased: one account per address.
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- argon2id PHC string; NULL for accounts that only sign in through their organisation's single sign-on.
    password_hash TEXT,
    -- The person this account is, for "My training"; NULL for accounts that are not staff (auditors, platform admins).
    person_id INTEGER REFERENCES people(id),
    created_at TEXT NOT NULL,
    disabled_at TEXT
);
CREATE INDEX accounts_person ON accounts (person_id);

-- What an account may do where. role: learner, manager, org_admin, auditor, platform_admin.
-- org_id is NULL only for platform_admin; unit_id is set only for managers (that unit and everything below it).
CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL,
    org_id INTEGER REFERENCES organisations(id),
    unit_id INTEGER REFERENCES units(id),
    created_at TEXT NOT NULL
);
CREATE INDEX role_grants_account ON role_grants (account_id);
CREATE UNIQUE INDEX role_grants_once ON role_grants (account_id, role, COALESCE(org_id, 0), COALESCE(unit_id, 0));

-- The cookie carries a random token; only its SHA-256 is stored, so a database leak does not leak sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    -- Absolute expiry; idle expiry is last_seen_at plus the configured idle timeout.
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed sign-ins, for throttling per account and per address across every server sharing the database.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Single sign-on: an organisation may trust one OpenID Connect provider to sign in its own accounts.

CREATE TABLE sso_providers (
    org_id INTEGER PRIMARY KEY REFERENCES organisations(id),
    -- The provider's issuer URL; its discovery document is at ISSUER/.well-known/openid-configuration.
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    -- How an ID token finds its account: 'email' (the verified email claim, then bound to the subject) or
    -- 'subject' (the sub claim, linked to an account by an admin beforehand).
    match_on TEXT NOT NULL,
    -- What the sign-in button says, e.g. "NHSmail".
    label TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES accounts(id)
);

-- Which account an identity at an organisation's provider is.
CREATE TABLE sso_identities (
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    PRIMARY KEY (org_id, issuer, subject)
);
CREATE UNIQUE INDEX sso_identities_account ON sso_identities (org_id, issuer, account_id);

-- A sign-in in flight between Lantern and a provider, used once: the state (hashed), the nonce the ID token must
-- carry, the PKCE verifier, and where to go afterwards.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sso_logins_expires ON sso_logins (expires_at);

-- A session started by an organisation's provider carries only that organisation's roles: one organisation's
-- identity provider can never sign someone in to another organisation's data.
ALTER TABLE sessions ADD COLUMN only_org_id INTEGER REFERENCES organisations(id);

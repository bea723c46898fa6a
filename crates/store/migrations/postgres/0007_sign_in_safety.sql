-- Sign-in safety: throttling by account and address, account locks, password-reset requests and the outgoing mail
-- queue. (Issue 14: the fixed-window counts locked out legitimate users; reset emails were sent before the answer.)

-- Replaced by sign_in_failures: its keys mixed accounts and addresses, so one could not be cleared without the other.
DROP TABLE login_failures;

-- Each failed sign-in, by the email typed (lower-cased; addresses without an account too, so that throttling answers
-- the same whether or not an account exists) and the client's address.
-- An attempt is written here before its password is checked, and removed if it succeeds or is turned away: parallel
-- guesses count against each other however fast they come.
CREATE TABLE sign_in_failures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_pair ON sign_in_failures (email, address, at);
CREATE INDEX sign_in_failures_address ON sign_in_failures (address, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);

-- An email locked for every address after many failures spread over addresses, until locked_until, a completed
-- password reset, or an admin clears it.
CREATE TABLE sign_in_locks (
    email TEXT PRIMARY KEY,
    locked_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ NOT NULL,
    failures BIGINT NOT NULL
);

-- "Send me a reset link", recorded as asked (whether or not the email has an account) and handled in the background,
-- so the answer takes the same time either way. Counted per email and per client address to limit flooding.
CREATE TABLE password_reset_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    -- A server handling it holds it until then; another may take it over afterwards.
    claimed_until TIMESTAMPTZ,
    handled_at TIMESTAMPTZ
);
CREATE INDEX password_reset_requests_email ON password_reset_requests (email, requested_at);
CREATE INDEX password_reset_requests_address ON password_reset_requests (address, requested_at);
CREATE INDEX password_reset_requests_open ON password_reset_requests (id) WHERE handled_at IS NULL;

-- Every email Lantern sends, accepted durably before the request that sends it answers, and delivered in the
-- background with retries.
CREATE TABLE mail_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- Emptied once sent or given up: it may hold a one-time link.
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    -- The server delivering it holds it until then, so no two servers send it.
    claimed_until TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

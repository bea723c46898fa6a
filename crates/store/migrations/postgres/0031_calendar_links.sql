-- Calendar subscriptions: each account's secret link to the iCalendar feed of its own due dates. Only the link's
-- hash is kept; making a new link ends the old one (revoked_at), so a link shared by mistake can be stopped.
CREATE TABLE calendar_links (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX calendar_links_account ON calendar_links (account_id, id);

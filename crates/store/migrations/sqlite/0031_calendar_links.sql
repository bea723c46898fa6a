-- Calendar subscriptions: each account's secret link to the iCalendar feed of its own due dates. Only the link's
-- hash is kept; making a new link ends the old one (revoked_at), so a link shared by mistake can be stopped.
CREATE TABLE calendar_links (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX calendar_links_account ON calendar_links (account_id, id);

-- Views a person saves on a page with filters (the team view): a name and the page's query string, per account.
-- Saving a name again replaces its view; removing one sets removed_at. At most a few dozen per account.
CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    page TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX saved_views_account ON saved_views (account_id, page, id);

-- Reminders from "My team": one row per person and requirement each time a manager asks for a reminder, whatever
-- came of it, so the team view can say who was last reminded and by whom, and a person's page can show every one.
-- Append-only: what was sent cannot be rewritten afterwards; an email the relay refused is a later 'failed' row.
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    -- The requirement reminded about: a subject at a level.
    subject TEXT NOT NULL REFERENCES competencies(code),
    level INTEGER NOT NULL,
    -- 'sent': handed to the mail relay or outbox; 'skipped_recent': not sent, because the same requirement was
    -- reminded within the organisation's interval (see repeat_of); 'no_email': not sent, no address on the staff
    -- record; 'failed': the relay refused the email of the 'sent' row named by failure_of.
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped_recent', 'no_email', 'failed')),
    channel TEXT NOT NULL CHECK (channel IN ('email')),
    -- Where it went (the staff record's email at the time); NULL when there was none.
    address TEXT,
    sent_at TEXT NOT NULL,
    sent_by INTEGER NOT NULL REFERENCES accounts(id),
    repeat_of INTEGER REFERENCES reminders(id),
    failure_of INTEGER REFERENCES reminders(id)
);
CREATE INDEX reminders_person ON reminders (org_id, person_id, id);
CREATE INDEX reminders_failure_of ON reminders (failure_of) WHERE failure_of IS NOT NULL;
CREATE TRIGGER reminders_append_only_update BEFORE UPDATE ON reminders
BEGIN SELECT RAISE(ABORT, 'reminders are append-only'); END;
CREATE TRIGGER reminders_append_only_delete BEFORE DELETE ON reminders
BEGIN SELECT RAISE(ABORT, 'reminders are append-only'); END;

-- How often a person may be reminded about the same requirement, per organisation (the default applies without a
-- row; see lantern_store::reminders::DEFAULT_INTERVAL_DAYS).
CREATE TABLE reminder_settings (
    org_id INTEGER PRIMARY KEY REFERENCES organisations(id),
    interval_days INTEGER NOT NULL CHECK (interval_days BETWEEN 1 AND 365),
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES accounts(id)
);

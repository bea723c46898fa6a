-- Scheduled notices: reminders that run themselves (before a due date, when overdue, and to the managers after a
-- while overdue), per the organisation's policy (lantern_domain::notices).
--
-- An organisation's policy, in versions: the latest row is in force, none means the default (60, 30 and 7 days
-- before, on overdue, managers after 14 days). Append-only: who changed it and when stays on record.
CREATE TABLE notice_policies (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    -- Days before a due date, most distant first, comma-separated ("60,30,7"); '' for none.
    before_days TEXT NOT NULL,
    on_overdue INTEGER NOT NULL CHECK (on_overdue IN (0, 1)),
    escalate_after_days INTEGER CHECK (escalate_after_days BETWEEN 1 AND 365),
    weekly_digest INTEGER NOT NULL CHECK (weekly_digest IN (0, 1)),
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts(id)
);
CREATE INDEX notice_policies_org ON notice_policies (org_id, id);
CREATE TRIGGER notice_policies_append_only_update BEFORE UPDATE ON notice_policies
BEGIN SELECT RAISE(ABORT, 'notice policies are append-only'); END;
CREATE TRIGGER notice_policies_append_only_delete BEFORE DELETE ON notice_policies
BEGIN SELECT RAISE(ABORT, 'notice policies are append-only'); END;

-- One row per notice: a stage of one requirement's episode (its due date) for one recipient. The unique key makes
-- the job idempotent: a notice recorded is never sent again, whichever server or run tries. Its email is queued
-- in the same transaction (mail_outbox). Append-only.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    level INTEGER NOT NULL,
    -- The episode's due date (YYYY-MM-DD); '' for a missing requirement with none.
    due_on TEXT NOT NULL,
    -- 'before-N', 'overdue' or 'escalated'.
    stage TEXT NOT NULL,
    -- 'person', or 'manager:ACCOUNT_ID' for an escalation.
    recipient TEXT NOT NULL,
    address TEXT,
    -- 'queued': its email went to the outbox; 'no_email': no address to send to.
    outcome TEXT NOT NULL CHECK (outcome IN ('queued', 'no_email')),
    created_at TEXT NOT NULL,
    UNIQUE (org_id, person_id, subject, level, due_on, stage, recipient)
);
CREATE INDEX notices_person ON notices (org_id, person_id, id);
CREATE INDEX notices_created ON notices (org_id, created_at);
CREATE TRIGGER notices_append_only_update BEFORE UPDATE ON notices
BEGIN SELECT RAISE(ABORT, 'notices are append-only'); END;
CREATE TRIGGER notices_append_only_delete BEFORE DELETE ON notices
BEGIN SELECT RAISE(ABORT, 'notices are append-only'); END;

-- Each manager's weekly digest of their team: one row per manager and ISO week ('2026-W50'), its email queued in the
-- same transaction, so a week's digest goes once. Append-only.
CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    week TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, account_id, week)
);
CREATE TRIGGER digests_append_only_update BEFORE UPDATE ON digests
BEGIN SELECT RAISE(ABORT, 'digests are append-only'); END;
CREATE TRIGGER digests_append_only_delete BEFORE DELETE ON digests
BEGIN SELECT RAISE(ABORT, 'digests are append-only'); END;

-- A person's own choice within the policy, in versions (the latest is in force): with early_reminders off they get
-- only the last reminder before a due date (and every overdue one, which the organisation requires).
CREATE TABLE notice_preferences (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    early_reminders INTEGER NOT NULL CHECK (early_reminders IN (0, 1)),
    recorded_at TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts(id)
);
CREATE INDEX notice_preferences_person ON notice_preferences (org_id, person_id, id);
CREATE TRIGGER notice_preferences_append_only_update BEFORE UPDATE ON notice_preferences
BEGIN SELECT RAISE(ABORT, 'notice preferences are append-only'); END;
CREATE TRIGGER notice_preferences_append_only_delete BEFORE DELETE ON notice_preferences
BEGIN SELECT RAISE(ABORT, 'notice preferences are append-only'); END;

-- Leases on background jobs, so that servers sharing one database run each job once at a time: a server takes the
-- lease when it is free or expired, and gives it back when done. A lock, not a record: rows are replaced.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    held_until TEXT NOT NULL
);

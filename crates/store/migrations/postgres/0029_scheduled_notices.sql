-- Scheduled notices: reminders that run themselves (before a due date, when overdue, and to the managers after a
-- while overdue), per the organisation's policy (lantern_domain::notices).
--
-- An organisation's policy, in versions: the latest row is in force, none means the default (60, 30 and 7 days
-- before, on overdue, managers after 14 days). Append-only: who changed it and when stays on record.
CREATE TABLE notice_policies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    -- Days before a due date, most distant first, comma-separated ("60,30,7"); '' for none.
    before_days TEXT NOT NULL,
    on_overdue BOOLEAN NOT NULL,
    escalate_after_days INTEGER CHECK (escalate_after_days BETWEEN 1 AND 365),
    weekly_digest BOOLEAN NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES accounts(id)
);
CREATE INDEX notice_policies_org ON notice_policies (org_id, id);
CREATE TRIGGER notice_policies_append_only BEFORE UPDATE OR DELETE ON notice_policies
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

-- One row per notice: a stage of one requirement's episode (its due date) for one recipient. The unique key makes
-- the job idempotent: a notice recorded is never sent again, whichever server or run tries. Its email is queued
-- in the same transaction (mail_outbox). Append-only.
CREATE TABLE notices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    subject TEXT NOT NULL REFERENCES competencies(code),
    level SMALLINT NOT NULL,
    -- The episode's due date (YYYY-MM-DD); '' for a missing requirement with none.
    due_on TEXT NOT NULL,
    -- 'before-N', 'overdue' or 'escalated'.
    stage TEXT NOT NULL,
    -- 'person', or 'manager:ACCOUNT_ID' for an escalation.
    recipient TEXT NOT NULL,
    address TEXT,
    -- 'queued': its email went to the outbox; 'no_email': no address to send to.
    outcome TEXT NOT NULL CHECK (outcome IN ('queued', 'no_email')),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, person_id, subject, level, due_on, stage, recipient)
);
CREATE INDEX notices_person ON notices (org_id, person_id, id);
CREATE INDEX notices_created ON notices (org_id, created_at);
CREATE TRIGGER notices_append_only BEFORE UPDATE OR DELETE ON notices
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

-- Each manager's weekly digest of their team: one row per manager and ISO week ('2026-W50'), its email queued in the
-- same transaction, so a week's digest goes once. Append-only.
CREATE TABLE digests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    week TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, account_id, week)
);
CREATE TRIGGER digests_append_only BEFORE UPDATE OR DELETE ON digests
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

-- A person's own choice within the policy, in versions (the latest is in force): with early_reminders off they get
-- only the last reminder before a due date (and every overdue one, which the organisation requires).
CREATE TABLE notice_preferences (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    early_reminders BOOLEAN NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES accounts(id)
);
CREATE INDEX notice_preferences_person ON notice_preferences (org_id, person_id, id);
CREATE TRIGGER notice_preferences_append_only BEFORE UPDATE OR DELETE ON notice_preferences
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

-- Leases on background jobs, so that servers sharing one database run each job once at a time: a server takes the
-- lease when it is free or expired, and gives it back when done. A lock, not a record: rows are replaced.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    held_until TIMESTAMPTZ NOT NULL
);

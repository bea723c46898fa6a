-- The built-in xAPI Learning Record Store: one per organisation. Statements are immutable (voiding is a separate,
-- append-only fact); documents (state, activity and agent profiles) are the mutable part of the specification.

-- Client applications' HTTP Basic credentials. The secret is 256 random bits, so its SHA-256 is stored: fast to check
-- on every request and useless to anyone who reads the table.
CREATE TABLE lrs_credentials (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    can_write BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX lrs_credentials_org ON lrs_credentials (org_id);

-- Agents, activities and verbs are stored once per organisation and referred to by number, so the per-statement
-- index rows stay small at tens of millions of statements.
CREATE TABLE xapi_agents (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    -- The canonical inverse functional identifier, e.g. mbox:mailto:a@b.
    ifi TEXT NOT NULL,
    -- The latest Agent or Group object seen with it (its name), for the Agents resource.
    agent_json TEXT NOT NULL,
    UNIQUE (org_id, ifi)
);

CREATE TABLE xapi_activities (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    iri TEXT NOT NULL,
    -- The canonical Activity object (definitions merged as statements arrive), for the Activities resource.
    activity_json TEXT NOT NULL,
    UNIQUE (org_id, iri)
);

CREATE TABLE xapi_verbs (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    iri TEXT NOT NULL,
    UNIQUE (org_id, iri)
);

CREATE TABLE xapi_statements (
    -- Storage order; statements are returned newest first by it and `more` links page by it.
    seq INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    -- The statement's UUID, 16 bytes.
    id BLOB NOT NULL,
    -- Microseconds since 1970, UTC.
    stored_us INTEGER NOT NULL,
    timestamp_us INTEGER NOT NULL,
    actor_id INTEGER NOT NULL REFERENCES xapi_agents(id),
    verb_id INTEGER NOT NULL REFERENCES xapi_verbs(id),
    object_activity_id INTEGER REFERENCES xapi_activities(id),
    object_agent_id INTEGER REFERENCES xapi_agents(id),
    -- The UUID a StatementRef object points at (voiding statements point at what they void).
    statement_ref BLOB,
    registration BLOB,
    -- This statement voids statement_ref.
    voids BOOLEAN NOT NULL,
    -- The statement as the LRS returns it in the exact format.
    statement_json TEXT NOT NULL,
    -- The credential that stored it.
    credential_id INTEGER NOT NULL REFERENCES lrs_credentials(id),
    UNIQUE (org_id, id)
);
CREATE INDEX xapi_statements_org ON xapi_statements (org_id, seq);
CREATE INDEX xapi_statements_stored ON xapi_statements (org_id, stored_us);
CREATE INDEX xapi_statements_verb ON xapi_statements (verb_id, seq);
CREATE INDEX xapi_statements_registration ON xapi_statements (org_id, registration, seq) WHERE registration IS NOT NULL;
CREATE INDEX xapi_statements_ref ON xapi_statements (org_id, statement_ref) WHERE statement_ref IS NOT NULL;

-- Every agent and activity a statement relates to; `direct` marks the actor or object (the `agent` and `activity`
-- filters), the rest count only with related_agents / related_activities.
CREATE TABLE xapi_statement_agents (
    agent_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    direct BOOLEAN NOT NULL,
    PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;

CREATE TABLE xapi_statement_activities (
    activity_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    direct BOOLEAN NOT NULL,
    PRIMARY KEY (activity_id, seq)
) WITHOUT ROWID;

-- Voided statements: the voiding statement's seq for each target. A statement is never edited.
CREATE TABLE xapi_voided (
    org_id INTEGER NOT NULL,
    target_id BLOB NOT NULL,
    voided_by_seq INTEGER NOT NULL,
    PRIMARY KEY (org_id, target_id)
);

-- Attachment payloads, stored once per organisation by their SHA-2 hash.
CREATE TABLE xapi_attachments (
    org_id INTEGER NOT NULL,
    sha2 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (org_id, sha2)
);

-- State, activity profile and agent profile documents. Absent keys are stored as '' so the key is one unique index.
CREATE TABLE xapi_documents (
    org_id INTEGER NOT NULL,
    -- 'state', 'activity_profile' or 'agent_profile'
    kind TEXT NOT NULL,
    activity_iri TEXT NOT NULL,
    agent_ifi TEXT NOT NULL,
    registration TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    etag TEXT NOT NULL,
    updated_us INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind, activity_iri, agent_ifi, registration, doc_id)
);

-- Statements are immutable: nothing is deleted, and only the JSON may be rewritten, by erasure (pseudonymising a
-- person's identifiers, UK GDPR article 17), which is recorded in xapi_erasures.
CREATE TRIGGER xapi_statements_no_delete BEFORE DELETE ON xapi_statements
BEGIN SELECT RAISE(ABORT, 'xAPI statements are immutable; void them instead'); END;
CREATE TRIGGER xapi_statements_no_update BEFORE UPDATE OF seq, org_id, id, stored_us, timestamp_us, actor_id, verb_id,
    object_activity_id, object_agent_id, statement_ref, registration, voids, credential_id ON xapi_statements
BEGIN SELECT RAISE(ABORT, 'xAPI statements are immutable; void them instead'); END;

-- Erasures: a person's identifiers replaced by a pseudonym across the organisation's statements and documents.
CREATE TABLE xapi_erasures (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    -- What replaced the identifier (never the identifier itself, which is what was erased).
    pseudonym TEXT NOT NULL,
    statements INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    erased_by INTEGER REFERENCES accounts(id),
    erased_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

-- Feeding compliance: which statements become training records. `activity` is an activity IRI, or a prefix ending
-- in '*'; `verbs` are the verb IRIs that count (space-separated). Mappings are retired, never edited.
CREATE TABLE xapi_mappings (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    activity TEXT NOT NULL,
    subject TEXT NOT NULL,
    level INTEGER NOT NULL,
    verbs TEXT NOT NULL,
    require_success BOOLEAN NOT NULL,
    min_scaled_score REAL,
    hours REAL,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES accounts(id),
    retired_at TEXT
);
CREATE INDEX xapi_mappings_org ON xapi_mappings (org_id);

-- The training record a statement became, so that voiding the statement withdraws it.
CREATE TABLE xapi_statement_records (
    org_id INTEGER NOT NULL,
    statement_id BLOB NOT NULL,
    record_id INTEGER NOT NULL REFERENCES training_records(id),
    PRIMARY KEY (org_id, statement_id, record_id)
);

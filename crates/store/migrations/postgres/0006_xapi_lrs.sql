-- The built-in xAPI Learning Record Store: one per organisation. Statements are immutable (voiding is a separate,
-- append-only fact); documents (state, activity and agent profiles) are the mutable part of the specification.

-- Client applications' HTTP Basic credentials. The secret is 256 random bits, so its SHA-256 is stored: fast to check
-- on every request and useless to anyone who reads the table.
CREATE TABLE lrs_credentials (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    can_write BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX lrs_credentials_org ON lrs_credentials (org_id);

-- Agents, activities and verbs are stored once per organisation and referred to by number, so the per-statement
-- index rows stay small at tens of millions of statements.
CREATE TABLE xapi_agents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    -- The canonical inverse functional identifier, e.g. mbox:mailto:a@b.
    ifi TEXT NOT NULL,
    -- The latest Agent or Group object seen with it (its name), for the Agents resource.
    agent_json TEXT NOT NULL,
    UNIQUE (org_id, ifi)
);

CREATE TABLE xapi_activities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    iri TEXT NOT NULL,
    -- The canonical Activity object (definitions merged as statements arrive), for the Activities resource.
    activity_json TEXT NOT NULL,
    UNIQUE (org_id, iri)
);

CREATE TABLE xapi_verbs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    iri TEXT NOT NULL,
    UNIQUE (org_id, iri)
);

CREATE TABLE xapi_statements (
    -- Storage order; statements are returned newest first by it and `more` links page by it.
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    -- The statement's UUID, 16 bytes.
    id BYTEA NOT NULL,
    -- Microseconds since 1970, UTC.
    stored_us BIGINT NOT NULL,
    timestamp_us BIGINT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES xapi_agents(id),
    verb_id BIGINT NOT NULL REFERENCES xapi_verbs(id),
    object_activity_id BIGINT REFERENCES xapi_activities(id),
    object_agent_id BIGINT REFERENCES xapi_agents(id),
    -- The UUID a StatementRef object points at (voiding statements point at what they void).
    statement_ref BYTEA,
    registration BYTEA,
    -- This statement voids statement_ref.
    voids BOOLEAN NOT NULL,
    -- The statement as the LRS returns it in the exact format.
    statement_json TEXT NOT NULL,
    -- The credential that stored it.
    credential_id BIGINT NOT NULL REFERENCES lrs_credentials(id),
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
    agent_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    direct BOOLEAN NOT NULL,
    PRIMARY KEY (agent_id, seq)
);

CREATE TABLE xapi_statement_activities (
    activity_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    direct BOOLEAN NOT NULL,
    PRIMARY KEY (activity_id, seq)
);

-- Voided statements: the voiding statement's seq for each target. A statement is never edited.
CREATE TABLE xapi_voided (
    org_id BIGINT NOT NULL,
    target_id BYTEA NOT NULL,
    voided_by_seq BIGINT NOT NULL,
    PRIMARY KEY (org_id, target_id)
);

-- Attachment payloads, stored once per organisation by their SHA-2 hash.
CREATE TABLE xapi_attachments (
    org_id BIGINT NOT NULL,
    sha2 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (org_id, sha2)
);

-- State, activity profile and agent profile documents. Absent keys are stored as '' so the key is one unique index.
CREATE TABLE xapi_documents (
    org_id BIGINT NOT NULL,
    -- 'state', 'activity_profile' or 'agent_profile'
    kind TEXT NOT NULL,
    activity_iri TEXT NOT NULL,
    agent_ifi TEXT NOT NULL,
    registration TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BYTEA NOT NULL,
    etag TEXT NOT NULL,
    updated_us BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind, activity_iri, agent_ifi, registration, doc_id)
);

-- Statements are immutable: nothing is deleted, and only the JSON may be rewritten, by erasure (pseudonymising a
-- person's identifiers, UK GDPR article 17), which is recorded in xapi_erasures.
CREATE FUNCTION lantern_xapi_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (NEW.seq, NEW.org_id, NEW.id, NEW.stored_us, NEW.timestamp_us, NEW.actor_id, NEW.verb_id,
        NEW.object_activity_id, NEW.object_agent_id, NEW.statement_ref, NEW.registration, NEW.voids, NEW.credential_id)
        IS DISTINCT FROM (OLD.seq, OLD.org_id, OLD.id, OLD.stored_us, OLD.timestamp_us, OLD.actor_id, OLD.verb_id,
        OLD.object_activity_id, OLD.object_agent_id, OLD.statement_ref, OLD.registration, OLD.voids, OLD.credential_id)
    THEN
        RAISE EXCEPTION 'xAPI statements are immutable; void them instead';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER xapi_statements_immutable BEFORE UPDATE OR DELETE ON xapi_statements
    FOR EACH ROW EXECUTE FUNCTION lantern_xapi_immutable();

-- Erasures: a person's identifiers replaced by a pseudonym across the organisation's statements and documents.
CREATE TABLE xapi_erasures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    -- What replaced the identifier (never the identifier itself, which is what was erased).
    pseudonym TEXT NOT NULL,
    statements BIGINT NOT NULL,
    documents BIGINT NOT NULL,
    erased_by BIGINT REFERENCES accounts(id),
    erased_at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL
);

-- Feeding compliance: which statements become training records. `activity` is an activity IRI, or a prefix ending
-- in '*'; `verbs` are the verb IRIs that count (space-separated). Mappings are retired, never edited.
CREATE TABLE xapi_mappings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    activity TEXT NOT NULL,
    subject TEXT NOT NULL,
    level BIGINT NOT NULL,
    verbs TEXT NOT NULL,
    require_success BOOLEAN NOT NULL,
    min_scaled_score DOUBLE PRECISION,
    hours DOUBLE PRECISION,
    created_at TIMESTAMPTZ NOT NULL,
    created_by BIGINT REFERENCES accounts(id),
    retired_at TIMESTAMPTZ
);
CREATE INDEX xapi_mappings_org ON xapi_mappings (org_id);

-- The training record a statement became, so that voiding the statement withdraws it.
CREATE TABLE xapi_statement_records (
    org_id BIGINT NOT NULL,
    statement_id BYTEA NOT NULL,
    record_id BIGINT NOT NULL REFERENCES training_records(id),
    PRIMARY KEY (org_id, statement_id, record_id)
);

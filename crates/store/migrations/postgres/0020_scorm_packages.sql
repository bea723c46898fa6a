-- SCORM packages (issue 16): the files of imported packages, content-addressed, the launches that let a player on
-- the content origin read one attempt's package and write its data, and what SCOs commit. Keep in step with
-- ../sqlite/0020_scorm_packages.sql. Append-only, like the rest of learning delivery.

-- A file's content, once however many packages (and organisations) hold it: its SHA-256 and size, and the bytes in
-- chunks of at most 1 MiB, so no file is ever held whole in memory to store or serve it.
CREATE TABLE package_blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL
);

CREATE TABLE package_blob_chunks (
    sha256 TEXT NOT NULL REFERENCES package_blobs(sha256),
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (sha256, seq)
);

-- An imported package, named in courses by its digest (SHA-256 over its paths and their contents): the same
-- package imported twice is one package. `manifest` is the checked manifest as JSON.
CREATE TABLE scorm_packages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    digest TEXT NOT NULL,
    title TEXT NOT NULL,
    manifest TEXT NOT NULL,
    file_count BIGINT NOT NULL,
    unpacked_bytes BIGINT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    imported_by BIGINT REFERENCES accounts(id),
    UNIQUE (org_id, digest)
);

CREATE TABLE scorm_package_files (
    package_id BIGINT NOT NULL REFERENCES scorm_packages(id),
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES package_blobs(sha256),
    PRIMARY KEY (package_id, path)
);

-- A launch: the hash of the random token in the player's URL on the content origin, which is its only credential.
-- It reaches one attempt's one package module, until it expires.
CREATE TABLE scorm_launches (
    token_hash TEXT PRIMARY KEY,
    attempt_id BIGINT NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    package_id BIGINT NOT NULL REFERENCES scorm_packages(id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- Each commit of a SCO's run-time data (flattened CMI elements as JSON); the latest per item is what a new session
-- resumes from.
CREATE TABLE scorm_commits (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempt_id BIGINT NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    item TEXT NOT NULL,
    cmi TEXT NOT NULL,
    committed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX scorm_commits_item ON scorm_commits (attempt_id, module_key, item, id);

CREATE TRIGGER package_blobs_append_only BEFORE UPDATE OR DELETE ON package_blobs
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER package_blob_chunks_append_only BEFORE UPDATE OR DELETE ON package_blob_chunks
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER scorm_packages_append_only BEFORE UPDATE OR DELETE ON scorm_packages
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER scorm_package_files_append_only BEFORE UPDATE OR DELETE ON scorm_package_files
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER scorm_launches_append_only BEFORE UPDATE OR DELETE ON scorm_launches
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER scorm_commits_append_only BEFORE UPDATE OR DELETE ON scorm_commits
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

-- SCORM packages (issue 16): the files of imported packages, content-addressed, the launches that let a player on
-- the content origin read one attempt's package and write its data, and what SCOs commit. Keep in step with
-- ../postgres/0020_scorm_packages.sql. Append-only, like the rest of learning delivery.

-- A file's content, once however many packages (and organisations) hold it: its SHA-256 and size, and the bytes in
-- chunks of at most 1 MiB, so no file is ever held whole in memory to store or serve it.
CREATE TABLE package_blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL
);

CREATE TABLE package_blob_chunks (
    sha256 TEXT NOT NULL REFERENCES package_blobs(sha256),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (sha256, seq)
);

-- An imported package, named in courses by its digest (SHA-256 over its paths and their contents): the same
-- package imported twice is one package. `manifest` is the checked manifest as JSON.
CREATE TABLE scorm_packages (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    digest TEXT NOT NULL,
    title TEXT NOT NULL,
    manifest TEXT NOT NULL,
    file_count INTEGER NOT NULL,
    unpacked_bytes INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by INTEGER REFERENCES accounts(id),
    UNIQUE (org_id, digest)
);

CREATE TABLE scorm_package_files (
    package_id INTEGER NOT NULL REFERENCES scorm_packages(id),
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES package_blobs(sha256),
    PRIMARY KEY (package_id, path)
);

-- A launch: the hash of the random token in the player's URL on the content origin, which is its only credential.
-- It reaches one attempt's one package module, until it expires.
CREATE TABLE scorm_launches (
    token_hash TEXT PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    package_id INTEGER NOT NULL REFERENCES scorm_packages(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Each commit of a SCO's run-time data (flattened CMI elements as JSON); the latest per item is what a new session
-- resumes from.
CREATE TABLE scorm_commits (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES course_attempts(id),
    module_key TEXT NOT NULL,
    item TEXT NOT NULL,
    cmi TEXT NOT NULL,
    committed_at TEXT NOT NULL
);
CREATE INDEX scorm_commits_item ON scorm_commits (attempt_id, module_key, item, id);

CREATE TRIGGER package_blobs_append_only_update BEFORE UPDATE ON package_blobs BEGIN SELECT RAISE(ABORT, 'package files are append-only'); END;
CREATE TRIGGER package_blobs_append_only_delete BEFORE DELETE ON package_blobs BEGIN SELECT RAISE(ABORT, 'package files are append-only'); END;
CREATE TRIGGER package_blob_chunks_append_only_update BEFORE UPDATE ON package_blob_chunks BEGIN SELECT RAISE(ABORT, 'package files are append-only'); END;
CREATE TRIGGER package_blob_chunks_append_only_delete BEFORE DELETE ON package_blob_chunks BEGIN SELECT RAISE(ABORT, 'package files are append-only'); END;
CREATE TRIGGER scorm_packages_append_only_update BEFORE UPDATE ON scorm_packages BEGIN SELECT RAISE(ABORT, 'packages are append-only'); END;
CREATE TRIGGER scorm_packages_append_only_delete BEFORE DELETE ON scorm_packages BEGIN SELECT RAISE(ABORT, 'packages are append-only'); END;
CREATE TRIGGER scorm_package_files_append_only_update BEFORE UPDATE ON scorm_package_files BEGIN SELECT RAISE(ABORT, 'packages are append-only'); END;
CREATE TRIGGER scorm_package_files_append_only_delete BEFORE DELETE ON scorm_package_files BEGIN SELECT RAISE(ABORT, 'packages are append-only'); END;
CREATE TRIGGER scorm_launches_append_only_update BEFORE UPDATE ON scorm_launches BEGIN SELECT RAISE(ABORT, 'launches are append-only'); END;
CREATE TRIGGER scorm_launches_append_only_delete BEFORE DELETE ON scorm_launches BEGIN SELECT RAISE(ABORT, 'launches are append-only'); END;
CREATE TRIGGER scorm_commits_append_only_update BEFORE UPDATE ON scorm_commits BEGIN SELECT RAISE(ABORT, 'commits are append-only'); END;
CREATE TRIGGER scorm_commits_append_only_delete BEFORE DELETE ON scorm_commits BEGIN SELECT RAISE(ABORT, 'commits are append-only'); END;

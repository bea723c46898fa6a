-- The xAPI version a credential's client speaks: what the LRS announces (X-Experience-API-Version) when a request
-- with this credential names no version it can use, so that the 400 it answers says a version the client knows.
-- Credentials made before this keep 1.0.3, which is what the LRS announced until now.
ALTER TABLE lrs_credentials ADD COLUMN default_version TEXT NOT NULL DEFAULT '1.0.3'
    CHECK (default_version IN ('1.0.3', '2.0.0'));

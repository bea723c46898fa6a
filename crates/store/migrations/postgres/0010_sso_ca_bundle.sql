-- An organisation's own certificate authorities for its identity provider (PEM, one or more certificates), trusted
-- for that provider only, in addition to the public roots. Empty: the public roots only.
ALTER TABLE sso_providers ADD COLUMN ca_bundle TEXT NOT NULL DEFAULT '';

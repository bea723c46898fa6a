-- Expired sessions are deleted at each sign-in; this keeps that a range scan.
CREATE INDEX sessions_expires ON sessions (expires_at);

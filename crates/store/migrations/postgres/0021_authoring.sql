-- Authoring in the browser: drafts of courses and banks, lesson images, and sharing courses with other
-- organisations. Keep in step with ../sqlite/0021_authoring.sql. Append-only like the rest of learning: a saved
-- draft, an upload and a change of who a course is shared with are each a new row; the latest is in force.

-- A draft an author saved before publishing: the whole course or bank as JSON. The latest per code is the draft.
CREATE TABLE authoring_drafts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL CHECK (kind IN ('course', 'bank')),
    code TEXT NOT NULL,
    body TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    saved_by BIGINT REFERENCES accounts(id)
);
CREATE INDEX authoring_drafts_code ON authoring_drafts (org_id, kind, code, id);

-- An image for the organisation's lessons, checked by its content (PNG, JPEG, GIF or WebP) and size before it is
-- stored. A lesson names it (`![Fire exit](exit.png)`); a later upload under the same name replaces it for new views.
CREATE TABLE lesson_images (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL,
    uploaded_by BIGINT REFERENCES accounts(id)
);
CREATE INDEX lesson_images_name ON lesson_images (org_id, name, id);

-- Who a course is shared with, as set at one moment: every organisation, or the ones listed in
-- course_share_orgs. The latest row per course is in force; an empty, not-everyone row withdraws sharing.
CREATE TABLE course_shares (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    everyone BOOLEAN NOT NULL,
    shared_at TIMESTAMPTZ NOT NULL,
    shared_by BIGINT REFERENCES accounts(id)
);
CREATE INDEX course_shares_course ON course_shares (course_id, id);

CREATE TABLE course_share_orgs (
    share_id BIGINT NOT NULL REFERENCES course_shares(id),
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (share_id, org_id)
);
CREATE INDEX course_share_orgs_org ON course_share_orgs (org_id, share_id);

CREATE TRIGGER authoring_drafts_append_only BEFORE UPDATE OR DELETE ON authoring_drafts
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER lesson_images_append_only BEFORE UPDATE OR DELETE ON lesson_images
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_shares_append_only BEFORE UPDATE OR DELETE ON course_shares
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER course_share_orgs_append_only BEFORE UPDATE OR DELETE ON course_share_orgs
    FOR EACH ROW EXECUTE FUNCTION lantern_append_only();

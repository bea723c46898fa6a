-- Authoring in the browser: drafts of courses and banks, lesson images, and sharing courses with other
-- organisations. Keep in step with ../postgres/0021_authoring.sql. Append-only like the rest of learning: a saved
-- draft, an upload and a change of who a course is shared with are each a new row; the latest is in force.

-- A draft an author saved before publishing: the whole course or bank as JSON. The latest per code is the draft.
CREATE TABLE authoring_drafts (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL CHECK (kind IN ('course', 'bank')),
    code TEXT NOT NULL,
    body TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by INTEGER REFERENCES accounts(id)
);
CREATE INDEX authoring_drafts_code ON authoring_drafts (org_id, kind, code, id);

-- An image for the organisation's lessons, checked by its content (PNG, JPEG, GIF or WebP) and size before it is
-- stored. A lesson names it (`![Fire exit](exit.png)`); a later upload under the same name replaces it for new views.
CREATE TABLE lesson_images (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by INTEGER REFERENCES accounts(id)
);
CREATE INDEX lesson_images_name ON lesson_images (org_id, name, id);

-- Who a course is shared with, as set at one moment: every organisation, or the ones listed in
-- course_share_orgs. The latest row per course is in force; an empty, not-everyone row withdraws sharing.
CREATE TABLE course_shares (
    id INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES courses(id),
    everyone INTEGER NOT NULL CHECK (everyone IN (0, 1)),
    shared_at TEXT NOT NULL,
    shared_by INTEGER REFERENCES accounts(id)
);
CREATE INDEX course_shares_course ON course_shares (course_id, id);

CREATE TABLE course_share_orgs (
    share_id INTEGER NOT NULL REFERENCES course_shares(id),
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (share_id, org_id)
);
CREATE INDEX course_share_orgs_org ON course_share_orgs (org_id, share_id);

CREATE TRIGGER authoring_drafts_append_only_update BEFORE UPDATE ON authoring_drafts BEGIN SELECT RAISE(ABORT, 'drafts are append-only'); END;
CREATE TRIGGER authoring_drafts_append_only_delete BEFORE DELETE ON authoring_drafts BEGIN SELECT RAISE(ABORT, 'drafts are append-only'); END;
CREATE TRIGGER lesson_images_append_only_update BEFORE UPDATE ON lesson_images BEGIN SELECT RAISE(ABORT, 'lesson images are append-only'); END;
CREATE TRIGGER lesson_images_append_only_delete BEFORE DELETE ON lesson_images BEGIN SELECT RAISE(ABORT, 'lesson images are append-only'); END;
CREATE TRIGGER course_shares_append_only_update BEFORE UPDATE ON course_shares BEGIN SELECT RAISE(ABORT, 'course shares are append-only'); END;
CREATE TRIGGER course_shares_append_only_delete BEFORE DELETE ON course_shares BEGIN SELECT RAISE(ABORT, 'course shares are append-only'); END;
CREATE TRIGGER course_share_orgs_append_only_update BEFORE UPDATE ON course_share_orgs BEGIN SELECT RAISE(ABORT, 'course shares are append-only'); END;
CREATE TRIGGER course_share_orgs_append_only_delete BEFORE DELETE ON course_share_orgs BEGIN SELECT RAISE(ABORT, 'course shares are append-only'); END;

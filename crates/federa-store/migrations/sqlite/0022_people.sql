-- People: users, known by their OpenID Connect subject or created by an
-- admin; their memberships of participants, each with a role and the
-- projects of the participant its service rights are limited to (a JSON
-- array of project ids, empty for the whole participant); and their
-- personal tokens, each acting for one participant the user belongs to.
-- Only the SHA-256 of a token's value is kept.
CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    oidc_subject TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE memberships (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    participant_id BLOB NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'approver', 'manager', 'owner')),
    project_ids TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (user_id, participant_id)
);
CREATE INDEX memberships_participant ON memberships (participant_id);

CREATE TABLE personal_tokens (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    participant_id BLOB NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hashed_value TEXT NOT NULL UNIQUE,
    expire_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX personal_tokens_user ON personal_tokens (user_id);

-- The person who acted, on events a personal token (or a person's OpenID
-- Connect login) caused.
ALTER TABLE events ADD COLUMN initiator_user_id BLOB;

-- People: users, known by their OpenID Connect subject or created by an
-- admin; their memberships of participants, each with a role and the
-- projects of the participant its service rights are limited to (a JSON
-- array of project ids, empty for the whole participant); and their
-- personal tokens, each acting for one participant the user belongs to.
-- Only the SHA-256 of a token's value is kept.
CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    oidc_subject TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    participant_id UUID NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'approver', 'manager', 'owner')),
    project_ids JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, participant_id)
);
CREATE INDEX memberships_participant ON memberships (participant_id);

CREATE TABLE personal_tokens (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    participant_id UUID NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hashed_value TEXT NOT NULL UNIQUE,
    expire_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX personal_tokens_user ON personal_tokens (user_id);

-- The person who acted, on events a personal token (or a person's OpenID
-- Connect login) caused; carried through numbering like every other column.
ALTER TABLE events ADD COLUMN initiator_user_id UUID;
ALTER TABLE unnumbered_events ADD COLUMN initiator_user_id UUID;

CREATE OR REPLACE FUNCTION federa_number_events(batch BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    last_number BIGINT;
    last_time TIMESTAMPTZ;
    moved BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM unnumbered_events) THEN
        RETURN 0;
    END IF;
    SELECT last_sequence, last_created_at INTO last_number, last_time
        FROM event_counter WHERE singleton = 1 FOR UPDATE;
    WITH taken AS (
        DELETE FROM unnumbered_events WHERE insert_order IN
            (SELECT insert_order FROM unnumbered_events ORDER BY insert_order LIMIT batch)
        RETURNING *
    ), numbered AS (
        INSERT INTO events (sequence_number, id, type, initiator_type, initiator_id, initiator_user_id, entity_id, provider_id, consumer_id, agent_id, properties, created_at)
        SELECT last_number + ROW_NUMBER() OVER (ORDER BY insert_order), id, type, initiator_type, initiator_id, initiator_user_id, entity_id, provider_id, consumer_id, agent_id, properties,
               GREATEST(last_time, MAX(created_at) OVER (ORDER BY insert_order))
        FROM taken
        RETURNING sequence_number, created_at
    )
    UPDATE event_counter SET last_sequence = highest.number, last_created_at = highest.at
        FROM (SELECT MAX(sequence_number) AS number, MAX(created_at) AS at, COUNT(*) AS moved FROM numbered) highest
        WHERE singleton = 1 AND highest.number IS NOT NULL
        RETURNING highest.moved INTO moved;
    RETURN COALESCE(moved, 0);
END $$;

CREATE TABLE participants (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX participants_name ON participants (name);

CREATE TABLE tokens (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hashed_value TEXT NOT NULL UNIQUE,
    expire_at TEXT,
    participant_id BLOB REFERENCES participants (id) ON DELETE CASCADE,
    agent_id BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tokens_participant ON tokens (participant_id);
CREATE INDEX tokens_agent ON tokens (agent_id);

-- One row holding the last event sequence number. Writers increment it in
-- their own transaction; the row lock orders commits by sequence number, so
-- a reader never sees a later event before an earlier one.
CREATE TABLE event_counter (
    singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    last_sequence INTEGER NOT NULL
);
INSERT INTO event_counter (singleton, last_sequence) VALUES (1, 0);

CREATE TABLE events (
    sequence_number INTEGER PRIMARY KEY NOT NULL,
    id BLOB NOT NULL UNIQUE,
    type TEXT NOT NULL,
    initiator_type TEXT NOT NULL,
    initiator_id TEXT NOT NULL,
    entity_id BLOB,
    provider_id BLOB,
    consumer_id BLOB,
    agent_id BLOB,
    properties TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX events_entity ON events (entity_id);
CREATE INDEX events_provider ON events (provider_id);
CREATE INDEX events_consumer ON events (consumer_id);

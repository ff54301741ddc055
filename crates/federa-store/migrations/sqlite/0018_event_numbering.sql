-- The same table as PostgreSQL's, where events wait to be numbered after
-- their transaction commits. SQLite has one writer, so it numbers each
-- event as it is written (holding the counter costs no other writer
-- anything) and this table stays empty.
CREATE TABLE unnumbered_events (
    insert_order INTEGER PRIMARY KEY NOT NULL,
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

-- Events are numbered after their transaction commits, not inside it. A
-- writer puts its events in `unnumbered_events` with the change they
-- describe; federa_number_events() moves committed ones into `events`
-- with the next numbers, in the order they were inserted. Only that one
-- statement holds the counter's row lock, for as long as it runs, so
-- writers no longer hold it from their first event until their commit
-- and no longer commit one after another.
--
-- Subscribers still read 1, 2, 3, … with no gap, and never a later number
-- before an earlier one: `events` holds only numbered events, the numbers
-- of one call commit together, and a call numbers after the last number
-- the call before it committed (it waited for that call's lock).
CREATE TABLE unnumbered_events (
    -- Taken as the event is inserted: a write that begins after another
    -- committed gets later values, so its events are numbered after.
    insert_order BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    type TEXT NOT NULL,
    initiator_type TEXT NOT NULL,
    initiator_id TEXT NOT NULL,
    entity_id UUID,
    provider_id UUID,
    consumer_id UUID,
    agent_id UUID,
    properties JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Numbers up to `batch` committed unnumbered events and answers how many.
-- Each statement of a volatile function reads a fresh snapshot, so the
-- move sees every event committed before the counter's lock was granted,
-- including those of the call that held it last. An event is stamped no
-- earlier than the one numbered before it, as before.
CREATE FUNCTION federa_number_events(batch BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$
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
        INSERT INTO events (sequence_number, id, type, initiator_type, initiator_id, entity_id, provider_id, consumer_id, agent_id, properties, created_at)
        SELECT last_number + ROW_NUMBER() OVER (ORDER BY insert_order), id, type, initiator_type, initiator_id, entity_id, provider_id, consumer_id, agent_id, properties,
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

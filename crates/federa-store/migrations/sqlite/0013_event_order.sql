-- The time of the latest numbered event: an event is never stamped earlier
-- than the one numbered before it, so createdAt follows sequenceNumber.
ALTER TABLE event_counter ADD COLUMN last_created_at TEXT;
UPDATE event_counter SET last_created_at = (SELECT MAX(created_at) FROM events) WHERE singleton = 1;

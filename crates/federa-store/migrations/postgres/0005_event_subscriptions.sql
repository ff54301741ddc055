-- External systems reading the event log. Each subscriber's progress is the
-- last sequence number it acknowledged; one of its instances at a time holds
-- a lease that lets it advance that progress.
CREATE TABLE event_subscriptions (
    subscriber_id TEXT PRIMARY KEY NOT NULL,
    last_event_sequence_processed BIGINT NOT NULL DEFAULT 0
        CHECK (last_event_sequence_processed >= 0),
    lease_owner_instance_id TEXT,
    lease_acquired_at TIMESTAMPTZ,
    lease_expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK ((lease_owner_instance_id IS NULL) = (lease_expires_at IS NULL)),
    CHECK ((lease_owner_instance_id IS NULL) = (lease_acquired_at IS NULL))
);

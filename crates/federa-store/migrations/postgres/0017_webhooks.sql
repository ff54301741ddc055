-- Webhook endpoints and their delivery log. An endpoint's signing secret
-- is kept sealed by the vault (`sealed:v1:…`), never in plain text.
CREATE TABLE webhook_endpoints (
    id UUID PRIMARY KEY NOT NULL,
    -- NULL for an admin's endpoint, which is sent every event.
    participant_id UUID REFERENCES participants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- A JSON array of event kinds; empty means all the owner may see.
    event_types JSONB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('Enabled', 'Disabled')),
    sealed_secret TEXT NOT NULL,
    -- Every event up to this one has a delivery row or is not wanted.
    last_event_sequence BIGINT NOT NULL CHECK (last_event_sequence >= 0),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_participant ON webhook_endpoints (participant_id);

-- One row per event an endpoint is sent, written before the first attempt
-- so that a restart resumes it.
CREATE TABLE webhook_deliveries (
    id UUID PRIMARY KEY NOT NULL,
    endpoint_id UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id UUID NOT NULL,
    event_sequence BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    attempts BIGINT NOT NULL CHECK (attempts >= 0),
    last_status_code BIGINT,
    last_error TEXT,
    next_attempt_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (endpoint_id, event_sequence)
);
-- An endpoint's undelivered row, found without reading its whole log.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, delivered_at, event_sequence);

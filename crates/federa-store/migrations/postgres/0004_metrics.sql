-- Kinds of measurement. Agents name the type when they report, so names
-- are unique.
CREATE TABLE metric_types (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    entity_type TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Measurements: many, small and never changed, so they have no updated_at
-- and record no event each. The service's agent, provider and consumer are
-- copied onto every row so that scoped listing needs no join; created_at is
-- the time of measurement.
CREATE TABLE metric_entries (
    id UUID PRIMARY KEY NOT NULL,
    service_id UUID NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    type_id UUID NOT NULL REFERENCES metric_types (id) ON DELETE RESTRICT,
    agent_id UUID NOT NULL,
    provider_id UUID NOT NULL,
    consumer_id UUID NOT NULL,
    resource_id TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- Aggregation reads one series (service, resource, type) over a time range.
CREATE INDEX metric_entries_series ON metric_entries (service_id, resource_id, type_id, created_at);
-- Participants and agents list their own entries, newest or oldest first.
CREATE INDEX metric_entries_provider ON metric_entries (provider_id, created_at);
CREATE INDEX metric_entries_consumer ON metric_entries (consumer_id, created_at);
CREATE INDEX metric_entries_agent ON metric_entries (agent_id, created_at);
-- Deleting a metric type checks for its entries without a scan.
CREATE INDEX metric_entries_type ON metric_entries (type_id);

-- Service pools: provider-owned values handed out exclusively to services.

CREATE TABLE service_pool_sets (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    provider_id UUID NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_pool_sets_provider ON service_pool_sets (provider_id);

-- A property names its pool by type, looked up in the agent's set: one
-- pool per type and set, or the choice would be arbitrary.
CREATE TABLE service_pools (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    property_type TEXT NOT NULL,
    generator_type TEXT NOT NULL,
    generator_config JSONB,
    service_pool_set_id UUID NOT NULL REFERENCES service_pool_sets (id) ON DELETE RESTRICT,
    provider_id UUID NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (service_pool_set_id, type)
);
CREATE INDEX service_pools_provider ON service_pools (provider_id);

-- `address` is set only on values a subnet pool generated; being unique per
-- pool, two concurrent orders can never both insert the same address.
CREATE TABLE service_pool_values (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    value JSONB NOT NULL,
    service_pool_id UUID NOT NULL REFERENCES service_pools (id) ON DELETE RESTRICT,
    provider_id UUID NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    service_id UUID REFERENCES services (id) ON DELETE RESTRICT,
    property_name TEXT,
    allocated_at TIMESTAMPTZ,
    address TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (service_pool_id, address)
);
CREATE INDEX service_pool_values_free ON service_pool_values (service_pool_id, service_id);
CREATE INDEX service_pool_values_service ON service_pool_values (service_id);
CREATE INDEX service_pool_values_provider ON service_pool_values (provider_id);

CREATE TABLE service_types (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    property_schema JSONB,
    lifecycle_schema JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE agent_types (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    configuration_schema JSONB,
    config_template TEXT,
    cmd_template TEXT,
    config_content_type TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- A service type still offered by an agent type cannot be deleted.
CREATE TABLE agent_type_service_types (
    agent_type_id UUID NOT NULL REFERENCES agent_types (id) ON DELETE CASCADE,
    service_type_id UUID NOT NULL REFERENCES service_types (id) ON DELETE RESTRICT,
    PRIMARY KEY (agent_type_id, service_type_id)
);
CREATE INDEX agent_type_service_types_service_type ON agent_type_service_types (service_type_id);

CREATE TABLE agents (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    participant_id UUID NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    agent_type_id UUID NOT NULL REFERENCES agent_types (id) ON DELETE RESTRICT,
    tags JSONB NOT NULL,
    configuration JSONB,
    service_pool_set_id UUID,
    last_status_update TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX agents_participant ON agents (participant_id);
CREATE INDEX agents_agent_type ON agents (agent_type_id);

CREATE TABLE service_groups (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    consumer_id UUID NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_groups_consumer ON service_groups (consumer_id);

CREATE TABLE service_option_types (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE service_options (
    id UUID PRIMARY KEY NOT NULL,
    provider_id UUID NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    service_option_type_id UUID NOT NULL REFERENCES service_option_types (id) ON DELETE RESTRICT,
    name TEXT NOT NULL,
    value JSONB NOT NULL,
    enabled BOOLEAN NOT NULL,
    display_order INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_options_provider ON service_options (provider_id, service_option_type_id);

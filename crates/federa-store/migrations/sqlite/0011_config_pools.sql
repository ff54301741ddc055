-- Config pools: values handed out exclusively to agents whose configuration
-- schema asks for one. A pool without a participant is global.

CREATE TABLE config_pools (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    property_type TEXT NOT NULL,
    generator_type TEXT NOT NULL,
    generator_config TEXT,
    participant_id BLOB REFERENCES participants (id) ON DELETE RESTRICT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- An agent looks its pool up by type among its provider's and the global
-- ones, so each scope has at most one pool of a type. That a global pool
-- also excludes participant pools of its type is checked by the insert.
CREATE UNIQUE INDEX config_pools_global_type ON config_pools (type) WHERE participant_id IS NULL;
CREATE UNIQUE INDEX config_pools_participant_type ON config_pools (participant_id, type) WHERE participant_id IS NOT NULL;

-- The same shape as service_pool_values, so claims and releases share
-- their statements; `address` stays empty while config pools only list.
CREATE TABLE config_pool_values (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    config_pool_id BLOB NOT NULL REFERENCES config_pools (id) ON DELETE RESTRICT,
    participant_id BLOB REFERENCES participants (id) ON DELETE RESTRICT,
    agent_id BLOB REFERENCES agents (id) ON DELETE RESTRICT,
    property_name TEXT,
    allocated_at TEXT,
    address TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (config_pool_id, address)
);
CREATE INDEX config_pool_values_free ON config_pool_values (config_pool_id, agent_id);
CREATE INDEX config_pool_values_agent ON config_pool_values (agent_id);
CREATE INDEX config_pool_values_participant ON config_pool_values (participant_id);

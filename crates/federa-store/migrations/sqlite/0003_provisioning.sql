CREATE TABLE services (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    service_type_id BLOB NOT NULL REFERENCES service_types (id) ON DELETE RESTRICT,
    group_id BLOB NOT NULL REFERENCES service_groups (id) ON DELETE RESTRICT,
    provider_id BLOB NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    consumer_id BLOB NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    agent_id BLOB NOT NULL REFERENCES agents (id) ON DELETE RESTRICT,
    agent_instance_id TEXT,
    agent_instance_data TEXT,
    properties TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX services_consumer ON services (consumer_id);
CREATE INDEX services_provider ON services (provider_id);
CREATE INDEX services_agent ON services (agent_id);
CREATE INDEX services_group ON services (group_id);
-- Instance ids come from each provider's own infrastructure, so they are
-- unique per agent only.
CREATE UNIQUE INDEX services_agent_instance ON services (agent_id, agent_instance_id);

CREATE TABLE jobs (
    id BLOB PRIMARY KEY NOT NULL,
    service_id BLOB NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    agent_id BLOB NOT NULL,
    provider_id BLOB NOT NULL,
    consumer_id BLOB NOT NULL,
    group_id BLOB NOT NULL,
    action TEXT NOT NULL,
    params TEXT,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    error_message TEXT,
    attempts INTEGER NOT NULL,
    claimed_at TEXT,
    lease_expires_at TEXT,
    completed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- At most one active job per service, enforced by the database so that two
-- racing requests cannot both queue one.
CREATE UNIQUE INDEX jobs_one_active_per_service ON jobs (service_id) WHERE status IN ('Pending', 'Processing');
CREATE INDEX jobs_agent_status ON jobs (agent_id, status, group_id);
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'Processing';
CREATE INDEX jobs_service ON jobs (service_id);

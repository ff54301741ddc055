-- A scoped list reads each of the caller's relations to a row (provider,
-- consumer, agent) as its own branch, in the list's default order
-- (`created_at`, then `id`), and stops after the page: each branch walks
-- one of these indexes from its start, so a page costs the same however
-- many rows the participant has. They replace the single-column indexes
-- they begin with, which served the same lookups by participant.
DROP INDEX services_consumer;
DROP INDEX services_provider;
DROP INDEX services_agent;
CREATE INDEX services_consumer_order ON services (consumer_id, created_at, id);
CREATE INDEX services_provider_order ON services (provider_id, created_at, id);
CREATE INDEX services_agent_order ON services (agent_id, created_at, id);
CREATE INDEX jobs_consumer_order ON jobs (consumer_id, created_at, id);
CREATE INDEX jobs_provider_order ON jobs (provider_id, created_at, id);

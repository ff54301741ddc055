-- A claim walks the agent's pending jobs in the order they are handed out
-- and stops after the few it takes; for each it looks up whether the job
-- leads its group (this index's second part) and whether the group has a
-- job in progress (`jobs_agent_status`). Each is an index probe, so a claim
-- costs the same however long the agent's backlog is.
CREATE INDEX jobs_pending_order ON jobs (agent_id, priority DESC, created_at, id) WHERE status = 'Pending';
CREATE INDEX jobs_group_pending_order ON jobs (group_id, agent_id, priority DESC, created_at, id) WHERE status = 'Pending';

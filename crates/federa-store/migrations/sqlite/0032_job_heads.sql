-- Each service group's next job for its agent, kept as a flag so that a
-- claim reads only the jobs it may take: `head` is set on the pending job
-- an agent takes next from a group (the first by priority then age) while
-- the group has no job of that agent in progress, and on no other job.
-- The store's writes of jobs keep it so; a claim walks `jobs_heads` in
-- hand-out order and stops at its limit, whatever the backlog behind.
ALTER TABLE jobs ADD COLUMN head INTEGER NOT NULL DEFAULT 0;

UPDATE jobs SET head = 1
WHERE status = 'Pending'
  AND NOT EXISTS (SELECT 1 FROM jobs busy WHERE busy.group_id = jobs.group_id AND busy.agent_id = jobs.agent_id AND busy.status = 'Processing')
  AND id = (SELECT lead.id FROM jobs lead WHERE lead.group_id = jobs.group_id AND lead.agent_id = jobs.agent_id AND lead.status = 'Pending'
            ORDER BY lead.priority DESC, lead.created_at, lead.id LIMIT 1);

CREATE INDEX jobs_heads ON jobs (agent_id, priority DESC, created_at, id) WHERE head;
CREATE INDEX jobs_group_heads ON jobs (group_id, agent_id) WHERE head;
-- Claims walked this one before; nothing else reads it.
DROP INDEX jobs_pending_order;

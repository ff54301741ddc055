-- An agent's name is unique within its provider, so that the provider, its
-- console and its install commands can tell agents apart by name. Agents
-- already sharing a name keep the oldest one's; the others get their id
-- appended.

UPDATE agents SET name = name || ' (' || lower(hex(id)) || ')'
WHERE EXISTS (
    SELECT 1 FROM agents AS older
    WHERE older.participant_id = agents.participant_id
      AND older.name = agents.name
      AND (older.created_at < agents.created_at
           OR (older.created_at = agents.created_at AND older.id < agents.id))
);
CREATE UNIQUE INDEX agents_participant_name ON agents (participant_id, name);

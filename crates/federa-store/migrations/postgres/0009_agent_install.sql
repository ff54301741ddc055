-- One install credential per agent. Only the SHA-256 of its value is kept;
-- the plain value exists in the answer that created it and nowhere else.
-- Deleting the agent or its bootstrap token takes the credential along.
CREATE TABLE agent_installs (
    id UUID PRIMARY KEY NOT NULL,
    agent_id UUID NOT NULL UNIQUE REFERENCES agents (id) ON DELETE CASCADE,
    hashed_value TEXT NOT NULL UNIQUE,
    bootstrap_token_id UUID NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX agent_installs_bootstrap ON agent_installs (bootstrap_token_id);

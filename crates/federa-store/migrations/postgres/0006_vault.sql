-- Secret property values, sealed with AES-256-GCM under the server's vault
-- key; properties and job params hold only `vault://<reference>`.
--
-- No foreign keys: a secret is written before the service or agent row that
-- will hold its reference commits, so the owner may not exist yet (or never,
-- when that write fails). Secrets no committed row holds are swept after a
-- grace period instead.
CREATE TABLE vault_secrets (
    reference TEXT PRIMARY KEY NOT NULL,
    ciphertext BYTEA NOT NULL,
    nonce BYTEA NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('persistent', 'ephemeral')),
    -- The service whose properties hold it; NULL for agent configuration.
    service_id UUID,
    -- The only agent allowed to read it.
    agent_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ
);
CREATE INDEX vault_secrets_service ON vault_secrets (service_id);
CREATE INDEX vault_secrets_agent ON vault_secrets (agent_id);

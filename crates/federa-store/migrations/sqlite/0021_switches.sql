-- Switches: a consumer's service moved to another provider with its data
-- (EU Data Act, Chapter VI). `stage` is the switch's stage, kept as a
-- column so lists filter on it, the sweep finds the switches still moving
-- and every change is a conditional update from the stage it was read in.
-- `progress` holds the rest of the domain's record (digests, failure,
-- history); `job_id` is the job of the current step. `transfer_token` is
-- the token the target agent shows the source agent, sealed with the
-- vault's key, until the import no longer needs it.
CREATE TABLE switches (
    id BLOB PRIMARY KEY NOT NULL,
    consumer_id BLOB NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    source_service_id BLOB NOT NULL,
    target_service_id BLOB NOT NULL,
    source_provider_id BLOB NOT NULL,
    target_provider_id BLOB NOT NULL,
    stage TEXT NOT NULL,
    progress TEXT NOT NULL,
    plan TEXT NOT NULL,
    export_report TEXT,
    transfer_token TEXT,
    job_id BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX switches_consumer ON switches (consumer_id);
CREATE INDEX switches_stage ON switches (stage);
CREATE INDEX switches_source ON switches (source_service_id);
CREATE INDEX switches_target ON switches (target_service_id);

-- What an agent reported with a completed job beyond the service's
-- properties: an export's size, SHA-256 and address, an import's digest.
ALTER TABLE jobs ADD COLUMN result TEXT;

-- Switches: a consumer's service moved to another provider with its data
-- (EU Data Act, Chapter VI). `stage` is the switch's stage, kept as a
-- column so lists filter on it, the sweep finds the switches still moving
-- and every change is a conditional update from the stage it was read in.
-- `progress` holds the rest of the domain's record (digests, failure,
-- history); `job_id` is the job of the current step. `transfer_token` is
-- the token the target agent shows the source agent, sealed with the
-- vault's key, until the import no longer needs it.
CREATE TABLE switches (
    id UUID PRIMARY KEY NOT NULL,
    consumer_id UUID NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    source_service_id UUID NOT NULL,
    target_service_id UUID NOT NULL,
    source_provider_id UUID NOT NULL,
    target_provider_id UUID NOT NULL,
    stage TEXT NOT NULL,
    progress JSONB NOT NULL,
    plan JSONB NOT NULL,
    export_report JSONB,
    transfer_token TEXT,
    job_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX switches_consumer ON switches (consumer_id);
CREATE INDEX switches_stage ON switches (stage);
CREATE INDEX switches_source ON switches (source_service_id);
CREATE INDEX switches_target ON switches (target_service_id);

-- What an agent reported with a completed job beyond the service's
-- properties: an export's size, SHA-256 and address, an import's digest.
ALTER TABLE jobs ADD COLUMN result JSONB;

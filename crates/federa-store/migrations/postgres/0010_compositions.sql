-- Compositions: several services a consumer orders together. The spec is
-- kept as submitted; `intent` is what the consumer last asked of the whole
-- (provision, rollBack, delete) and `status` the overall status derived
-- from the members, kept so lists filter on it and the sweep finds the
-- compositions still moving.
CREATE TABLE compositions (
    id UUID PRIMARY KEY NOT NULL,
    consumer_id UUID NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    group_id UUID NOT NULL,
    name TEXT NOT NULL,
    spec JSONB NOT NULL,
    intent TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX compositions_consumer ON compositions (consumer_id);
CREATE INDEX compositions_status ON compositions (status);

-- One row per component. Every change of `state` is a conditional update
-- from the state it was read in, so of two replicas advancing the same
-- member only one succeeds. `service_id` has no foreign key: the member
-- row and its service are written in one transaction, and services are
-- never removed, only moved to a terminal state.
CREATE TABLE composition_members (
    composition_id UUID NOT NULL REFERENCES compositions (id) ON DELETE CASCADE,
    member_key TEXT NOT NULL,
    position BIGINT NOT NULL,
    state TEXT NOT NULL,
    service_id UUID,
    job_id UUID,
    provider_id UUID,
    country TEXT,
    explanation TEXT,
    error TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (composition_id, member_key)
);
CREATE INDEX composition_members_service ON composition_members (service_id);

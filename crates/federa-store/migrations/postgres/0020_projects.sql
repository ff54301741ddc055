-- Projects: a consumer's cost centres, each named once within its consumer.
-- A service group may belong to one project of its consumer; a project is
-- not deleted while a group still belongs to it.
--
-- `service_limit` caps how many services not in a terminal state may exist
-- at once: on a project, over its groups' services; on a participant, over
-- all the services it consumes. NULL means no limit.
CREATE TABLE projects (
    id UUID PRIMARY KEY NOT NULL,
    consumer_id UUID NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
    name TEXT NOT NULL,
    description TEXT,
    service_limit INTEGER CHECK (service_limit >= 0),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (consumer_id, name)
);

ALTER TABLE service_groups ADD COLUMN project_id UUID REFERENCES projects (id) ON DELETE RESTRICT;
CREATE INDEX service_groups_project ON service_groups (project_id);

ALTER TABLE participants ADD COLUMN service_limit INTEGER CHECK (service_limit >= 0);

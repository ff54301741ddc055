-- A composition switches as one: a switch per member, sharing the id of
-- the composition switch they make up, which cuts over all or none.
ALTER TABLE switches ADD COLUMN composition_switch_id BLOB;
ALTER TABLE switches ADD COLUMN composition_id BLOB;
ALTER TABLE switches ADD COLUMN member_key TEXT;
CREATE INDEX switches_composition_switch ON switches (composition_switch_id);

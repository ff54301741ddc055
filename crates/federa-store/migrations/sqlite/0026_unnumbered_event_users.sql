-- Events waiting to be numbered keep the acting user as events do, so the
-- table stays the same as PostgreSQL's (where 0022 added the column). It
-- stays empty on SQLite, which numbers each event as it writes it.
ALTER TABLE unnumbered_events ADD COLUMN initiator_user_id BLOB;

-- SQLite's unnumbered_events gains initiator_user_id here, which
-- PostgreSQL's took in 0022; nothing changes on this engine.
SELECT 1;

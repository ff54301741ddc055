-- A completed job keeps a digest of the report that completed it, so a
-- repeated report is told apart from a conflicting one.
ALTER TABLE jobs ADD COLUMN outcome_digest TEXT;

-- What the service's agent last saw of it on the platform (`Running`,
-- `Stopped` or `Missing`) and when; empty until the agent reports.
ALTER TABLE services ADD COLUMN observed_state TEXT;
ALTER TABLE services ADD COLUMN observed_at TIMESTAMPTZ;

-- Orders with binding quotes: a consumer's order of one service, placed and
-- quoted when made. `state` is the order's state, kept as a column so lists
-- filter on it and every change is a conditional update from the state it
-- was read in (two accepts of one order write one service). `item` is the
-- service asked for, `quote` what the exchange bound itself to (offering,
-- its version and price components, estimate, exit terms, expiry).
-- `provider_id` is the quote's provider once the consumer accepted it,
-- NULL before, so a provider lists only the orders accepted on it.
-- `service_id` is the service ordered on acceptance; its bills use the
-- quoted price from `accepted_at` over the quote's term.
CREATE TABLE orders (
    id BLOB PRIMARY KEY NOT NULL,
    consumer_id BLOB NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    project_id BLOB REFERENCES projects (id) ON DELETE SET NULL,
    provider_id BLOB,
    state TEXT NOT NULL,
    item TEXT NOT NULL,
    quote TEXT NOT NULL,
    service_id BLOB,
    accepted_at TEXT,
    decided_by BLOB,
    reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX orders_consumer_order ON orders (consumer_id, created_at, id);
CREATE INDEX orders_provider_order ON orders (provider_id, created_at, id);
CREATE UNIQUE INDEX orders_service ON orders (service_id);

-- EUR a month above which an order's quote accepted for the project waits
-- for an approver; an exact decimal string, NULL for no threshold.
ALTER TABLE projects ADD COLUMN approval_threshold TEXT;

-- The upkeep finds the orders still waiting on someone, oldest first, to
-- expire the ones whose quote lapsed.
CREATE INDEX orders_state ON orders (state, created_at, id);

-- An order holds one or several lines, each an item with its quote, the
-- service ordered for it and when its provider accepted it: `lines` is
-- the order's document, written whole with every move of the order.
-- `order_lines` indexes what queries look lines up by: the provider each
-- is quoted on (a provider lists the orders that reached it) and the
-- service ordered for it (a bill finds its quote, a finished `create`
-- job its order). An order of one service becomes an order of one line.
-- An order of a composition keeps the composition's spec in
-- `composition` (its components are the lines), and `composition_id` is
-- the composition ordered on acceptance, by which its members' services
-- are recorded on their lines and its end settles the order.
ALTER TABLE orders ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';
UPDATE orders SET lines = json_array(json_object(
    'item', json(item),
    'quote', json(quote),
    'serviceId', lower(substr(hex(service_id), 1, 8) || '-' || substr(hex(service_id), 9, 4) || '-'
        || substr(hex(service_id), 13, 4) || '-' || substr(hex(service_id), 17, 4) || '-'
        || substr(hex(service_id), 21))
));
CREATE TABLE order_lines (
    order_id BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    provider_id BLOB NOT NULL,
    service_id BLOB,
    PRIMARY KEY (order_id, position)
);
INSERT INTO order_lines (order_id, position, provider_id, service_id)
SELECT id, 0, unhex(replace(json_extract(quote, '$.providerId'), '-', '')), service_id FROM orders;
CREATE INDEX order_lines_provider ON order_lines (provider_id, order_id);
CREATE UNIQUE INDEX order_lines_service ON order_lines (service_id);
DROP INDEX orders_provider_order;
DROP INDEX orders_service;
ALTER TABLE orders DROP COLUMN provider_id;
ALTER TABLE orders DROP COLUMN service_id;
ALTER TABLE orders DROP COLUMN item;
ALTER TABLE orders DROP COLUMN quote;
ALTER TABLE orders ADD COLUMN composition TEXT;
ALTER TABLE orders ADD COLUMN composition_id BLOB;
CREATE INDEX orders_composition ON orders (composition_id);

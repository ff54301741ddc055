-- An offering may ask its provider to accept each order placed on it:
-- an order's quote on it, once its consumer accepted it, waits for the
-- provider before the service is ordered. Offerings published before
-- asked nothing of the kind.
ALTER TABLE offerings ADD COLUMN requires_acceptance BOOLEAN NOT NULL DEFAULT FALSE;

-- Limits on sums of quota-counted properties (such as `vcpus`), on
-- consumers and projects: a JSON object of quota name to limit, NULL for
-- none. A service type's property schema says which of its properties
-- count towards which quota; a service is checked against the limits in
-- the transaction that writes it.
ALTER TABLE participants ADD COLUMN property_limits JSONB;
ALTER TABLE projects ADD COLUMN property_limits JSONB;

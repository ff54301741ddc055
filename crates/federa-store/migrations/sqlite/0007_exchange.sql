-- The exchange: provider profiles, offerings with their price history,
-- consumers' placement policies, and the placement decision behind each
-- service placed through the exchange. Amounts are decimal strings (inside
-- JSON documents or as TEXT), never floating point.

CREATE TABLE provider_profiles (
    participant_id BLOB PRIMARY KEY NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    jurisdiction TEXT NOT NULL,
    subject_to_non_eu_law INTEGER NOT NULL,
    regions TEXT NOT NULL,
    certifications TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- An offering needs its provider's profile: the regions it names are
-- declared there, so the profile cannot go while offerings remain.
CREATE TABLE offerings (
    id BLOB PRIMARY KEY NOT NULL,
    participant_id BLOB NOT NULL REFERENCES provider_profiles (participant_id) ON DELETE RESTRICT,
    service_type_id BLOB NOT NULL REFERENCES service_types (id) ON DELETE RESTRICT,
    regions TEXT NOT NULL,
    price TEXT NOT NULL,
    capacity INTEGER,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX offerings_participant ON offerings (participant_id);
CREATE INDEX offerings_service_type ON offerings (service_type_id);

-- Every price an offering has had, so past usage is billed at the price
-- in force at the time and a price change never rewrites an old bill.
CREATE TABLE offering_prices (
    offering_id BLOB NOT NULL REFERENCES offerings (id) ON DELETE CASCADE,
    effective_from TEXT NOT NULL,
    price TEXT NOT NULL,
    PRIMARY KEY (offering_id, effective_from)
);

CREATE TABLE placement_policies (
    id BLOB PRIMARY KEY NOT NULL,
    participant_id BLOB NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    rules TEXT NOT NULL,
    attached INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX placement_policies_participant ON placement_policies (participant_id);

-- Written just before its service, in a transaction of its own, so a
-- service placed through the exchange never exists without its offering;
-- `service_id` has no foreign key for that reason, and readers join
-- `services` so a placement whose service was never created counts nowhere.
-- Placements keep their offering: an offering that placed services stays.
CREATE TABLE placements (
    id BLOB PRIMARY KEY NOT NULL,
    service_id BLOB NOT NULL UNIQUE,
    consumer_id BLOB NOT NULL,
    provider_id BLOB NOT NULL,
    offering_id BLOB NOT NULL REFERENCES offerings (id) ON DELETE RESTRICT,
    agent_id BLOB NOT NULL,
    region TEXT NOT NULL,
    hourly_price TEXT NOT NULL,
    request TEXT NOT NULL,
    decision TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX placements_offering ON placements (offering_id);
CREATE INDEX placements_consumer ON placements (consumer_id);

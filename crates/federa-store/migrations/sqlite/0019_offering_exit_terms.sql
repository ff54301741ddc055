-- An offering's exit terms (EU Data Act, Chapter VI): notice and
-- transitional periods, what is exportable in which format, and the
-- switching charge, as one JSON document. NULL in offerings published
-- before terms were kept; they are read as the defaults, which ask
-- nothing of the customer.
ALTER TABLE offerings ADD COLUMN exit_terms TEXT;

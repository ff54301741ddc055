//! The market rules of the exchange: provider profiles, offerings, placement, pricing and billing.

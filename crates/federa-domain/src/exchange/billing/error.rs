//! Why a bill cannot be computed.

use chrono::{DateTime, Utc};
use thiserror::Error;
use uuid::Uuid;

/// A refused billing computation. Money is never approximated: a figure
/// that does not fit a decimal is an error, not a saturated amount.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BillingError {
    #[error("billing period must end after it starts (from {from} to {to})")]
    EmptyPeriod {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    #[error("property `{property}` of service {service_id} is too large to bill")]
    PropertyTooLarge { service_id: Uuid, property: String },
    #[error("`{description}` of service {service_id} is too large to compute")]
    LineTooLarge {
        service_id: Uuid,
        description: String,
    },
    #[error("the total of the lines is too large to compute")]
    TotalTooLarge,
}

//! Services and their jobs.

mod job_heads;
mod jobs;
pub(crate) mod services;
mod ties;

pub use jobs::{JobFinish, Lease};
pub use services::{ServiceOrder, ServiceTypeRules};
pub use ties::ServiceTies;

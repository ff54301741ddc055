//! Services and their jobs.

mod jobs;
pub(crate) mod services;

pub use jobs::{JobFinish, Lease};
pub use services::{ServiceOrder, ServiceTypeRules};

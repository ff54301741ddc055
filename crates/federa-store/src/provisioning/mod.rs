//! Services and their jobs.

mod jobs;
pub(crate) mod services;

pub use jobs::JobFinish;
pub use services::ServiceTypeRules;

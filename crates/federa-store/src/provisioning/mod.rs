//! Services and their jobs.

mod jobs;
mod services;

pub use jobs::JobFinish;
pub use services::ServiceTypeRules;

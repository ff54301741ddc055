//! The tables of the commercial layer inside a consumer: its projects,
//! and the check of its service quotas in an order's write.

mod projects;
pub mod quotas;

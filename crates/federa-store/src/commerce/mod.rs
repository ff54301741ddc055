//! The tables of the commercial layer inside a consumer: its projects,
//! its orders with their quotes, and the check of its service quotas in an
//! order's write.

pub mod budgets;
pub mod orders;
mod projects;
pub mod quotas;

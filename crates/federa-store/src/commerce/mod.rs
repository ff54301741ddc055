//! The tables of the commercial layer inside a consumer: its projects,
//! its orders with their quotes, the budgets and limits it and its
//! projects hold, and the check of those quotas in an order's write.

pub mod budgets;
pub mod holders;
pub mod orders;
mod projects;
pub mod quotas;

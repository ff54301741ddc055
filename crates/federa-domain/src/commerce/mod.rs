//! The commercial layer inside a consumer: its projects (cost centres),
//! which its service groups, and so its services, belong to, and the
//! quotas on how many services a consumer or a project holds, and its
//! orders with binding quotes.

pub mod budget;
pub mod order;
pub mod project;
pub mod quota;

pub use budget::{Budget, OverBudget};
pub use order::{
    needs_approval, Order, OrderComposition, OrderItem, OrderLine, OrderState, Quote, ORDER_LIST,
};

pub use project::{check_description, Project, MAX_DESCRIPTION_CHARS, PROJECT_LIST};
pub use quota::{
    check_property_limits, PropertyLimits, Quota, QuotaMeasure, QuotaScope, QuotaUsage, QuotaUse,
};

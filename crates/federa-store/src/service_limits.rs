//! The quotas that apply to an order, in a file of their own: the read
//! caches keep them, and the quota checks that read them use the caches.

use uuid::Uuid;

/// The quotas that apply to an order, as last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceLimits {
    pub consumer_limit: Option<i32>,
    pub consumer_budget: Option<i64>,
    pub project_id: Option<Uuid>,
    pub project_limit: Option<i32>,
    pub project_budget: Option<i64>,
    /// Whether either holder sets limits on quota-counted properties.
    pub property_limits: bool,
}

impl ServiceLimits {
    pub fn any(&self) -> bool {
        self.consumer_limit.is_some()
            || self.project_limit.is_some()
            || self.consumer_budget.is_some()
            || self.project_budget.is_some()
            || self.property_limits
    }
}

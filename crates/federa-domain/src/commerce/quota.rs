//! Quotas on how many services a consumer holds: a limit on a project
//! counts the services of its groups, a limit on the consumer all of its
//! services; only services not in a terminal state of their lifecycle
//! count. An order that would pass a limit is refused, naming the limit.

use std::fmt;

use uuid::Uuid;

/// What a service quota is set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaScope {
    /// The consumer's `serviceLimit`, over all its services.
    Consumer,
    /// A project's `serviceLimit`, over the services of its groups.
    Project,
}

impl QuotaScope {
    /// The quota's name on the wire: where it is set, and the field.
    pub fn name(self) -> &'static str {
        match self {
            QuotaScope::Consumer => "consumer.serviceLimit",
            QuotaScope::Project => "project.serviceLimit",
        }
    }
}

/// A reached quota: its limit and how many services count against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub scope: QuotaScope,
    /// The consumer or project the limit is set on.
    pub holder_id: Uuid,
    pub limit: u32,
    /// Services not in a terminal state, when it was read.
    pub count: u32,
}

impl fmt::Display for QuotaUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let holder = match self.scope {
            QuotaScope::Consumer => "consumer",
            QuotaScope::Project => "project",
        };
        write!(
            f,
            "the {holder}'s quota {} of {} services not in a terminal state is reached: it has {}",
            self.scope.name(),
            self.limit,
            self.count
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reached_quota_says_which_it_is_its_limit_and_its_count() {
        let usage = QuotaUsage {
            scope: QuotaScope::Project,
            holder_id: Uuid::nil(),
            limit: 5,
            count: 5,
        };
        assert_eq!(
            usage.to_string(),
            "the project's quota project.serviceLimit of 5 services not in a terminal state is reached: it has 5"
        );
    }
}

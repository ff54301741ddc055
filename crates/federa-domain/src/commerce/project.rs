//! A project: a consumer's cost centre, named uniquely within the consumer.
//! Service groups may belong to one, so a consumer's services can be told
//! apart by the project they are for.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::access::Owners;
use crate::commerce::{Budget, OverBudget, PropertyLimits};
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Most services not in a terminal state its groups may hold at once.
    pub service_limit: Option<u32>,
    /// EUR a month above which a quote accepted for the project waits for
    /// an approver of the consumer.
    pub approval_threshold: Option<Decimal>,
    /// What its services may be forecast to cost a month.
    pub budget: Option<Budget>,
    /// What accepting an order past the budget does.
    pub over_budget: OverBudget,
    /// Limits on sums of quota-counted properties over its services.
    pub property_limits: PropertyLimits,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    /// A project belongs to its consumer, which is the owner for access rules.
    pub fn owners(&self) -> Owners {
        Owners::owner(self.consumer_id).with_consumer(self.consumer_id)
    }
}

pub const PROJECT_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("consumerId", "consumer_id", FilterKind::Uuid),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// An optional free text: trimmed, blank meaning none, at most
/// [`MAX_DESCRIPTION_CHARS`] characters.
pub fn check_description(path: &str, text: &str) -> Result<Option<String>, FieldError> {
    let trimmed = text.trim();
    if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(FieldError::new(
            path,
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(Some(trimmed.to_string()).filter(|t| !t.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_description_is_none_and_a_long_one_is_refused_by_its_path() {
        assert_eq!(check_description("description", "  "), Ok(None));
        assert_eq!(
            check_description("description", " cost centre "),
            Ok(Some("cost centre".into()))
        );
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        let refused = check_description("description", &long).unwrap_err();
        assert_eq!(refused.path, "description");
    }
}

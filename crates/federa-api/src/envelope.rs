//! The two envelopes every endpoint shares: a page of a list, and an error.

use federa_domain::commerce::{QuotaScope, QuotaUsage, QuotaUse};
use federa_domain::exchange::Decimal;
pub use federa_domain::listing::FieldError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The page envelope, as documented; handlers return the domain's `Page`.
/// Fulcrum's six members, and two of Federa's a Fulcrum client ignores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(bound = "T: utoipa::ToSchema"))]
#[serde(rename_all = "camelCase")]
pub struct PageRes<T> {
    pub items: Vec<T>,
    /// Exact up to 1,000 rows; above, an estimate (`totalIsEstimate`).
    pub total_items: u64,
    pub total_pages: u64,
    /// 0 for a page read after a `cursor`.
    pub current_page: u32,
    pub has_next: bool,
    pub has_prev: bool,
    /// Whether `totalItems` and `totalPages` are an estimate: a list of
    /// more than 1,000 rows is not counted to its end. Present only when
    /// true, so an exactly counted page is Fulcrum's envelope unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub total_is_estimate: bool,
    /// Send as `cursor` (with the same filters and sort, without `page`)
    /// for the rows after this page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The error envelope, as documented.
// Fulcrum's `status` and `error`; a refused request also names every
// failing field, which the published schema leaves out as before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorRes {
    pub status: String,
    pub error: Option<String>,
    /// Each failing field of a 400 (or each missing reference of a 404).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub errors: Vec<FieldError>,
    /// The quota an order would pass (a 409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaRes>,
}

/// A reached quota, in the answer refusing an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QuotaRes {
    /// Where the quota is set and what it measures: `consumer.serviceLimit`,
    /// `project.serviceLimit`, `consumer.monthlyBudget` or
    /// `project.monthlyBudget`.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    /// A service limit, or a limit on a sum of properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Services not in a terminal state that count against the limit, or
    /// the sum of their properties that count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// What the service refused would have added to a property sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adds: Option<u32>,
    /// A monthly budget, EUR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub budget: Option<Decimal>,
    /// EUR a month the services counting against the budget are
    /// forecast to cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub forecast: Option<Decimal>,
    /// EUR a month the service refused would have added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub requested: Option<Decimal>,
}

impl From<QuotaUsage> for QuotaRes {
    fn from(usage: QuotaUsage) -> QuotaRes {
        let holder = Some(usage.holder_id);
        let (consumer_id, project_id) = match usage.scope {
            QuotaScope::Consumer => (holder, None),
            QuotaScope::Project => (None, holder),
        };
        let mut res = QuotaRes {
            name: usage.quota().name(),
            consumer_id,
            project_id,
            limit: None,
            count: None,
            adds: None,
            budget: None,
            forecast: None,
            requested: None,
        };
        let saturated = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        match usage.used {
            QuotaUse::Services { limit, count } => {
                res.limit = Some(limit);
                res.count = Some(count);
            }
            QuotaUse::Property {
                limit,
                total,
                requested,
                ..
            } => {
                res.limit = Some(saturated(limit));
                res.count = Some(saturated(total));
                res.adds = Some(saturated(requested));
            }
            QuotaUse::MonthlyBudget {
                budget,
                forecast,
                requested,
            } => {
                res.budget = Some(budget);
                res.forecast = Some(forecast);
                res.requested = Some(requested);
            }
        }
        res
    }
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`),
/// for a limit that `null` removes.
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(deserializer).map(Some)
}

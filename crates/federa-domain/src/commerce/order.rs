//! An order with a binding quote: a consumer asks for one service, the
//! exchange places it at once and quotes the offering it chose (its
//! version, price components, a monthly estimate and exit terms) until the
//! quote expires. Accepting orders the service at that offering; where the
//! consumer's project sets an approval threshold the quote passes, an
//! approver of the consumer decides first. The states and the moves
//! between them live here; the workflow that writes them is the
//! exchange's `orders`.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::access::Owners;
use crate::event_kind::EventKind;
use crate::exchange::billing::PriceChange;
use crate::exchange::placement::PlacementRequest;
use crate::exchange::{ExitTerms, PriceSheet};
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// How long a quote binds the provider unless the exchange is told otherwise.
pub const DEFAULT_QUOTE_VALIDITY: Duration = Duration::hours(24);

/// How long an accepted quote's prices bind the service's bills, from its
/// acceptance.
pub const QUOTE_TERM_DAYS: i64 = 365;

/// Running hours in an average month (8,760 hours a year over twelve),
/// which a monthly estimate multiplies the hourly price by.
pub const HOURS_PER_MONTH: Decimal = Decimal::from_parts(730, 0, 0, false, 0);

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrderState {
    /// Placed and quoted; waiting for the consumer to accept or cancel.
    Quoted,
    /// Accepted past its project's approval threshold; waiting for an approver.
    AwaitingApproval,
    /// Accepted (and approved where needed) on an offering that requires
    /// its provider's acceptance; waiting for the provider.
    AwaitingProvider,
    /// Accepted (and approved where needed): the service is being ordered.
    Accepted,
    /// The service is ordered and its `create` job is under way.
    Provisioning,
    /// The service's `create` job completed.
    Done,
    /// The service's `create` job failed.
    Failed,
    /// Still waiting on someone when its quote lapsed, or accepted,
    /// approved or confirmed after that; nothing was ordered.
    Expired,
    /// Withdrawn by the consumer before it was accepted.
    Cancelled,
    /// Refused by an approver, with the reason.
    Rejected,
    /// Refused by the provider, with the reason.
    Declined,
}

impl OrderState {
    pub const NAMES: &'static [&'static str] = &[
        "Quoted",
        "AwaitingApproval",
        "AwaitingProvider",
        "Accepted",
        "Provisioning",
        "Done",
        "Failed",
        "Expired",
        "Cancelled",
        "Rejected",
        "Declined",
    ];

    pub const ALL: [OrderState; 11] = [
        OrderState::Quoted,
        OrderState::AwaitingApproval,
        OrderState::AwaitingProvider,
        OrderState::Accepted,
        OrderState::Provisioning,
        OrderState::Done,
        OrderState::Failed,
        OrderState::Expired,
        OrderState::Cancelled,
        OrderState::Rejected,
        OrderState::Declined,
    ];

    /// The states in which an order waits on someone while its quote
    /// binds, and which it leaves for `Expired` once the quote lapses.
    pub const AWAITING: [OrderState; 3] = [
        OrderState::Quoted,
        OrderState::AwaitingApproval,
        OrderState::AwaitingProvider,
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(text: &str) -> Option<OrderState> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// The event kind saying an order entered this state.
    pub fn event_kind(self) -> EventKind {
        match self {
            OrderState::Quoted => EventKind::OrderQuoted,
            OrderState::AwaitingApproval => EventKind::OrderAwaitingApproval,
            OrderState::AwaitingProvider => EventKind::OrderAwaitingProvider,
            OrderState::Accepted => EventKind::OrderAccepted,
            OrderState::Provisioning => EventKind::OrderProvisioning,
            OrderState::Done => EventKind::OrderDone,
            OrderState::Failed => EventKind::OrderFailed,
            OrderState::Expired => EventKind::OrderExpired,
            OrderState::Cancelled => EventKind::OrderCancelled,
            OrderState::Rejected => EventKind::OrderRejected,
            OrderState::Declined => EventKind::OrderDeclined,
        }
    }

    /// The state a consumer's cancel leaves from: before acceptance, or
    /// while an approver or the provider has not decided.
    pub fn cancellable(self) -> bool {
        matches!(
            self,
            OrderState::Quoted | OrderState::AwaitingApproval | OrderState::AwaitingProvider
        )
    }
}

/// The one service an order asks for, as a placed `POST /services` does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub name: String,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Map<String, Value>,
    /// The placement request the offering was chosen under.
    #[serde(default)]
    pub placement: PlacementRequest,
    /// The offering asked for by id, when the consumer named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offering_id: Option<Uuid>,
}

/// What the exchange binds itself and the provider to when the consumer
/// accepts in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub offering_id: Uuid,
    /// How many prices the offering had had when quoted: the first price
    /// is version 1, each change adds one.
    pub offering_version: u32,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub region: String,
    /// The offering's price components, as quoted.
    pub price: PriceSheet,
    /// EUR per running hour for the ordered properties.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hourly_price: Decimal,
    /// EUR a month of running costs (730 hours at `hourlyPrice`), metered
    /// usage excluded.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub monthly_estimate: Decimal,
    pub currency: String,
    pub exit_terms: ExitTerms,
    /// The offering asks its provider to accept each order before the
    /// service is ordered.
    #[serde(default)]
    pub requires_acceptance: bool,
    /// Days from acceptance during which the service is billed at `price`.
    pub term_days: i64,
    pub expires_at: DateTime<Utc>,
}

impl Quote {
    /// The monthly estimate of an hourly price, to the cent (two places
    /// always, as an invoice shows money).
    pub fn monthly(hourly: Decimal) -> Decimal {
        let mut monthly = (hourly * HOURS_PER_MONTH).round_dp(2);
        monthly.rescale(2);
        monthly
    }

    /// Whether the quote still binds at `now`.
    pub fn open_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// The prices `service`'s bills use: `offering_prices` (the offering's
    /// history, oldest first) with the quoted price in force over the
    /// term from `accepted_at`, and after the term the offering's price
    /// then in force.
    pub fn bind(
        &self,
        offering_prices: &[PriceChange],
        accepted_at: DateTime<Utc>,
    ) -> Vec<PriceChange> {
        let until = accepted_at + Duration::days(self.term_days);
        let after_term = offering_prices
            .iter()
            .rev()
            .find(|change| change.effective_from <= until)
            .map(|change| change.price.clone());
        let mut bound: Vec<PriceChange> = offering_prices
            .iter()
            .filter(|change| change.effective_from < accepted_at || change.effective_from > until)
            .cloned()
            .collect();
        bound.push(PriceChange {
            effective_from: accepted_at,
            price: self.price.clone(),
        });
        if let Some(price) = after_term {
            bound.push(PriceChange {
                effective_from: until,
                price,
            });
        }
        bound.sort_by_key(|change| change.effective_from);
        bound
    }
}

/// An order of one service, with its quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: Uuid,
    pub consumer_id: Uuid,
    /// The project of the item's group when ordered, whose approval
    /// threshold applies.
    pub project_id: Option<Uuid>,
    pub state: OrderState,
    pub item: OrderItem,
    pub quote: Quote,
    /// The service ordered on acceptance.
    pub service_id: Option<Uuid>,
    /// When the consumer's acceptance (approved where needed) went to the
    /// provider: the service was ordered, or the provider was asked.
    pub accepted_at: Option<DateTime<Utc>>,
    /// The user who approved or rejected it.
    pub decided_by: Option<Uuid>,
    /// Why it was rejected, cancelled or failed.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// The consumer owns an order; the provider the quote names is its
    /// owner too once the consumer accepted it.
    pub fn owners(&self) -> Owners {
        let mut owners = Owners::none()
            .with_consumer(self.consumer_id)
            .with_project(self.project_id);
        owners.owner = self.visible_provider();
        owners
    }

    /// The provider that may see the order: none until the consumer
    /// accepted it (and an approver approved it where needed), the quote's
    /// provider from then on, whatever follows.
    pub fn visible_provider(&self) -> Option<Uuid> {
        self.accepted_at.map(|_| self.quote.provider_id)
    }
}

/// Whether a quote's `monthly` estimate needs an approver under a project
/// whose threshold is `threshold` (none: never).
pub fn needs_approval(threshold: Option<Decimal>, monthly: Decimal) -> bool {
    threshold.is_some_and(|threshold| monthly > threshold)
}

/// A reason an approver gives: required, trimmed, at most 2,000 characters.
pub fn check_reason(path: &str, text: Option<&str>) -> Result<String, FieldError> {
    let trimmed = text.unwrap_or_default().trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(path, "must not be empty"));
    }
    if trimmed.chars().count() > super::MAX_DESCRIPTION_CHARS {
        return Err(FieldError::new(
            path,
            format!(
                "must be at most {} characters",
                super::MAX_DESCRIPTION_CHARS
            ),
        ));
    }
    Ok(trimmed.to_string())
}

pub const ORDER_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("consumerId", "consumer_id", FilterKind::Uuid),
        FilterSpec::new("providerId", "provider_id", FilterKind::Uuid),
        FilterSpec::new("projectId", "project_id", FilterKind::Uuid),
        FilterSpec::new("serviceId", "service_id", FilterKind::Uuid),
        FilterSpec::new("state", "state", FilterKind::OneOf(OrderState::NAMES)),
    ],
    sorts: &[("createdAt", "created_at"), ("updatedAt", "updated_at")],
    default_sort: ("created_at", false),
};

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn hourly(text: &str) -> PriceSheet {
        PriceSheet {
            hourly: Decimal::from_str(text).expect("decimal"),
            ..PriceSheet::default()
        }
    }

    fn quote(price: &str) -> Quote {
        Quote {
            offering_id: Uuid::from_u128(1),
            offering_version: 1,
            provider_id: Uuid::from_u128(2),
            provider_name: "Nordic".into(),
            region: "fi-hel-1".into(),
            price: hourly(price),
            hourly_price: Decimal::from_str(price).expect("decimal"),
            monthly_estimate: Quote::monthly(Decimal::from_str(price).expect("decimal")),
            currency: "EUR".into(),
            exit_terms: ExitTerms::default(),
            requires_acceptance: false,
            term_days: 30,
            expires_at: at("2026-01-02T00:00:00Z"),
        }
    }

    #[test]
    fn every_state_round_trips_through_its_name() {
        for state in OrderState::ALL {
            assert_eq!(OrderState::parse(state.as_str()), Some(state));
        }
        assert_eq!(OrderState::parse("Done "), None);
    }

    #[test]
    fn a_monthly_estimate_is_730_hours_to_the_cent() {
        assert_eq!(
            Quote::monthly(Decimal::from_str("0.0137").unwrap()).to_string(),
            "10.00"
        );
        assert_eq!(Quote::monthly(Decimal::from(1)).to_string(), "730.00");
    }

    #[test]
    fn the_quoted_price_binds_over_its_term_and_the_offerings_price_resumes_after() {
        let history = vec![
            PriceChange {
                effective_from: at("2026-01-01T00:00:00Z"),
                price: hourly("1"),
            },
            PriceChange {
                effective_from: at("2026-01-10T00:00:00Z"),
                price: hourly("5"),
            },
            PriceChange {
                effective_from: at("2026-03-01T00:00:00Z"),
                price: hourly("7"),
            },
        ];
        let bound = quote("1").bind(&history, at("2026-01-05T00:00:00Z"));
        let summary: Vec<(String, String)> = bound
            .iter()
            .map(|c| (c.effective_from.to_rfc3339(), c.price.hourly.to_string()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("2026-01-01T00:00:00+00:00".into(), "1".into()),
                ("2026-01-05T00:00:00+00:00".into(), "1".into()),
                ("2026-02-04T00:00:00+00:00".into(), "5".into()),
                ("2026-03-01T00:00:00+00:00".into(), "7".into()),
            ]
        );
    }

    #[test]
    fn only_a_threshold_passed_asks_for_approval() {
        let ten = Decimal::from(10);
        assert!(!needs_approval(None, Decimal::from(1_000)));
        assert!(!needs_approval(Some(ten), ten));
        assert!(needs_approval(
            Some(ten),
            Decimal::from_str("10.01").unwrap()
        ));
    }

    #[test]
    fn a_provider_sees_an_order_only_once_accepted() {
        let mut order = Order {
            id: Uuid::from_u128(9),
            consumer_id: Uuid::from_u128(3),
            project_id: None,
            state: OrderState::Quoted,
            item: OrderItem {
                name: "vm".into(),
                service_type_id: Uuid::from_u128(4),
                group_id: Uuid::from_u128(5),
                properties: Map::new(),
                placement: PlacementRequest::default(),
                offering_id: None,
            },
            quote: quote("1"),
            service_id: None,
            accepted_at: None,
            decided_by: None,
            reason: None,
            created_at: at("2026-01-01T00:00:00Z"),
            updated_at: at("2026-01-01T00:00:00Z"),
        };
        assert_eq!(order.owners().owner, None);
        order.state = OrderState::AwaitingApproval;
        assert_eq!(order.owners().owner, None);
        order.state = OrderState::Provisioning;
        order.accepted_at = Some(at("2026-01-01T01:00:00Z"));
        assert_eq!(order.owners().owner, Some(Uuid::from_u128(2)));
        assert_eq!(order.owners().consumer, Some(Uuid::from_u128(3)));
    }
}

//! An order with binding quotes: a consumer asks for one or several
//! services, the exchange places each at once and quotes the offering it
//! chose (its version, price components, a monthly estimate and exit
//! terms) until the quotes expire. Accepting orders every service at its
//! offering, all of them or none; where the consumer's project sets an
//! approval threshold the order's total passes, an approver of the
//! consumer decides first, and where an offering asks its provider to
//! accept, every such provider does. The states and the moves
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
use crate::exchange::composition::CompositionSpec;
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

/// A service an order asks for, as a placed `POST /services` does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// One item of an order with what the exchange quoted for it, and what
/// became of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub item: OrderItem,
    pub quote: Quote,
    /// The service ordered for it once the order was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    /// When the quote's provider accepted it, where the offering asks that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl OrderLine {
    /// Whether the line still waits for its provider's acceptance.
    pub fn awaits_provider(&self) -> bool {
        self.quote.requires_acceptance && self.confirmed_at.is_none()
    }
}

/// A composition an order asks for: its spec, whose components are the
/// order's lines in the same order, and once accepted the composition
/// that orders them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderComposition {
    pub spec: CompositionSpec,
    /// The composition ordered on acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition_id: Option<Uuid>,
}

/// An order of one or several services, each line with its quote. It is
/// accepted, approved, provisioned or refused as a whole: no line's
/// service is ordered unless every line's is.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: Uuid,
    pub consumer_id: Uuid,
    /// The project of the items' group when ordered, whose approval
    /// threshold and budget apply.
    pub project_id: Option<Uuid>,
    pub state: OrderState,
    /// At least one; every item in groups of one consumer and project.
    pub lines: Vec<OrderLine>,
    /// For an order of a composition, the composition: its components are
    /// the lines, ordered by the composition as their dependencies allow.
    pub composition: Option<OrderComposition>,
    /// When the consumer's acceptance (approved where needed) went to the
    /// providers: the services were ordered, or the providers were asked.
    pub accepted_at: Option<DateTime<Utc>>,
    /// The user who approved or rejected it.
    pub decided_by: Option<Uuid>,
    /// Why it was rejected, cancelled or failed.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// The EUR a month of all its lines' running costs.
    pub fn monthly_estimate(&self) -> Decimal {
        let mut total: Decimal = self
            .lines
            .iter()
            .map(|line| line.quote.monthly_estimate)
            .sum();
        total.rescale(2);
        total
    }

    /// When its quotes stop binding: the earliest line's expiry (all of
    /// an order's lines are quoted together).
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.lines
            .iter()
            .map(|line| line.quote.expires_at)
            .min()
            .unwrap_or(self.created_at)
    }

    /// Whether its quotes still bind at `now`.
    pub fn open_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at()
    }

    /// Whether some line's offering asks its provider to accept it.
    pub fn requires_acceptance(&self) -> bool {
        self.lines.iter().any(|line| line.quote.requires_acceptance)
    }

    /// Whether some line still waits for its provider.
    pub fn awaits_providers(&self) -> bool {
        self.lines.iter().any(OrderLine::awaits_provider)
    }

    /// The providers its lines are quoted on, each once, in line order.
    pub fn providers(&self) -> Vec<Uuid> {
        let mut providers: Vec<Uuid> = Vec::new();
        for line in &self.lines {
            if !providers.contains(&line.quote.provider_id) {
                providers.push(line.quote.provider_id);
            }
        }
        providers
    }

    /// The providers that may see the order: none until the consumer
    /// accepted it (and an approver approved it where needed), each
    /// line's provider from then on, whatever follows.
    pub fn visible_providers(&self) -> Vec<Uuid> {
        if self.accepted_at.is_some() {
            self.providers()
        } else {
            Vec::new()
        }
    }

    /// The consumer owns an order; with several providers none is the
    /// order's owner for everyone, so see [`Order::owners_for`].
    pub fn owners(&self) -> Owners {
        let mut owners = Owners::none()
            .with_consumer(self.consumer_id)
            .with_project(self.project_id);
        if let [provider] = self.visible_providers().as_slice() {
            owners.owner = Some(*provider);
        }
        owners
    }

    /// Whose the order is as `participant` sees it: a provider of one of
    /// its lines is an owner once the order reached the providers.
    pub fn owners_for(&self, participant: Option<Uuid>) -> Owners {
        let mut owners = self.owners();
        if let Some(participant) = participant {
            if self.visible_providers().contains(&participant) {
                owners.owner = Some(participant);
            }
        }
        owners
    }

    /// The order as `provider` may see it: only its own lines, since one
    /// provider's prices are no business of another's, and not the rest of
    /// a composition.
    pub fn seen_by_provider(mut self, provider: Uuid) -> Order {
        self.lines.retain(|line| line.quote.provider_id == provider);
        if let Some(composition) = &mut self.composition {
            composition.spec.components.clear();
            composition.spec.relations.clear();
        }
        self
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

/// How many items one order may hold.
pub const MAX_ORDER_ITEMS: usize = 16;

/// The condition that an order reached provider `{}`: one of its lines is
/// quoted on it and the consumer's acceptance went out.
pub const ORDER_PROVIDER: &str = "(orders.accepted_at IS NOT NULL AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = orders.id AND l.provider_id = {}))";

pub const ORDER_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("consumerId", "consumer_id", FilterKind::Uuid),
        FilterSpec::new("providerId", ORDER_PROVIDER, FilterKind::Uuid),
        FilterSpec::new("projectId", "project_id", FilterKind::Uuid),
        FilterSpec::new(
            "serviceId",
            "EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = orders.id AND l.service_id = {})",
            FilterKind::Uuid,
        ),
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
            lines: vec![line("1", 2)],
            composition: None,
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
        // A second provider: each provider owns it as it sees it, and
        // sees only its own lines.
        order.lines.push(line("2", 7));
        assert_eq!(order.owners().owner, None);
        let seventh = Some(Uuid::from_u128(7));
        assert_eq!(order.owners_for(seventh).owner, seventh);
        assert_eq!(order.owners_for(Some(Uuid::from_u128(8))).owner, None);
        let seen = order.clone().seen_by_provider(Uuid::from_u128(7));
        assert_eq!(seen.lines.len(), 1);
        assert_eq!(seen.lines[0].quote.provider_id, Uuid::from_u128(7));
        order.accepted_at = None;
        assert_eq!(order.owners_for(seventh).owner, None);
    }

    #[test]
    fn an_order_totals_its_lines_and_expires_with_its_first_lapsing_quote() {
        let mut order_lines = vec![line("0.01", 2), line("1", 7)];
        order_lines[1].quote.expires_at = at("2026-01-01T12:00:00Z");
        order_lines[1].quote.requires_acceptance = true;
        let mut order = Order {
            id: Uuid::from_u128(9),
            consumer_id: Uuid::from_u128(3),
            project_id: None,
            state: OrderState::Quoted,
            lines: order_lines,
            composition: None,
            accepted_at: None,
            decided_by: None,
            reason: None,
            created_at: at("2026-01-01T00:00:00Z"),
            updated_at: at("2026-01-01T00:00:00Z"),
        };
        assert_eq!(order.monthly_estimate().to_string(), "737.30");
        assert_eq!(order.expires_at(), at("2026-01-01T12:00:00Z"));
        assert!(order.open_at(at("2026-01-01T11:59:59Z")));
        assert!(!order.open_at(at("2026-01-01T12:00:00Z")));
        assert!(order.requires_acceptance());
        assert!(order.awaits_providers());
        order.lines[1].confirmed_at = Some(at("2026-01-01T01:00:00Z"));
        assert!(!order.awaits_providers());
        assert_eq!(
            order.providers(),
            vec![Uuid::from_u128(2), Uuid::from_u128(7)]
        );
    }

    fn line(price: &str, provider: u128) -> OrderLine {
        let mut quoted = quote(price);
        quoted.provider_id = Uuid::from_u128(provider);
        OrderLine {
            item: OrderItem {
                name: "vm".into(),
                service_type_id: Uuid::from_u128(4),
                group_id: Uuid::from_u128(5),
                properties: Map::new(),
                placement: PlacementRequest::default(),
                offering_id: None,
            },
            quote: quoted,
            service_id: None,
            confirmed_at: None,
        }
    }
}

//! Orders with binding quotes: a consumer's order of one or several
//! services, the quote the exchange made for each and where the order
//! stands.

use chrono::{DateTime, Utc};
use federa_domain::commerce::{Order, OrderComposition, OrderItem, OrderLine, OrderState, Quote};

use crate::compositions::CompositionCreateReq;
use federa_domain::exchange::placement::PlacementRequest;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderRes {
    pub id: Uuid,
    pub consumer_id: Uuid,
    /// The project of the service group when ordered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    pub state: OrderState,
    /// Every item with its quote, the service ordered for it and when its
    /// provider accepted it. A provider sees only its own lines.
    pub lines: Vec<OrderLine>,
    /// EUR a month of the lines' running costs, metered usage excluded.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub monthly_estimate: Decimal,
    /// When the quotes stop binding.
    pub expires_at: DateTime<Utc>,
    /// For an order of a composition: its spec, whose components are the
    /// lines in the same order, and once accepted `compositionId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composition: Option<OrderComposition>,
    /// The first line's service (the one service of an order of one);
    /// `lines` has them all.
    pub name: String,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Map<String, Value>,
    pub placement: PlacementRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offering_id: Option<Uuid>,
    /// The first line's quote.
    pub quote: Quote,
    /// The first line's service, ordered once the quote was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    /// The user who approved or rejected it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Uuid>,
    /// Why it was rejected, cancelled or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Order> for OrderRes {
    fn from(order: Order) -> OrderRes {
        let monthly_estimate = order.monthly_estimate();
        let expires_at = order.expires_at();
        // An order has at least one line; a provider's view of one, at
        // least its own.
        let first = order.lines.first().cloned().unwrap_or_default();
        OrderRes {
            id: order.id,
            consumer_id: order.consumer_id,
            project_id: order.project_id,
            state: order.state,
            monthly_estimate,
            expires_at,
            name: first.item.name,
            service_type_id: first.item.service_type_id,
            group_id: first.item.group_id,
            properties: first.item.properties,
            placement: first.item.placement,
            offering_id: first.item.offering_id,
            quote: first.quote,
            service_id: first.service_id,
            lines: order.lines,
            composition: order.composition,
            accepted_at: order.accepted_at,
            decided_by: order.decided_by,
            reason: order.reason,
            created_at: order.created_at,
            updated_at: order.updated_at,
        }
    }
}

/// An order of several services, each item as an order of one is, all in
/// groups of one consumer and one project.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderItemsReq {
    pub items: Vec<OrderItem>,
}

/// An order of a composition, as `POST /compositions` takes one: each
/// component is quoted, and accepting the order submits the composition
/// at the quoted offerings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderCompositionReq {
    pub composition: CompositionCreateReq,
}

/// A new order: one service, as a placed `POST /services` orders it (by a
/// placement request, absent: anywhere, cheapest first; or by naming an
/// offering; or both, the offering then meeting the request), several
/// under `items`, or a composition under `composition`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum OrderCreateReq {
    Items(OrderItemsReq),
    Composition(OrderCompositionReq),
    Item(OrderItem),
}

/// A decision on an order: a reason, required to reject, optional otherwise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderDecisionReq {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

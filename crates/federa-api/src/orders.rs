//! Orders with binding quotes: a consumer's order of one service, the
//! quote the exchange made for it and where the order stands.

use chrono::{DateTime, Utc};
use federa_domain::commerce::{Order, OrderState, Quote};
use federa_domain::exchange::placement::PlacementRequest;
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
    /// The service asked for.
    pub name: String,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Map<String, Value>,
    pub placement: PlacementRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offering_id: Option<Uuid>,
    pub quote: Quote,
    /// The service ordered once the quote was accepted.
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
        OrderRes {
            id: order.id,
            consumer_id: order.consumer_id,
            project_id: order.project_id,
            state: order.state,
            name: order.item.name,
            service_type_id: order.item.service_type_id,
            group_id: order.item.group_id,
            properties: order.item.properties,
            placement: order.item.placement,
            offering_id: order.item.offering_id,
            quote: order.quote,
            service_id: order.service_id,
            accepted_at: order.accepted_at,
            decided_by: order.decided_by,
            reason: order.reason,
            created_at: order.created_at,
            updated_at: order.updated_at,
        }
    }
}

/// One service, as a placed `POST /services` orders it: by a placement
/// request (absent: anywhere, cheapest first), or by naming an offering
/// (or both: the offering must then meet the request).
pub use federa_domain::commerce::OrderItem as OrderCreateReq;

/// A decision on an order: a reason, required to reject, optional otherwise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderDecisionReq {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

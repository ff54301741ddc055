//! Orders with their quotes, one row each. Every change of an order's state
//! is a conditional update from the states it may leave, so two requests
//! racing on one order change it once; accepting one writes its service in
//! the same transaction.

use chrono::{DateTime, Utc};
use federa_domain::commerce::{Order, OrderItem, OrderState, Quote};
use federa_domain::event::NewEvent;
use federa_domain::provisioning::JobStatus;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::provisioning::services::order_statements;
use crate::provisioning::ServiceOrder;
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

/// An order with how its service's `create` job ended.
#[derive(sqlx::FromRow)]
struct ProvisionedRow {
    #[sqlx(flatten)]
    order: Row,
    job_status: String,
    job_error: Option<String>,
}

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    consumer_id: Uuid,
    project_id: Option<Uuid>,
    state: String,
    item: Json<OrderItem>,
    quote: Json<Quote>,
    service_id: Option<Uuid>,
    accepted_at: Option<DateTime<Utc>>,
    decided_by: Option<Uuid>,
    reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Order {
    fn from(row: Row) -> Order {
        Order {
            id: row.id,
            consumer_id: row.consumer_id,
            project_id: row.project_id,
            // Written only from an `OrderState`.
            state: OrderState::parse(&row.state).unwrap_or(OrderState::Failed),
            item: row.item.0,
            quote: row.quote.0,
            service_id: row.service_id,
            accepted_at: row.accepted_at,
            decided_by: row.decided_by,
            reason: row.reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn document(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

impl Record for Order {
    type Row = Row;
    // `provider_id` stays NULL until the consumer accepts, so a provider
    // lists only the orders accepted on it.
    const TABLE: Table = Table::new(
        "orders",
        &[
            "id",
            "consumer_id",
            "project_id",
            "provider_id",
            "state",
            "item",
            "quote",
            "service_id",
            "accepted_at",
            "decided_by",
            "reason",
            "created_at",
            "updated_at",
        ],
        &[],
    )
    .scoped(ScopeColumns {
        owner: Some("provider_id"),
        consumer: Some("consumer_id"),
        agent: None,
    });

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Uuid(self.consumer_id),
            Arg::OptUuid(self.project_id),
            Arg::OptUuid(self.visible_provider()),
            Arg::Text(self.state.as_str().into()),
            Arg::Json(document(&self.item)),
            Arg::Json(document(&self.quote)),
            Arg::OptUuid(self.service_id),
            Arg::OptTime(self.accepted_at),
            Arg::OptUuid(self.decided_by),
            Arg::OptText(self.reason.clone()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

/// A change of an order's state: from any of `from` to `order.state`,
/// writing the order's other changing fields as they are in `order`.
pub struct OrderMove<'a> {
    pub order: &'a Order,
    pub from: &'a [OrderState],
}

impl OrderMove<'_> {
    /// The conditional update: it changes no row when the order has left
    /// `from` meanwhile.
    fn statement(&self) -> Statement {
        let order = self.order;
        let mut args = vec![
            Arg::Uuid(order.id),
            Arg::Text(order.state.as_str().into()),
            Arg::OptUuid(order.visible_provider()),
            Arg::OptUuid(order.service_id),
            Arg::OptTime(order.accepted_at),
            Arg::OptUuid(order.decided_by),
            Arg::OptText(order.reason.clone()),
            Arg::Time(order.updated_at),
        ];
        let first = args.len() + 1;
        let states: Vec<String> = self
            .from
            .iter()
            .enumerate()
            .map(|(index, state)| {
                args.push(Arg::Text(state.as_str().into()));
                format!("${}", first + index)
            })
            .collect();
        Statement::new(
            format!(
                "UPDATE orders SET state = $2, provider_id = $3, service_id = $4, accepted_at = $5, decided_by = $6, reason = $7, updated_at = $8 WHERE id = $1 AND state IN ({})",
                states.join(", ")
            ),
            args,
        )
        .guard()
    }
}

/// What a bill needs of a service ordered through an accepted order.
#[derive(Debug, Clone)]
pub struct QuotedService {
    pub service_id: Uuid,
    pub quote: Quote,
    pub accepted_at: DateTime<Utc>,
}

impl Store {
    /// Writes a new order with the event saying so.
    pub async fn insert_order(&self, order: &Order, event: &NewEvent) -> Result<()> {
        self.insert_record(order, event).await
    }

    /// Moves an order with its events; `false`, with nothing written, when
    /// it had already left `change.from`.
    pub async fn move_order(&self, change: &OrderMove<'_>, events: &[NewEvent]) -> Result<bool> {
        self.apply_if(&[change.statement()], events, change.order.updated_at)
            .await
    }

    /// Moves an order as [`Store::move_order`] does and writes the service
    /// it ordered (its row, `create` job, placement and pool claims, within
    /// its quotas) in the same transaction; `false`, with nothing written,
    /// when the order had left `change.from` (another request accepted it).
    pub async fn order_ordered(
        &self,
        change: &OrderMove<'_>,
        order: ServiceOrder<'_>,
        events: &[NewEvent],
    ) -> Result<bool> {
        let mut statements = vec![change.statement()];
        statements.extend(order_statements(order));
        let written = self
            .apply_if(&statements, events, order.service.created_at)
            .await;
        self.within_quotas(order.quota, written).await
    }

    /// Orders in one of `states`, oldest first: quotes all last as long, so
    /// the oldest lapse first.
    pub async fn orders_in(&self, states: &[OrderState], limit: u32) -> Result<Vec<Order>> {
        let table = <Order as Record>::TABLE;
        let mut filter = Where::new();
        filter.any_of(
            "state",
            states.iter().map(|state| Arg::Text(state.as_str().into())),
        );
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!(
                "{}{} ORDER BY created_at, id LIMIT {limit}",
                table.select(),
                filter.sql()
            ),
            &filter.args,
        )
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// `Provisioning` orders whose service's `create` job is over, oldest
    /// first, each with how the job ended and its error: the orders their
    /// job's finish did not move on.
    pub async fn provisioned_orders(
        &self,
        limit: u32,
    ) -> Result<Vec<(Order, JobStatus, Option<String>)>> {
        let table = <Order as Record>::TABLE;
        let columns: Vec<String> = table.columns.iter().map(|c| format!("o.{c}")).collect();
        let rows: Vec<ProvisionedRow> = fetch_all(
            &self.read,
            &format!(
                "SELECT {}, j.status AS job_status, j.error_message AS job_error FROM orders o \
                 JOIN jobs j ON j.service_id = o.service_id AND j.action = 'create' AND j.status IN ($2, $3) \
                 WHERE o.state = $1 ORDER BY o.created_at, o.id LIMIT {limit}",
                columns.join(", ")
            ),
            &[
                Arg::Text(OrderState::Provisioning.as_str().into()),
                Arg::Text(JobStatus::Completed.as_str().into()),
                Arg::Text(JobStatus::Failed.as_str().into()),
            ],
        )
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let status = JobStatus::parse(&row.job_status)?;
                Some((row.order.into(), status, row.job_error))
            })
            .collect())
    }

    /// The order that ordered `service_id`, if one did.
    pub async fn service_order(&self, service_id: Uuid) -> Result<Option<Order>> {
        let table = <Order as Record>::TABLE;
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{} WHERE service_id = $1", table.select()),
            &[Arg::Uuid(service_id)],
        )
        .await?;
        Ok(row.map(Into::into))
    }

    /// The quotes the services among `service_ids` were ordered under, by
    /// accepted orders.
    pub async fn quoted_services(&self, service_ids: &[Uuid]) -> Result<Vec<QuotedService>> {
        if service_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=service_ids.len()).map(|n| format!("${n}")).collect();
        let args: Vec<Arg> = service_ids.iter().map(|id| Arg::Uuid(*id)).collect();
        let rows: Vec<(Uuid, Json<Quote>, DateTime<Utc>)> = fetch_all(
            &self.read,
            &format!(
                "SELECT service_id, quote, accepted_at FROM orders WHERE service_id IN ({}) AND accepted_at IS NOT NULL",
                placeholders.join(", ")
            ),
            &args,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|(service_id, quote, accepted_at)| QuotedService {
                service_id,
                quote: quote.0,
                accepted_at,
            })
            .collect())
    }
}

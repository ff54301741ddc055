//! Orders with their lines, one row each, and an index of the lines by
//! provider and service. Every change of an order is a conditional update
//! from the states it may leave and the version it was read at, so two
//! requests racing on one order change it once; accepting one writes its
//! services in the same transaction.

use chrono::{DateTime, TimeDelta, Utc};
use federa_domain::commerce::order::ORDER_PROVIDER;
use federa_domain::commerce::{Order, OrderComposition, OrderLine, OrderState, Quote};
use federa_domain::event::NewEvent;
use federa_domain::exchange::composition_progress::CompositionStatus;
use federa_domain::provisioning::JobStatus;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::exchange::compositions::composition_statements;
use crate::exchange::StoredComposition;
use crate::provisioning::services::order_statements;
use crate::provisioning::ServiceOrder;
use crate::records::{insert_statement, Record, Table};
use crate::sql::{Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    consumer_id: Uuid,
    project_id: Option<Uuid>,
    state: String,
    lines: Json<Vec<OrderLine>>,
    composition: Option<Json<OrderComposition>>,
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
            lines: row.lines.0,
            composition: row.composition.map(|composition| composition.0),
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
    // A provider lists an order once the consumer accepted it and one of
    // its lines is quoted on the provider.
    const TABLE: Table = Table::new(
        "orders",
        &[
            "id",
            "consumer_id",
            "project_id",
            "state",
            "lines",
            "composition",
            "composition_id",
            "accepted_at",
            "decided_by",
            "reason",
            "created_at",
            "updated_at",
        ],
        &[],
    )
    .scoped(ScopeColumns {
        owner: Some(ORDER_PROVIDER),
        consumer: Some("consumer_id"),
        agent: None,
    });

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Uuid(self.consumer_id),
            Arg::OptUuid(self.project_id),
            Arg::Text(self.state.as_str().into()),
            Arg::Json(document(&self.lines)),
            composition_document(self),
            Arg::OptUuid(composition_id(self)),
            Arg::OptTime(self.accepted_at),
            Arg::OptUuid(self.decided_by),
            Arg::OptText(self.reason.clone()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

/// The composition an order asks for, as stored: `NULL` for an order of
/// services.
fn composition_document(order: &Order) -> Arg {
    match &order.composition {
        Some(composition) => Arg::Json(document(composition)),
        None => Arg::OptJson(None),
    }
}

fn composition_id(order: &Order) -> Option<Uuid> {
    order
        .composition
        .as_ref()
        .and_then(|composition| composition.composition_id)
}

/// The index rows of `order`'s lines, by provider and by service.
fn line_statements(order: &Order) -> Vec<Statement> {
    order
        .lines
        .iter()
        .enumerate()
        .map(|(position, line)| {
            Statement::new(
                "INSERT INTO order_lines (order_id, position, provider_id, service_id) VALUES ($1, $2, $3, $4)",
                vec![
                    Arg::Uuid(order.id),
                    Arg::Int(i64::try_from(position).unwrap_or(i64::MAX)),
                    Arg::Uuid(line.quote.provider_id),
                    Arg::OptUuid(line.service_id),
                ],
            )
        })
        .collect()
}

/// A change of an order: from any of `from`, and from the version read at
/// `read_at`, to `order` as it is (its state, lines and other changing
/// fields).
pub struct OrderMove<'a> {
    pub order: &'a Order,
    pub from: &'a [OrderState],
    /// The order's `updated_at` when it was read: a write since then makes
    /// this move change nothing.
    pub read_at: DateTime<Utc>,
}

impl OrderMove<'_> {
    /// The time a move written at `now` records: after the version it
    /// moves from, so every version of an order has its own time.
    pub fn stamp(read_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        now.max(read_at + TimeDelta::microseconds(1))
    }

    /// The conditional update: it changes no row when the order has left
    /// `from` or was written meanwhile.
    fn statement(&self) -> Statement {
        let order = self.order;
        let mut args = vec![
            Arg::Uuid(order.id),
            Arg::Text(order.state.as_str().into()),
            Arg::Json(document(&order.lines)),
            Arg::OptTime(order.accepted_at),
            Arg::OptUuid(order.decided_by),
            Arg::OptText(order.reason.clone()),
            Arg::Time(order.updated_at),
            Arg::Time(self.read_at),
            composition_document(order),
            Arg::OptUuid(composition_id(order)),
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
                "UPDATE orders SET state = $2, lines = $3, accepted_at = $4, decided_by = $5, reason = $6, updated_at = $7, composition = $9, composition_id = $10 WHERE id = $1 AND updated_at = $8 AND state IN ({})",
                states.join(", ")
            ),
            args,
        )
        .guard()
    }

    /// The statements recording the services `order`'s lines were given.
    fn service_statements(&self) -> Vec<Statement> {
        let order = self.order;
        order
            .lines
            .iter()
            .enumerate()
            .filter_map(|(position, line)| {
                let service_id = line.service_id?;
                Some(Statement::new(
                    "UPDATE order_lines SET service_id = $3 WHERE order_id = $1 AND position = $2",
                    vec![
                        Arg::Uuid(order.id),
                        Arg::Int(i64::try_from(position).unwrap_or(i64::MAX)),
                        Arg::Uuid(service_id),
                    ],
                ))
            })
            .collect()
    }
}

/// A service's line index with its order's lines and acceptance.
type QuotedRow = (Uuid, i64, Json<Vec<OrderLine>>, DateTime<Utc>);

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
        let mut statements = vec![insert_statement(order)];
        statements.extend(line_statements(order));
        self.apply(&statements, std::slice::from_ref(event), order.created_at)
            .await
    }

    /// Moves an order with its events; `false`, with nothing written, when
    /// it had already left `change.from`.
    pub async fn move_order(&self, change: &OrderMove<'_>, events: &[NewEvent]) -> Result<bool> {
        self.apply_if(&[change.statement()], events, change.order.updated_at)
            .await
    }

    /// Moves an order as [`Store::move_order`] does and writes the services
    /// it ordered, one per line (each service's row, `create` job,
    /// placement and pool claims, within its quotas, the quotas counting
    /// the lines before it), in the same transaction; `false`, with
    /// nothing written, when the order had moved meanwhile (another
    /// request accepted it).
    pub async fn order_ordered(
        &self,
        change: &OrderMove<'_>,
        services: &[ServiceOrder<'_>],
        events: &[NewEvent],
    ) -> Result<bool> {
        let mut statements = vec![change.statement()];
        statements.extend(change.service_statements());
        for service in services {
            statements.extend(order_statements(*service));
        }
        let mut written = self
            .apply_if(&statements, events, change.order.updated_at)
            .await;
        for service in services {
            written = self.within_quotas(service.quota, written).await;
        }
        written
    }

    /// Moves an order as [`Store::move_order`] does and records the
    /// composition it ordered, in the same transaction; `false`, with
    /// nothing written, when the order had moved meanwhile.
    pub async fn order_composed(
        &self,
        change: &OrderMove<'_>,
        composition: &StoredComposition,
        events: &[NewEvent],
    ) -> Result<bool> {
        let mut statements = vec![change.statement()];
        statements.extend(composition_statements(composition));
        self.apply_if(&statements, events, change.order.updated_at)
            .await
    }

    /// The order whose accepted composition is `composition_id`, if any.
    pub async fn composition_order(&self, composition_id: Uuid) -> Result<Option<Order>> {
        let table = <Order as Record>::TABLE;
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{} WHERE composition_id = $1", table.select()),
            &[Arg::Uuid(composition_id)],
        )
        .await?;
        Ok(row.map(Into::into))
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

    /// `Provisioning` orders with a line whose service's `create` job is
    /// over, or whose composition ended, oldest first: the orders a job's
    /// finish or a composition's end may not have moved on.
    pub async fn provisioned_orders(&self, limit: u32) -> Result<Vec<Order>> {
        let table = <Order as Record>::TABLE;
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!(
                "{} WHERE state = $1 AND (EXISTS (SELECT 1 FROM order_lines l \
                 JOIN jobs j ON j.service_id = l.service_id AND j.action = 'create' AND j.status IN ($2, $3) \
                 WHERE l.order_id = orders.id) \
                 OR EXISTS (SELECT 1 FROM compositions c WHERE c.id = orders.composition_id \
                 AND c.status IN ($4, $5, $6, $7))) ORDER BY created_at, id LIMIT {limit}",
                table.select()
            ),
            &[
                Arg::Text(OrderState::Provisioning.as_str().into()),
                Arg::Text(JobStatus::Completed.as_str().into()),
                Arg::Text(JobStatus::Failed.as_str().into()),
            ]
            .into_iter()
            .chain(
                CompositionStatus::PROVISIONING_OVER
                    .iter()
                    .map(|status| Arg::Text(status.as_str().into())),
            )
            .collect::<Vec<_>>(),
        )
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// How the `create` job of each of `order`'s lines' services stands,
    /// in line order; `None` for a line without a service or job.
    pub async fn order_create_jobs(
        &self,
        order: &Order,
    ) -> Result<Vec<Option<(JobStatus, Option<String>)>>> {
        let rows: Vec<(Uuid, String, Option<String>)> = fetch_all(
            &self.read,
            "SELECT j.service_id, j.status, j.error_message FROM order_lines l \
             JOIN jobs j ON j.service_id = l.service_id AND j.action = 'create' WHERE l.order_id = $1",
            &[Arg::Uuid(order.id)],
        )
        .await?;
        Ok(order
            .lines
            .iter()
            .map(|line| {
                let service_id = line.service_id?;
                rows.iter()
                    .find(|(id, _, _)| *id == service_id)
                    .and_then(|(_, status, error)| Some((JobStatus::parse(status)?, error.clone())))
            })
            .collect())
    }

    /// The order that ordered `service_id`, if one did.
    pub async fn service_order(&self, service_id: Uuid) -> Result<Option<Order>> {
        let table = <Order as Record>::TABLE;
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!(
                "{} WHERE id = (SELECT order_id FROM order_lines WHERE service_id = $1)",
                table.select()
            ),
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
        let rows: Vec<QuotedRow> = fetch_all(
            &self.read,
            &format!(
                "SELECT l.service_id, l.position, o.lines, o.accepted_at FROM order_lines l \
                 JOIN orders o ON o.id = l.order_id \
                 WHERE l.service_id IN ({}) AND o.accepted_at IS NOT NULL",
                placeholders.join(", ")
            ),
            &args,
        )
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(service_id, position, lines, accepted_at)| {
                let line = lines.0.into_iter().nth(usize::try_from(position).ok()?)?;
                Some(QuotedService {
                    service_id,
                    quote: line.quote,
                    accepted_at,
                })
            })
            .collect())
    }
}

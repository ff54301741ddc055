use std::collections::HashMap;

use chrono::{DateTime, Utc};
use federa_domain::event::NewEvent;
use federa_domain::exchange::billing::PriceChange;
use federa_domain::exchange::{Offering, PriceSheet};
use federa_domain::listing::{ListQuery, Page};
use sqlx::types::Json;
use uuid::Uuid;

use super::Stored;
use crate::catalogue::in_use;
use crate::error::Result;
use crate::sql::{fetch_page, Arg, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

pub(super) const SELECT: &str = "SELECT id, participant_id, service_type_id, regions, price, capacity, enabled, created_at, updated_at FROM offerings";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: Uuid,
    participant_id: Uuid,
    service_type_id: Uuid,
    regions: Json<Vec<String>>,
    price: Json<PriceSheet>,
    capacity: Option<i32>,
    enabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Stored<Offering> {
    fn from(row: Row) -> Stored<Offering> {
        Stored {
            value: Offering {
                id: row.id,
                participant_id: row.participant_id,
                service_type_id: row.service_type_id,
                regions: row.regions.0,
                price: row.price.0,
                // Written only from a u32 of at least 1.
                capacity: row.capacity.and_then(|c| u32::try_from(c).ok()),
                enabled: row.enabled,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn price_json(price: &PriceSheet) -> serde_json::Value {
    // Decimals serialize as strings, so the stored document is exact.
    serde_json::to_value(price).unwrap_or_default()
}

/// The capacity as a placeholder, or `NULL` for unlimited: the argument
/// list has no nullable integer.
fn capacity_sql(capacity: Option<u32>, args: &mut Vec<Arg>) -> String {
    match capacity {
        Some(capacity) => {
            args.push(Arg::Int(i64::from(capacity)));
            format!("${}", args.len())
        }
        None => "NULL".to_owned(),
    }
}

fn price_statement(offering_id: Uuid, from: DateTime<Utc>, price: &PriceSheet) -> Statement {
    Statement::new(
        "INSERT INTO offering_prices (offering_id, effective_from, price) VALUES ($1, $2, $3)",
        vec![
            Arg::Uuid(offering_id),
            Arg::Time(from),
            Arg::Json(price_json(price)),
        ],
    )
}

impl Store {
    pub async fn offering(&self, id: Uuid) -> Result<Option<Stored<Offering>>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(Stored::from))
    }

    /// Everyone may read every offering: they are the market.
    pub async fn offerings(&self, query: &ListQuery) -> Result<Page<Stored<Offering>>> {
        let mut filter = Where::new();
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "offerings", &filter, query, "id").await?;
        Ok(page.map(Stored::from))
    }

    /// Publishes an offering with its first price.
    pub async fn insert_offering(
        &self,
        offering: &Stored<Offering>,
        event: &NewEvent,
    ) -> Result<()> {
        let value = &offering.value;
        let mut args = vec![
            Arg::Uuid(value.id),
            Arg::Uuid(value.participant_id),
            Arg::Uuid(value.service_type_id),
            Arg::Json(serde_json::Value::from(value.regions.clone())),
            Arg::Json(price_json(&value.price)),
            Arg::Bool(value.enabled),
            Arg::Time(offering.created_at),
            Arg::Time(offering.updated_at),
        ];
        let capacity = capacity_sql(value.capacity, &mut args);
        let statements = [
            Statement::new(
                format!("INSERT INTO offerings (id, participant_id, service_type_id, regions, price, enabled, created_at, updated_at, capacity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {capacity})"),
                args,
            ),
            price_statement(value.id, offering.created_at, &value.price),
        ];
        self.apply(
            &statements,
            std::slice::from_ref(event),
            offering.created_at,
        )
        .await
        .map_err(|e| {
            in_use(
                e,
                "the participant has no provider profile, or the service type does not exist",
            )
        })
    }

    /// Changes an offering. With `reprice`, its price takes effect from
    /// `updated_at`; usage before that stays billed at the old price.
    pub async fn update_offering(
        &self,
        offering: &Stored<Offering>,
        reprice: bool,
        event: &NewEvent,
    ) -> Result<()> {
        let value = &offering.value;
        let mut args = vec![
            Arg::Uuid(value.id),
            Arg::Json(serde_json::Value::from(value.regions.clone())),
            Arg::Json(price_json(&value.price)),
            Arg::Bool(value.enabled),
            Arg::Time(offering.updated_at),
        ];
        let capacity = capacity_sql(value.capacity, &mut args);
        let mut statements = vec![Statement::new(
            format!("UPDATE offerings SET regions = $2, price = $3, enabled = $4, updated_at = $5, capacity = {capacity} WHERE id = $1"),
            args,
        )
        .must_change()];
        if reprice {
            statements.push(price_statement(value.id, offering.updated_at, &value.price));
        }
        self.apply(
            &statements,
            std::slice::from_ref(event),
            offering.updated_at,
        )
        .await
    }

    pub async fn delete_offering(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new("DELETE FROM offerings WHERE id = $1", vec![Arg::Uuid(id)])
            .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| {
                in_use(
                    e,
                    "services were placed on this offering and are billed by it; disable it instead",
                )
            })
    }

    /// Every price each of `offering_ids` has had, oldest first.
    pub async fn offering_prices(
        &self,
        offering_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<PriceChange>>> {
        let mut prices: HashMap<Uuid, Vec<PriceChange>> = HashMap::new();
        if offering_ids.is_empty() {
            return Ok(prices);
        }
        let mut filter = Where::new();
        let placeholders: Vec<String> = offering_ids
            .iter()
            .map(|id| filter.param(Arg::Uuid(*id)))
            .collect();
        filter.and(format!("offering_id IN ({})", placeholders.join(", ")));
        let rows: Vec<(Uuid, DateTime<Utc>, Json<PriceSheet>)> = fetch_all(
            &self.read,
            &format!(
                "SELECT offering_id, effective_from, price FROM offering_prices{} ORDER BY offering_id, effective_from",
                filter.sql()
            ),
            &filter.args,
        )
        .await?;
        for (offering_id, effective_from, price) in rows {
            prices.entry(offering_id).or_default().push(PriceChange {
                effective_from,
                price: price.0,
            });
        }
        Ok(prices)
    }
}

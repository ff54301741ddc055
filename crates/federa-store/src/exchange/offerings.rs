use std::collections::HashMap;

use chrono::{DateTime, Utc};
use federa_domain::event::NewEvent;
use federa_domain::exchange::billing::PriceChange;
use federa_domain::exchange::{ExitTerms, Offering, PriceSheet};
use sqlx::types::Json;
use uuid::Uuid;

use super::Stored;
use crate::error::Result;
use crate::records::{insert_statement, update_statement, Record, Table};
use crate::sql::{Arg, Where};
use crate::write::{fetch_all, Statement};
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    participant_id: Uuid,
    service_type_id: Uuid,
    regions: Json<Vec<String>>,
    price: Json<PriceSheet>,
    capacity: Option<i32>,
    enabled: bool,
    exit_terms: Option<Json<ExitTerms>>,
    requires_acceptance: bool,
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
                // NULL only in offerings published before exit terms were
                // kept, which stated none.
                exit_terms: row.exit_terms.map(|terms| terms.0).unwrap_or_default(),
                requires_acceptance: row.requires_acceptance,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A price sheet or exit terms as stored: decimals serialize as strings,
/// so the stored document is exact.
fn exact_json(document: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(document).unwrap_or_default()
}

fn price_statement(offering_id: Uuid, from: DateTime<Utc>, price: &PriceSheet) -> Statement {
    Statement::new(
        "INSERT INTO offering_prices (offering_id, effective_from, price) VALUES ($1, $2, $3)",
        vec![
            Arg::Uuid(offering_id),
            Arg::Time(from),
            Arg::Json(exact_json(price)),
        ],
    )
}

impl Record for Stored<Offering> {
    type Row = Row;
    // Everyone may read every offering: they are the market.
    const TABLE: Table = Table::new(
        "offerings",
        &[
            "id",
            "participant_id",
            "service_type_id",
            "regions",
            "price",
            "capacity",
            "enabled",
            "exit_terms",
            "requires_acceptance",
            "created_at",
            "updated_at",
        ],
        &[
            "regions",
            "price",
            "capacity",
            "enabled",
            "exit_terms",
            "requires_acceptance",
            "updated_at",
        ],
    )
    .taken("the participant has no provider profile, or the service type does not exist")
    .in_use("services were placed on this offering and are billed by it; disable it instead");

    fn values(&self) -> Vec<Arg> {
        let offering = &self.value;
        vec![
            Arg::Uuid(offering.id),
            Arg::Uuid(offering.participant_id),
            Arg::Uuid(offering.service_type_id),
            Arg::Json(serde_json::Value::from(offering.regions.clone())),
            Arg::Json(exact_json(&offering.price)),
            Arg::OptInt(offering.capacity.map(i64::from)),
            Arg::Bool(offering.enabled),
            Arg::Json(exact_json(&offering.exit_terms)),
            Arg::Bool(offering.requires_acceptance),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// Publishes an offering with its first price.
    pub async fn insert_offering(
        &self,
        offering: &Stored<Offering>,
        event: &NewEvent,
    ) -> Result<()> {
        let statements = [
            insert_statement(offering),
            price_statement(
                offering.value.id,
                offering.created_at,
                &offering.value.price,
            ),
        ];
        self.write_record::<Stored<Offering>>(&statements, event, offering.created_at)
            .await
    }

    /// Changes an offering. With `reprice`, its price takes effect from
    /// `updated_at`; usage before that stays billed at the old price.
    pub async fn update_offering(
        &self,
        offering: &Stored<Offering>,
        reprice: bool,
        event: &NewEvent,
    ) -> Result<()> {
        let mut statements = vec![update_statement(offering)];
        if reprice {
            statements.push(price_statement(
                offering.value.id,
                offering.updated_at,
                &offering.value.price,
            ));
        }
        self.write_record::<Stored<Offering>>(&statements, event, offering.updated_at)
            .await
    }

    /// How many prices each of `offering_ids` has had: its version.
    pub async fn offering_versions(&self, offering_ids: &[Uuid]) -> Result<HashMap<Uuid, u32>> {
        if offering_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut filter = Where::new();
        filter.any_of("offering_id", offering_ids.iter().copied().map(Arg::Uuid));
        let rows: Vec<(Uuid, i64)> = fetch_all(
            &self.read,
            &format!(
                "SELECT offering_id, COUNT(*) FROM offering_prices{} GROUP BY offering_id",
                filter.sql()
            ),
            &filter.args,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, count)| (id, u32::try_from(count).unwrap_or(u32::MAX)))
            .collect())
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
        filter.any_of("offering_id", offering_ids.iter().copied().map(Arg::Uuid));
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

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use federa_domain::exchange::placement::{Placement, PlacementDecision, PlacementRequest};
use federa_domain::exchange::{Offering, ProviderProfile};
use sqlx::types::Json;
use uuid::Uuid;

use super::offerings::Row as OfferingRow;
use super::profiles::Row as ProfileRow;
use super::Stored;
use crate::error::Result;
use crate::sql::{Arg, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::{Record, Store};

/// What the store knows about the offerings of one service type when a
/// service of that type is placed.
#[derive(Debug, Clone, Default)]
pub struct PlacementCandidates {
    pub offerings: Vec<Offering>,
    /// The profile of each offering's provider, by participant id.
    pub profiles: HashMap<Uuid, ProviderProfile>,
    /// Services placed on each offering that are not in an ended state.
    pub active_services: HashMap<Uuid, u32>,
}

#[derive(sqlx::FromRow)]
struct PlacementRow {
    id: Uuid,
    service_id: Uuid,
    consumer_id: Uuid,
    provider_id: Uuid,
    offering_id: Uuid,
    agent_id: Uuid,
    region: String,
    hourly_price: String,
    request: Json<PlacementRequest>,
    decision: Json<PlacementDecision>,
    created_at: DateTime<Utc>,
}

impl From<PlacementRow> for Placement {
    fn from(row: PlacementRow) -> Placement {
        Placement {
            id: row.id,
            service_id: row.service_id,
            consumer_id: row.consumer_id,
            provider_id: row.provider_id,
            offering_id: row.offering_id,
            agent_id: row.agent_id,
            region: row.region,
            // Written from a decimal's own text.
            hourly_price: row.hourly_price.parse().unwrap_or_default(),
            request: row.request.0,
            decision: row.decision.0,
            created_at: row.created_at,
        }
    }
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// `column NOT IN (…)` over `values`, or nothing when there are none.
fn not_in(filter: &mut Where, column: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    let placeholders: Vec<String> = values
        .iter()
        .map(|value| filter.param(Arg::Text(value.clone())))
        .collect();
    filter.and(format!("{column} NOT IN ({})", placeholders.join(", ")));
}

impl Store {
    /// Every offering of `service_type_id`, enabled or not (a disabled one
    /// is reported as rejected), with its provider's profile and how many
    /// of its services are in none of the `ended` states.
    pub async fn placement_candidates(
        &self,
        service_type_id: Uuid,
        ended: &[String],
    ) -> Result<PlacementCandidates> {
        let offerings: Vec<OfferingRow> = fetch_all(
            &self.read,
            &format!(
                "{} WHERE service_type_id = $1 ORDER BY id",
                <Stored<Offering> as Record>::TABLE.select()
            ),
            &[Arg::Uuid(service_type_id)],
        )
        .await?;
        let offerings: Vec<Offering> = offerings
            .into_iter()
            .map(|row| Stored::from(row).value)
            .collect();
        let profiles: Vec<ProfileRow> = fetch_all(
            &self.read,
            &format!(
                "{} WHERE participant_id IN (SELECT participant_id FROM offerings WHERE service_type_id = $1)",
                <Stored<ProviderProfile> as Record>::TABLE.select()
            ),
            &[Arg::Uuid(service_type_id)],
        )
        .await?;
        let profiles: HashMap<Uuid, ProviderProfile> = profiles
            .into_iter()
            .map(|row| {
                let profile = Stored::from(row).value;
                (profile.participant_id, profile)
            })
            .collect();
        let mut filter = Where::new();
        filter.eq("s.service_type_id", Arg::Uuid(service_type_id));
        not_in(&mut filter, "s.status", ended);
        let counts: Vec<(Uuid, i64)> = fetch_all(
            &self.read,
            &format!(
                "SELECT p.offering_id, COUNT(*) FROM placements p JOIN services s ON s.id = p.service_id{} GROUP BY p.offering_id",
                filter.sql()
            ),
            &filter.args,
        )
        .await?;
        Ok(PlacementCandidates {
            offerings,
            profiles,
            active_services: counts
                .into_iter()
                .map(|(offering, services)| (offering, count(services)))
                .collect(),
        })
    }

    /// How many services `consumer_id` has with each provider, by service
    /// type and status, so the caller can leave out ended ones by each
    /// type's own lifecycle.
    pub async fn consumer_service_counts(
        &self,
        consumer_id: Uuid,
    ) -> Result<Vec<(Uuid, Uuid, String, u32)>> {
        let rows: Vec<(Uuid, Uuid, String, i64)> = fetch_all(
            &self.read,
            "SELECT provider_id, service_type_id, status, COUNT(*) FROM services WHERE consumer_id = $1 GROUP BY provider_id, service_type_id, status",
            &[Arg::Uuid(consumer_id)],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|(provider, service_type, status, services)| {
                (provider, service_type, status, count(services))
            })
            .collect())
    }

    /// The placement of a service, if the exchange placed it.
    pub async fn service_placement(&self, service_id: Uuid) -> Result<Option<Placement>> {
        let row: Option<PlacementRow> = fetch_optional(
            &self.read,
            "SELECT p.id, p.service_id, p.consumer_id, p.provider_id, p.offering_id, p.agent_id, p.region, p.hourly_price, p.request, p.decision, p.created_at FROM placements p JOIN services s ON s.id = p.service_id WHERE p.service_id = $1",
            &[Arg::Uuid(service_id)],
        )
        .await?;
        Ok(row.map(Placement::from))
    }
}

/// The row recording the decision that placed a new service, written in the
/// service's own transaction: the offering it names is the one the service
/// is billed by, and it cannot be deleted while the placement stands.
pub(crate) fn insert_placement(placement: &Placement) -> Statement {
    Statement::new(
        "INSERT INTO placements (id, service_id, consumer_id, provider_id, offering_id, agent_id, region, hourly_price, request, decision, created_at, monthly_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            Arg::Uuid(placement.id),
            Arg::Uuid(placement.service_id),
            Arg::Uuid(placement.consumer_id),
            Arg::Uuid(placement.provider_id),
            Arg::Uuid(placement.offering_id),
            Arg::Uuid(placement.agent_id),
            Arg::Text(placement.region.clone()),
            Arg::Text(placement.hourly_price.to_string()),
            Arg::Json(serde_json::to_value(&placement.request).unwrap_or_default()),
            Arg::Json(serde_json::to_value(&placement.decision).unwrap_or_default()),
            Arg::Time(placement.created_at),
            Arg::Int(placement.monthly_cents()),
        ],
    )
}

use chrono::{DateTime, Utc};
use federa_domain::event::NewEvent;
use federa_domain::exchange::{Certification, ProviderProfile, Region};
use federa_domain::listing::{ListQuery, Page};
use sqlx::types::Json;
use uuid::Uuid;

use super::Stored;
use crate::catalogue::in_use;
use crate::error::Result;
use crate::sql::{fetch_page, Arg, Where};
use crate::write::{fetch_optional, Statement};
use crate::Store;

pub(super) const SELECT: &str = "SELECT participant_id, jurisdiction, subject_to_non_eu_law, regions, certifications, created_at, updated_at FROM provider_profiles";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    participant_id: Uuid,
    jurisdiction: String,
    subject_to_non_eu_law: bool,
    regions: Json<Vec<Region>>,
    certifications: Json<Vec<Certification>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Stored<ProviderProfile> {
    fn from(row: Row) -> Stored<ProviderProfile> {
        Stored {
            value: ProviderProfile {
                participant_id: row.participant_id,
                jurisdiction: row.jurisdiction,
                subject_to_non_eu_law: row.subject_to_non_eu_law,
                regions: row.regions.0,
                certifications: row.certifications.0,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn row_args(profile: &Stored<ProviderProfile>) -> Vec<Arg> {
    let value = &profile.value;
    vec![
        Arg::Uuid(value.participant_id),
        Arg::Text(value.jurisdiction.clone()),
        Arg::Bool(value.subject_to_non_eu_law),
        Arg::Json(serde_json::to_value(&value.regions).unwrap_or_default()),
        Arg::Json(serde_json::to_value(&value.certifications).unwrap_or_default()),
        Arg::Time(profile.updated_at),
    ]
}

impl Store {
    pub async fn provider_profile(
        &self,
        participant_id: Uuid,
    ) -> Result<Option<Stored<ProviderProfile>>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE participant_id = $1"),
            &[Arg::Uuid(participant_id)],
        )
        .await?;
        Ok(row.map(Stored::from))
    }

    /// Everyone may read every profile: they are what consumers choose by.
    pub async fn provider_profiles(
        &self,
        query: &ListQuery,
    ) -> Result<Page<Stored<ProviderProfile>>> {
        let mut filter = Where::new();
        filter.filters(&query.filters);
        let page: Page<Row> = fetch_page(
            &self.read,
            SELECT,
            "provider_profiles",
            &filter,
            query,
            "participant_id",
        )
        .await?;
        Ok(page.map(Stored::from))
    }

    pub async fn insert_provider_profile(
        &self,
        profile: &Stored<ProviderProfile>,
        event: &NewEvent,
    ) -> Result<()> {
        let mut args = row_args(profile);
        args.push(Arg::Time(profile.created_at));
        let statement = Statement::new(
            "INSERT INTO provider_profiles (participant_id, jurisdiction, subject_to_non_eu_law, regions, certifications, updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args,
        );
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            profile.created_at,
        )
        .await
        .map_err(|e| {
            in_use(
                e,
                "the participant already has a provider profile; update it instead",
            )
        })
    }

    pub async fn update_provider_profile(
        &self,
        profile: &Stored<ProviderProfile>,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE provider_profiles SET jurisdiction = $2, subject_to_non_eu_law = $3, regions = $4, certifications = $5, updated_at = $6 WHERE participant_id = $1",
            row_args(profile),
        )
        .must_change();
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            profile.updated_at,
        )
        .await
    }

    pub async fn delete_provider_profile(
        &self,
        participant_id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM provider_profiles WHERE participant_id = $1",
            vec![Arg::Uuid(participant_id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| in_use(e, "the provider still has offerings; delete them first"))
    }

    /// Regions of the profile that offerings of the provider still name:
    /// a profile update must keep them.
    pub async fn offered_regions(&self, participant_id: Uuid) -> Result<Vec<String>> {
        let rows: Vec<(Json<Vec<String>>,)> = crate::write::fetch_all(
            &self.read,
            "SELECT regions FROM offerings WHERE participant_id = $1",
            &[Arg::Uuid(participant_id)],
        )
        .await?;
        let mut regions: Vec<String> = Vec::new();
        for (offered,) in rows {
            for region in offered.0 {
                if !regions.contains(&region) {
                    regions.push(region);
                }
            }
        }
        Ok(regions)
    }
}

use chrono::{DateTime, Utc};
use federa_domain::exchange::{Certification, ProviderProfile, Region};
use sqlx::types::Json;
use uuid::Uuid;

use super::Stored;
use crate::error::Result;
use crate::records::{Record, Table};
use crate::sql::Arg;
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
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

impl Record for Stored<ProviderProfile> {
    type Row = Row;
    const TABLE: Table = Table::new(
        "provider_profiles",
        &[
            "participant_id",
            "jurisdiction",
            "subject_to_non_eu_law",
            "regions",
            "certifications",
            "created_at",
            "updated_at",
        ],
        &[
            "jurisdiction",
            "subject_to_non_eu_law",
            "regions",
            "certifications",
            "updated_at",
        ],
    )
    .taken("the participant already has a provider profile; update it instead")
    .in_use("the provider still has offerings; delete them first");

    fn values(&self) -> Vec<Arg> {
        let profile = &self.value;
        vec![
            Arg::Uuid(profile.participant_id),
            Arg::Text(profile.jurisdiction.clone()),
            Arg::Bool(profile.subject_to_non_eu_law),
            Arg::Json(serde_json::to_value(&profile.regions).unwrap_or_default()),
            Arg::Json(serde_json::to_value(&profile.certifications).unwrap_or_default()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The profile of this participant, if it declared one.
    pub async fn provider_profile(
        &self,
        participant_id: Uuid,
    ) -> Result<Option<Stored<ProviderProfile>>> {
        self.record(participant_id).await
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

use chrono::{DateTime, Utc};
use federa_domain::catalogue::{ServiceOption, ServiceOptionType};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::write::fetch_all;
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct TypeRow {
    id: Uuid,
    name: String,
    #[sqlx(rename = "type")]
    type_key: String,
    description: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TypeRow> for ServiceOptionType {
    fn from(row: TypeRow) -> ServiceOptionType {
        ServiceOptionType {
            id: row.id,
            name: row.name,
            type_key: row.type_key,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct OptionRow {
    id: Uuid,
    provider_id: Uuid,
    service_option_type_id: Uuid,
    name: String,
    value: Json<Value>,
    enabled: bool,
    display_order: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<OptionRow> for ServiceOption {
    fn from(row: OptionRow) -> ServiceOption {
        ServiceOption {
            id: row.id,
            provider_id: row.provider_id,
            service_option_type_id: row.service_option_type_id,
            name: row.name,
            value: row.value.0,
            enabled: row.enabled,
            display_order: row.display_order,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for ServiceOptionType {
    type Row = TypeRow;
    const TABLE: Table = Table::new(
        "service_option_types",
        &[
            "id",
            "name",
            "type",
            "description",
            "created_at",
            "updated_at",
        ],
        &["name", "description", "updated_at"],
    )
    .taken("another service option type has this type")
    .in_use("providers still publish options of this type; delete them first");

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::Text(self.type_key.clone()),
            Arg::OptText(self.description.clone()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Record for ServiceOption {
    type Row = OptionRow;
    const TABLE: Table = Table::new(
        "service_options",
        &[
            "id",
            "provider_id",
            "service_option_type_id",
            "name",
            "value",
            "enabled",
            "display_order",
            "created_at",
            "updated_at",
        ],
        &["name", "value", "enabled", "display_order", "updated_at"],
    )
    .scoped(ScopeColumns {
        owner: Some("provider_id"),
        consumer: None,
        agent: None,
    });

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Uuid(self.provider_id),
            Arg::Uuid(self.service_option_type_id),
            Arg::Text(self.name.clone()),
            Arg::Json(self.value.clone()),
            Arg::Bool(self.enabled),
            Arg::Int(i64::from(self.display_order)),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The enabled option values a provider publishes for an option type
    /// key: what a `serviceOption` validator accepts.
    pub async fn enabled_option_values(
        &self,
        provider_id: Uuid,
        type_key: &str,
    ) -> Result<Vec<Value>> {
        let rows: Vec<(Json<Value>,)> = fetch_all(
            &self.read,
            "SELECT o.value FROM service_options o JOIN service_option_types t ON t.id = o.service_option_type_id \
             WHERE o.provider_id = $1 AND t.type = $2 AND o.enabled = $3 ORDER BY o.display_order",
            &[Arg::Uuid(provider_id), Arg::Text(type_key.to_string()), Arg::Bool(true)],
        )
        .await?;
        Ok(rows.into_iter().map(|(v,)| v.0).collect())
    }
}

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::catalogue::{ServiceOption, ServiceOptionType};
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{in_use, taken};
use crate::error::Result;
use crate::sql::{fetch_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT_TYPE: &str =
    "SELECT id, name, type, description, created_at, updated_at FROM service_option_types";
const SELECT_OPTION: &str = "SELECT id, provider_id, service_option_type_id, name, value, enabled, display_order, created_at, updated_at FROM service_options";

const OPTION_SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("provider_id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct TypeRow {
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
struct OptionRow {
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

impl Store {
    pub async fn service_option_type(&self, id: Uuid) -> Result<Option<ServiceOptionType>> {
        let row: Option<TypeRow> = fetch_optional(
            &self.read,
            &format!("{SELECT_TYPE} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ServiceOptionType::from))
    }

    pub async fn service_option_types(&self, query: &ListQuery) -> Result<Page<ServiceOptionType>> {
        let mut filter = Where::new();
        filter.filters(&query.filters);
        let page: Page<TypeRow> = fetch_page(
            &self.read,
            SELECT_TYPE,
            "service_option_types",
            &filter,
            query,
            "id",
        )
        .await?;
        Ok(page.map(ServiceOptionType::from))
    }

    pub async fn insert_service_option_type(
        &self,
        option_type: &ServiceOptionType,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO service_option_types (id, name, type, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                Arg::Uuid(option_type.id),
                Arg::Text(option_type.name.clone()),
                Arg::Text(option_type.type_key.clone()),
                Arg::OptText(option_type.description.clone()),
                Arg::Time(option_type.created_at),
                Arg::Time(option_type.updated_at),
            ],
        );
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            option_type.created_at,
        )
        .await
        .map_err(|e| taken(e, "another service option type has this type"))
    }

    pub async fn update_service_option_type(
        &self,
        option_type: &ServiceOptionType,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE service_option_types SET name = $2, description = $3, updated_at = $4 WHERE id = $1",
            vec![
                Arg::Uuid(option_type.id),
                Arg::Text(option_type.name.clone()),
                Arg::OptText(option_type.description.clone()),
                Arg::Time(option_type.updated_at),
            ],
        )
        .must_change();
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            option_type.updated_at,
        )
        .await
    }

    pub async fn delete_service_option_type(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM service_option_types WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| {
                in_use(
                    e,
                    "providers still publish options of this type; delete them first",
                )
            })
    }

    pub async fn service_option(&self, id: Uuid) -> Result<Option<ServiceOption>> {
        let row: Option<OptionRow> = fetch_optional(
            &self.read,
            &format!("{SELECT_OPTION} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(ServiceOption::from))
    }

    pub async fn service_options(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<ServiceOption>> {
        let mut filter = Where::new();
        filter.scope(scope, OPTION_SCOPE);
        filter.filters(&query.filters);
        let page: Page<OptionRow> = fetch_page(
            &self.read,
            SELECT_OPTION,
            "service_options",
            &filter,
            query,
            "id",
        )
        .await?;
        Ok(page.map(ServiceOption::from))
    }

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

    pub async fn insert_service_option(
        &self,
        option: &ServiceOption,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO service_options (id, name, value, enabled, display_order, updated_at, provider_id, service_option_type_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                Arg::Uuid(option.id),
                Arg::Text(option.name.clone()),
                Arg::Json(option.value.clone()),
                Arg::Bool(option.enabled),
                Arg::Int(i64::from(option.display_order)),
                Arg::Time(option.updated_at),
                Arg::Uuid(option.provider_id),
                Arg::Uuid(option.service_option_type_id),
                Arg::Time(option.created_at),
            ],
        );
        self.apply(&[statement], std::slice::from_ref(event), option.created_at)
            .await
    }

    pub async fn update_service_option(
        &self,
        option: &ServiceOption,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE service_options SET name = $2, value = $3, enabled = $4, display_order = $5, updated_at = $6 WHERE id = $1",
            vec![
                Arg::Uuid(option.id),
                Arg::Text(option.name.clone()),
                Arg::Json(option.value.clone()),
                Arg::Bool(option.enabled),
                Arg::Int(i64::from(option.display_order)),
                Arg::Time(option.updated_at),
            ],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), option.updated_at)
            .await
    }

    pub async fn delete_service_option(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM service_options WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }
}

//! Pools of either family: reading, listing, creating, renaming,
//! reconfiguring and deleting them. The two pool tables share their
//! columns but for where a pool belongs: a service pool's set and provider,
//! a config pool's participant (none for a global pool).

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::pools::{GeneratorType, Pool, PoolFamily, PoolPropertyType, PoolScope};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::tables::tables;
use crate::catalogue::in_use;
use crate::error::{Result, StoreError};
use crate::sql::{fetch_scoped_page, Arg};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const COLUMNS: &str =
    "id, name, type, property_type, generator_type, generator_config, created_at, updated_at";

fn select(family: PoolFamily) -> String {
    match family {
        PoolFamily::Service => format!(
            "SELECT {COLUMNS}, provider_id AS owner_id, service_pool_set_id, \
             (SELECT s.name FROM service_pool_sets s WHERE s.id = service_pools.service_pool_set_id) AS service_pool_set_name \
             FROM service_pools"
        ),
        PoolFamily::Config => {
            format!("SELECT {COLUMNS}, participant_id AS owner_id FROM config_pools")
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    #[sqlx(rename = "type")]
    pool_type: String,
    property_type: String,
    generator_type: String,
    generator_config: Option<Json<Value>>,
    owner_id: Option<Uuid>,
    /// Selected for service pools only.
    #[sqlx(default)]
    service_pool_set_id: Option<Uuid>,
    #[sqlx(default)]
    service_pool_set_name: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_pool(self, family: PoolFamily) -> Pool {
        let scope = match family {
            PoolFamily::Service => PoolScope::Set {
                set_id: self.service_pool_set_id.unwrap_or_default(),
                set_name: self.service_pool_set_name.unwrap_or_default(),
                provider_id: self.owner_id.unwrap_or_default(),
            },
            PoolFamily::Config => self
                .owner_id
                .map_or(PoolScope::Global, PoolScope::Participant),
        };
        Pool {
            id: self.id,
            name: self.name,
            pool_type: self.pool_type,
            // Written only from the enums.
            property_type: PoolPropertyType::parse("propertyType", &self.property_type)
                .unwrap_or(PoolPropertyType::Json),
            generator_type: GeneratorType::parse("generatorType", &self.generator_type)
                .unwrap_or(GeneratorType::List),
            generator_config: self.generator_config.map(|j| j.0),
            scope,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// What a pool update may change: values already handed out keep theirs.
pub struct PoolEdit<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub generator_config: Option<&'a Value>,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    pub async fn pool(&self, family: PoolFamily, id: Uuid) -> Result<Option<Pool>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{} WHERE id = $1", select(family)),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(|row| row.into_pool(family)))
    }

    pub async fn pools(
        &self,
        family: PoolFamily,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<Pool>> {
        let tables = tables(family);
        let page: Page<Row> = fetch_scoped_page(
            &self.read,
            (&select(family), tables.pools, "id"),
            (scope, tables.scope()),
            query,
        )
        .await?;
        Ok(page.map(|row| row.into_pool(family)))
    }

    /// The service pool of `pool_type` in a set: where a `pool` generator of
    /// a service's property draws from.
    pub async fn service_pool_of_type(
        &self,
        set_id: Uuid,
        pool_type: &str,
    ) -> Result<Option<Pool>> {
        let family = PoolFamily::Service;
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!(
                "{} WHERE service_pool_set_id = $1 AND type = $2",
                select(family)
            ),
            &[Arg::Uuid(set_id), Arg::Text(pool_type.to_string())],
        )
        .await?;
        Ok(row.map(|row| row.into_pool(family)))
    }

    /// Every config pool of `pool_type`, whoever owns it: few, since each
    /// scope has at most one.
    pub async fn config_pools_of_type(&self, pool_type: &str) -> Result<Vec<Pool>> {
        let family = PoolFamily::Config;
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!("{} WHERE type = $1 ORDER BY created_at, id", select(family)),
            &[Arg::Text(pool_type.to_string())],
        )
        .await?;
        Ok(rows.into_iter().map(|row| row.into_pool(family)).collect())
    }

    /// Inserts a pool unless its type is taken where it belongs: in its set
    /// (a unique key) for a service pool; for a config pool, by the rule of
    /// `federa_domain::pools::type_clash`, checked in the insert itself so a
    /// concurrent creator cannot slip in between. Either way a taken type
    /// is a `Conflict`.
    pub async fn insert_pool(&self, pool: &Pool, event: &NewEvent) -> Result<()> {
        let mut args = vec![
            Arg::Uuid(pool.id),
            Arg::Text(pool.name.clone()),
            Arg::Text(pool.pool_type.clone()),
            Arg::Text(pool.property_type.as_str().into()),
            Arg::Text(pool.generator_type.as_str().into()),
            Arg::OptJson(pool.generator_config.clone()),
        ];
        let (statement, taken) = match &pool.scope {
            PoolScope::Set {
                set_id,
                provider_id,
                ..
            } => {
                args.extend([Arg::Uuid(*set_id), Arg::Uuid(*provider_id)]);
                args.extend([Arg::Time(pool.created_at), Arg::Time(pool.updated_at)]);
                let statement = Statement::new(
                    "INSERT INTO service_pools (id, name, type, property_type, generator_type, generator_config, service_pool_set_id, provider_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    args,
                );
                (statement, "another pool of this pool set has this type")
            }
            PoolScope::Participant(_) | PoolScope::Global => {
                args.push(Arg::OptUuid(pool.owner_id()));
                args.extend([Arg::Time(pool.created_at), Arg::Time(pool.updated_at)]);
                let statement = Statement::new(
                    "INSERT INTO config_pools (id, name, type, property_type, generator_type, generator_config, participant_id, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE NOT EXISTS \
                     (SELECT 1 FROM config_pools WHERE type = $3 AND (participant_id IS NULL OR $7 IS NULL OR participant_id = $7))",
                    args,
                )
                .must_change();
                (
                    statement,
                    "another config pool in the same scope has this type",
                )
            }
        };
        self.apply(&[statement], std::slice::from_ref(event), pool.created_at)
            .await
            .map_err(|e| match e {
                StoreError::NotFound | StoreError::Conflict(_) => {
                    StoreError::Conflict(taken.into())
                }
                other => other,
            })
    }

    pub async fn update_pool(
        &self,
        family: PoolFamily,
        edit: PoolEdit<'_>,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            format!(
                "UPDATE {} SET name = $2, generator_config = $3, updated_at = $4 WHERE id = $1",
                tables(family).pools
            ),
            vec![
                Arg::Uuid(edit.id),
                Arg::Text(edit.name.to_owned()),
                Arg::OptJson(edit.generator_config.cloned()),
                Arg::Time(edit.updated_at),
            ],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), edit.updated_at)
            .await
    }

    /// Deletes a pool that holds no values; one that does is a conflict.
    pub async fn delete_pool(
        &self,
        family: PoolFamily,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            format!("DELETE FROM {} WHERE id = $1", tables(family).pools),
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
            .map_err(|e| in_use(e, "the pool still has values; delete them first"))
    }
}

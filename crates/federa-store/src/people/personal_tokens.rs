//! Personal tokens. Only the hash of a token's value is ever stored, and
//! never read back.

use chrono::{DateTime, Utc};
use federa_domain::event::NewEvent;
use federa_domain::people::PersonalToken;
use uuid::Uuid;

use crate::db::on_pool_again_if_broken;
use crate::error::{Result, StoreError};
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::write::Statement;
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    user_id: Uuid,
    participant_id: Uuid,
    name: String,
    expire_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for PersonalToken {
    fn from(row: Row) -> PersonalToken {
        PersonalToken {
            id: row.id,
            user_id: row.user_id,
            participant_id: row.participant_id,
            name: row.name,
            expire_at: row.expire_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The columns but for the value's hash, written only with a new token.
impl Record for PersonalToken {
    type Row = Row;
    const TABLE: Table = Table::new(
        "personal_tokens",
        &[
            "id",
            "user_id",
            "participant_id",
            "name",
            "expire_at",
            "created_at",
            "updated_at",
        ],
        &["name", "updated_at"],
    )
    .scoped(ScopeColumns {
        owner: Some("participant_id"),
        consumer: None,
        agent: None,
    });

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Uuid(self.user_id),
            Arg::Uuid(self.participant_id),
            Arg::Text(self.name.clone()),
            Arg::Time(self.expire_at),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    pub async fn insert_personal_token(
        &self,
        token: &PersonalToken,
        hashed_value: &str,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO personal_tokens (id, user_id, participant_id, name, hashed_value, expire_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                Arg::Uuid(token.id),
                Arg::Uuid(token.user_id),
                Arg::Uuid(token.participant_id),
                Arg::Text(token.name.clone()),
                Arg::Text(hashed_value.into()),
                Arg::Time(token.expire_at),
                Arg::Time(token.created_at),
                Arg::Time(token.updated_at),
            ],
        );
        self.apply(&[statement], std::slice::from_ref(event), token.created_at)
            .await
    }

    pub async fn personal_token_by_hash(
        &self,
        hashed_value: &str,
    ) -> Result<Option<PersonalToken>> {
        let sql = format!("{} WHERE hashed_value = $1", PersonalToken::TABLE.select());
        let row: Option<Row> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(hashed_value).fetch_optional(pool).await)
            .map_err(StoreError::classify)?;
        Ok(row.map(PersonalToken::from))
    }
}

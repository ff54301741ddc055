//! API tokens. Only the hash of a token's value is ever stored.

use chrono::{DateTime, Utc};
use federa_domain::access::Role;
use federa_domain::event::NewEvent;
use federa_domain::token::Token;
use uuid::Uuid;

use crate::db::on_pool_again_if_broken;
use crate::error::{Result, StoreError};
use crate::read_cache::read_through;
use crate::records::{Record, Table};
use crate::sql::{Arg, ScopeColumns};
use crate::write::Statement;
use crate::Store;

/// The fixed id of the bootstrap admin token, so a restart with a new
/// `FEDERA_ADMIN_TOKEN` replaces it instead of adding another.
pub const BOOTSTRAP_TOKEN_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    name: String,
    role: String,
    expire_at: Option<DateTime<Utc>>,
    participant_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Token {
    fn from(row: Row) -> Token {
        Token {
            id: row.id,
            name: row.name,
            // Unknown roles cannot be written; reading one as agent grants the least.
            role: Role::parse(&row.role).unwrap_or(Role::Agent),
            expire_at: row.expire_at,
            participant_id: row.participant_id,
            agent_id: row.agent_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The columns but for the value's hash, which is written only with a new
/// token ([`insert_statement`]) or a new value, and never read back.
impl Record for Token {
    type Row = Row;
    const TABLE: Table = Table::new(
        "tokens",
        &[
            "id",
            "name",
            "role",
            "expire_at",
            "participant_id",
            "agent_id",
            "created_at",
            "updated_at",
        ],
        &["name", "expire_at", "updated_at"],
    )
    .scoped(ScopeColumns {
        owner: Some("participant_id"),
        consumer: None,
        agent: Some("agent_id"),
    });

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::Text(self.role.as_str().into()),
            Arg::OptTime(self.expire_at),
            Arg::OptUuid(self.participant_id),
            Arg::OptUuid(self.agent_id),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

/// Inserting `token`, as one statement of a larger write.
pub(crate) fn insert_statement(token: &Token, hashed_value: &str) -> Statement {
    Statement::new(
        "INSERT INTO tokens (id, name, role, hashed_value, expire_at, participant_id, agent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            Arg::Uuid(token.id),
            Arg::Text(token.name.clone()),
            Arg::Text(token.role.as_str().into()),
            Arg::Text(hashed_value.into()),
            Arg::OptTime(token.expire_at),
            Arg::OptUuid(token.participant_id),
            Arg::OptUuid(token.agent_id),
            Arg::Time(token.created_at),
            Arg::Time(token.updated_at),
        ],
    )
}

/// Deleting a token by id, as one statement of a larger write.
pub(crate) fn delete_statement(id: Uuid) -> Statement {
    Statement::new("DELETE FROM tokens WHERE id = $1", vec![Arg::Uuid(id)])
}

impl Store {
    pub async fn insert_token(
        &self,
        token: &Token,
        hashed_value: &str,
        event: &NewEvent,
    ) -> Result<()> {
        self.apply(
            &[insert_statement(token, hashed_value)],
            std::slice::from_ref(event),
            token.created_at,
        )
        .await
    }

    /// Sets the bootstrap admin token's hash, creating the token if needed.
    pub async fn upsert_bootstrap_token(
        &self,
        hashed_value: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO tokens (id, name, role, hashed_value, expire_at, participant_id, agent_id, created_at, updated_at) VALUES ($1, 'bootstrap admin', 'admin', $2, NULL, NULL, NULL, $3, $3) ON CONFLICT (id) DO UPDATE SET hashed_value = excluded.hashed_value, updated_at = excluded.updated_at",
            vec![
                Arg::Uuid(BOOTSTRAP_TOKEN_ID),
                Arg::Text(hashed_value.to_owned()),
                Arg::Time(now),
            ],
        );
        self.apply(&[statement], &[], now).await
    }

    pub async fn has_admin_token(&self) -> Result<bool> {
        let count: i64 = on_pool_again_if_broken!(self.read, pool => sqlx::query_scalar("SELECT COUNT(*) FROM tokens WHERE role = 'admin'").fetch_one(pool).await)
            .map_err(StoreError::classify)?;
        Ok(count > 0)
    }

    /// The token whose value hashes to `hashed_value`; kept in memory
    /// once found (see [`crate::read_cache`]).
    pub async fn token_by_hash(&self, hashed_value: &str) -> Result<Option<Token>> {
        let load = async {
            let sql = format!("{} WHERE hashed_value = $1", Token::TABLE.select());
            let row: Option<Row> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(hashed_value).fetch_optional(pool).await)
                .map_err(StoreError::classify)?;
            Ok(row.map(Token::from))
        };
        read_through(
            &self.caches,
            &self.caches.tokens,
            hashed_value.to_owned(),
            Option::is_some,
            load,
        )
        .await
    }

    /// Replaces a token's value; the old value stops working at commit.
    pub async fn replace_token_value(
        &self,
        id: Uuid,
        hashed_value: &str,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE tokens SET hashed_value = $2, updated_at = $3 WHERE id = $1",
            vec![
                Arg::Uuid(id),
                Arg::Text(hashed_value.to_owned()),
                Arg::Time(now),
            ],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }

    /// Adds `new` and makes `old` end at `old_expire_at`, in one write: an
    /// agent's token rotation.
    pub async fn rotate_token(
        &self,
        old: &Token,
        old_expire_at: DateTime<Utc>,
        new: crate::catalogue::NewToken<'_>,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statements = [
            Statement::new(
                "UPDATE tokens SET expire_at = $2, updated_at = $3 WHERE id = $1",
                vec![Arg::Uuid(old.id), Arg::Time(old_expire_at), Arg::Time(now)],
            )
            .must_change(),
            insert_statement(new.token, new.hashed_value),
        ];
        self.apply(&statements, std::slice::from_ref(event), now)
            .await
    }
}

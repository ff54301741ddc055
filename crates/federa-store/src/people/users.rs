//! Users, one row each; an OpenID Connect subject belongs to one user.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use federa_domain::people::User;
use uuid::Uuid;

use crate::db::on_pool_again_if_broken;
use crate::error::{Result, StoreError};
use crate::records::{Record, Table};
use crate::sql::{Arg, Where};
use crate::write::fetch_all;
use crate::Store;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    name: String,
    email: Option<String>,
    oidc_subject: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for User {
    fn from(row: Row) -> User {
        User {
            id: row.id,
            name: row.name,
            email: row.email,
            oidc_subject: row.oidc_subject,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for User {
    type Row = Row;
    const TABLE: Table = Table::new(
        "users",
        &[
            "id",
            "name",
            "email",
            "oidc_subject",
            "created_at",
            "updated_at",
        ],
        &["name", "email", "oidc_subject", "updated_at"],
    )
    .taken("another user has this oidcSubject");

    fn values(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::OptText(self.email.clone()),
            Arg::OptText(self.oidc_subject.clone()),
            Arg::Time(self.created_at),
            Arg::Time(self.updated_at),
        ]
    }
}

impl Store {
    /// The names of the users of `ids` that exist, by id: for showing who
    /// belongs to a participant to those who may not read users.
    pub async fn user_names(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
        let mut filter = Where::new();
        filter.any_of("id", ids.iter().copied().map(Arg::Uuid));
        let rows: Vec<(Uuid, String)> = fetch_all(
            &self.read,
            &format!("SELECT id, name FROM users{}", filter.sql()),
            &filter.args,
        )
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// The user whose OpenID Connect subject is `subject`, if any.
    pub async fn user_by_subject(&self, subject: &str) -> Result<Option<User>> {
        let sql = format!("{} WHERE oidc_subject = $1", User::TABLE.select());
        let row: Option<Row> = on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(subject).fetch_optional(pool).await)
            .map_err(StoreError::classify)?;
        Ok(row.map(User::from))
    }
}

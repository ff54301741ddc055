//! Agent install credentials and the bootstrap tokens paired with them.
//! Every change to one also changes the tokens table, in the same
//! transaction, so a credential never outlives or predates its token.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::AgentInstall;
use federa_domain::event::NewEvent;
use federa_domain::token::Token;
use uuid::Uuid;

use crate::error::Result;
use crate::sql::Arg;
use crate::tokens::{delete_statement, insert_statement};
use crate::write::{fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, agent_id, bootstrap_token_id, expires_at, created_at, updated_at FROM agent_installs";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    agent_id: Uuid,
    bootstrap_token_id: Uuid,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for AgentInstall {
    fn from(row: Row) -> AgentInstall {
        AgentInstall {
            id: row.id,
            agent_id: row.agent_id,
            bootstrap_token_id: row.bootstrap_token_id,
            expires_at: row.expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new bootstrap token with the hash of its value.
pub struct NewToken<'a> {
    pub token: &'a Token,
    pub hashed_value: &'a str,
}

fn delete_install(install: &AgentInstall) -> Statement {
    Statement::new(
        "DELETE FROM agent_installs WHERE id = $1",
        vec![Arg::Uuid(install.id)],
    )
    .must_change()
}

impl Store {
    pub async fn agent_install(&self, agent_id: Uuid) -> Result<Option<AgentInstall>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE agent_id = $1"),
            &[Arg::Uuid(agent_id)],
        )
        .await?;
        Ok(row.map(AgentInstall::from))
    }

    pub async fn agent_install_by_hash(&self, hashed_value: &str) -> Result<Option<AgentInstall>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE hashed_value = $1"),
            &[Arg::Text(hashed_value.into())],
        )
        .await?;
        Ok(row.map(AgentInstall::from))
    }

    /// Stores a new install credential with its bootstrap token, removing
    /// `replaced` (an expired one) first. A concurrent create for the same
    /// agent fails on the unique agent column: `Conflict`.
    pub async fn create_agent_install(
        &self,
        install: &AgentInstall,
        hashed_value: &str,
        bootstrap: NewToken<'_>,
        replaced: Option<&AgentInstall>,
        event: &NewEvent,
    ) -> Result<()> {
        let mut statements = Vec::new();
        if let Some(old) = replaced {
            statements.push(delete_install(old));
            statements.push(delete_statement(old.bootstrap_token_id));
        }
        statements.push(insert_statement(bootstrap.token, bootstrap.hashed_value));
        statements.push(Statement::new(
            "INSERT INTO agent_installs (id, agent_id, hashed_value, bootstrap_token_id, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Arg::Uuid(install.id),
                Arg::Uuid(install.agent_id),
                Arg::Text(hashed_value.into()),
                Arg::Uuid(install.bootstrap_token_id),
                Arg::Time(install.expires_at),
                Arg::Time(install.created_at),
                Arg::Time(install.updated_at),
            ],
        ));
        self.apply(&statements, std::slice::from_ref(event), install.created_at)
            .await
    }

    /// Gives `old` a new value, expiry and bootstrap token; the old value
    /// and the old bootstrap token stop working at commit.
    pub async fn regenerate_agent_install(
        &self,
        old: &AgentInstall,
        new: &AgentInstall,
        hashed_value: &str,
        bootstrap: NewToken<'_>,
        event: &NewEvent,
    ) -> Result<()> {
        let statements = [
            insert_statement(bootstrap.token, bootstrap.hashed_value),
            Statement::new(
                "UPDATE agent_installs SET hashed_value = $2, bootstrap_token_id = $3, expires_at = $4, updated_at = $5 WHERE id = $1 AND bootstrap_token_id = $6",
                vec![
                    Arg::Uuid(old.id),
                    Arg::Text(hashed_value.into()),
                    Arg::Uuid(new.bootstrap_token_id),
                    Arg::Time(new.expires_at),
                    Arg::Time(new.updated_at),
                    Arg::Uuid(old.bootstrap_token_id),
                ],
            )
            .must_change(),
            delete_statement(old.bootstrap_token_id),
        ];
        self.apply(&statements, std::slice::from_ref(event), new.updated_at)
            .await
    }

    /// Removes an install credential and its bootstrap token.
    pub async fn delete_agent_install(
        &self,
        install: &AgentInstall,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statements = [
            delete_install(install),
            delete_statement(install.bootstrap_token_id),
        ];
        self.apply(&statements, std::slice::from_ref(event), now)
            .await
    }

    /// Trades a live install credential for the agent's lasting token: the
    /// credential and its bootstrap token go, `token` comes, all at once.
    /// The delete is conditional on the credential still being there and
    /// live, so of two concurrent exchanges exactly one wins; the other
    /// gets `NotFound`.
    pub async fn exchange_agent_install(
        &self,
        install: &AgentInstall,
        token: NewToken<'_>,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statements = [
            Statement::new(
                "DELETE FROM agent_installs WHERE id = $1 AND bootstrap_token_id = $2 AND expires_at > $3",
                vec![
                    Arg::Uuid(install.id),
                    Arg::Uuid(install.bootstrap_token_id),
                    Arg::Time(now),
                ],
            )
            .must_change(),
            delete_statement(install.bootstrap_token_id),
            insert_statement(token.token, token.hashed_value),
        ];
        self.apply(&statements, std::slice::from_ref(event), now)
            .await
    }
}

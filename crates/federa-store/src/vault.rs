//! Sealed secrets: rows of `vault_secrets`, written and read as opaque
//! ciphertext. Encryption and the key belong to the server; nothing here
//! ever sees a plain value.
//!
//! A secret is *held* while a committed row refers to it: a persistent one
//! by its service's properties, any one by an active job of its service, an
//! agent's one by that agent's configuration. Only held secrets are handed
//! out, and unheld ones past a grace period are swept, which is what makes
//! writing secrets ahead of their owner's row safe.

use chrono::{DateTime, Utc};
use federa_domain::property_schema::SecretKind;
use uuid::Uuid;

use crate::db::on_pool;
use crate::error::{Result, StoreError};
use crate::sql::Arg;
use crate::write::{fetch_optional, Statement};
use crate::Store;

/// One stored secret, as sealed by the server.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The part after `vault://`.
    pub reference: String,
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
    pub kind: SecretKind,
    /// The service whose properties hold it; `None` for agent configuration.
    pub service_id: Option<Uuid>,
    /// The only agent allowed to read it.
    pub agent_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSecret")
            .field("reference", &self.reference)
            .field("kind", &self.kind)
            .field("service_id", &self.service_id)
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "reference, ciphertext, nonce, kind, service_id, agent_id, created_at, expires_at";

/// True while a committed row holds the `vault_secrets` row of the outer
/// query. References are matched as the quoted JSON string
/// `"vault://<reference>"`, which both engines render the same way from a
/// stored document; references are hex, so nothing in them is a `LIKE`
/// wildcard.
const HELD: &str = "((vault_secrets.service_id IS NOT NULL AND (\
    (vault_secrets.kind = 'persistent' AND EXISTS (SELECT 1 FROM services s WHERE s.id = vault_secrets.service_id AND s.agent_id = vault_secrets.agent_id \
        AND CAST(s.properties AS TEXT) LIKE '%\"vault://' || vault_secrets.reference || '\"%')) \
    OR EXISTS (SELECT 1 FROM jobs j WHERE j.service_id = vault_secrets.service_id AND j.agent_id = vault_secrets.agent_id AND j.status IN ('Pending', 'Processing') \
        AND CAST(j.params AS TEXT) LIKE '%\"vault://' || vault_secrets.reference || '\"%'))) \
 OR (vault_secrets.service_id IS NULL AND EXISTS (SELECT 1 FROM agents a WHERE a.id = vault_secrets.agent_id \
        AND CAST(a.configuration AS TEXT) LIKE '%\"vault://' || vault_secrets.reference || '\"%')))";

#[derive(sqlx::FromRow)]
struct Row {
    reference: String,
    ciphertext: Vec<u8>,
    nonce: Vec<u8>,
    kind: String,
    service_id: Option<Uuid>,
    agent_id: Uuid,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for SealedSecret {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<SealedSecret> {
        let kind = SecretKind::from_name(&row.kind).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(
                format!("vault secret of unknown kind {:?}", row.kind).into(),
            ))
        })?;
        Ok(SealedSecret {
            reference: row.reference,
            ciphertext: row.ciphertext,
            nonce: row.nonce,
            kind,
            service_id: row.service_id,
            agent_id: row.agent_id,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

/// `$first, $first+1, …` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Stores sealed secrets, all or none.
    pub async fn insert_secrets(&self, secrets: &[SealedSecret]) -> Result<()> {
        if secrets.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO vault_secrets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        );
        let statements: Vec<Statement> = secrets
            .iter()
            .map(|secret| {
                Statement::new(
                    sql.as_str(),
                    vec![
                        Arg::Text(secret.reference.clone()),
                        Arg::Bytes(secret.ciphertext.clone()),
                        Arg::Bytes(secret.nonce.clone()),
                        Arg::Text(secret.kind.as_str().into()),
                        Arg::OptUuid(secret.service_id),
                        Arg::Uuid(secret.agent_id),
                        Arg::Time(secret.created_at),
                        Arg::OptTime(secret.expires_at),
                    ],
                )
            })
            .collect();
        self.apply(&statements, &[], Utc::now()).await
    }

    /// A secret by reference while it is held and not expired at `now`;
    /// `None` for a secret that is unknown, expired or no longer held.
    pub async fn held_secret(
        &self,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SealedSecret>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM vault_secrets WHERE reference = $1 \
             AND (expires_at IS NULL OR expires_at > $2) AND {HELD}"
        );
        let row: Option<Row> = fetch_optional(
            &self.read,
            &sql,
            &[Arg::Text(reference.to_owned()), Arg::Time(now)],
        )
        .await?;
        row.map(SealedSecret::try_from).transpose()
    }

    /// A secret by reference whether held or not.
    pub async fn secret(&self, reference: &str) -> Result<Option<SealedSecret>> {
        let sql = format!("SELECT {COLUMNS} FROM vault_secrets WHERE reference = $1");
        let row: Option<Row> =
            fetch_optional(&self.read, &sql, &[Arg::Text(reference.to_owned())]).await?;
        row.map(SealedSecret::try_from).transpose()
    }

    /// Any one stored secret, to check at startup that the key opens them.
    pub async fn any_secret(&self) -> Result<Option<SealedSecret>> {
        let sql = format!("SELECT {COLUMNS} FROM vault_secrets ORDER BY created_at LIMIT 1");
        let row: Option<Row> = fetch_optional(&self.read, &sql, &[]).await?;
        row.map(SealedSecret::try_from).transpose()
    }

    /// Deletes the named secrets of `service_id`; `ephemeral_only` spares
    /// persistent ones. Secrets of other services are never touched, even
    /// when a caller-supplied document names them.
    pub async fn delete_service_secrets(
        &self,
        service_id: Uuid,
        references: &[String],
        ephemeral_only: bool,
    ) -> Result<()> {
        if references.is_empty() {
            return Ok(());
        }
        let kind = if ephemeral_only {
            " AND kind = 'ephemeral'"
        } else {
            ""
        };
        let sql = format!(
            "DELETE FROM vault_secrets WHERE service_id = $1{kind} AND reference IN ({})",
            placeholders(2, references.len())
        );
        let mut args = vec![Arg::Uuid(service_id)];
        args.extend(references.iter().cloned().map(Arg::Text));
        self.apply(&[Statement::new(sql, args)], &[], Utc::now())
            .await
    }

    /// Deletes every secret of a service.
    pub async fn delete_all_service_secrets(&self, service_id: Uuid) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM vault_secrets WHERE service_id = $1",
            vec![Arg::Uuid(service_id)],
        );
        self.apply(&[statement], &[], Utc::now()).await
    }

    /// Deletes the named secrets of an agent's configuration.
    pub async fn delete_agent_secrets(&self, agent_id: Uuid, references: &[String]) -> Result<()> {
        if references.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "DELETE FROM vault_secrets WHERE service_id IS NULL AND agent_id = $1 AND reference IN ({})",
            placeholders(2, references.len())
        );
        let mut args = vec![Arg::Uuid(agent_id)];
        args.extend(references.iter().cloned().map(Arg::Text));
        self.apply(&[Statement::new(sql, args)], &[], Utc::now())
            .await
    }

    /// Deletes secrets that expired by `now`, and secrets written before
    /// `written_before` that no committed row holds: those whose owner's
    /// write failed, were replaced, outlived their job, or whose owner is
    /// gone. Returns how many went.
    pub async fn sweep_secrets(
        &self,
        written_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let sql = format!(
            "DELETE FROM vault_secrets WHERE (expires_at IS NOT NULL AND expires_at <= $2) \
             OR (created_at < $1 AND NOT {HELD})"
        );
        let deleted = on_pool!(self.write, pool => sqlx::query(&sql)
            .bind(written_before)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .map_err(StoreError::classify)?;
        Ok(deleted)
    }
}

//! Participants.

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::listing::{ListQuery, Page};
use federa_domain::participant::{Participant, ParticipantStatus};
use uuid::Uuid;

use crate::db::on_pool_again_if_broken;
use crate::error::{Result, StoreError};
use crate::sql::{bind_args, fetch_page, Arg, ScopeColumns, Where};
use crate::write::Statement;
use crate::Store;

const SELECT: &str = "SELECT id, name, status, created_at, updated_at FROM participants";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("id"),
    consumer: None,
    agent: None,
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Participant {
    fn from(row: Row) -> Participant {
        Participant {
            id: row.id,
            name: row.name,
            // Only the API writes this column, always from the enum.
            status: ParticipantStatus::parse(&row.status).unwrap_or(ParticipantStatus::Disabled),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Store {
    pub async fn insert_participant(
        &self,
        participant: &Participant,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO participants (id, name, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Arg::Uuid(participant.id),
                Arg::Text(participant.name.clone()),
                Arg::Text(participant.status.as_str().into()),
                Arg::Time(participant.created_at),
                Arg::Time(participant.updated_at),
            ],
        );
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            participant.created_at,
        )
        .await
    }

    pub async fn participant(&self, id: Uuid) -> Result<Option<Participant>> {
        let sql = format!("{SELECT} WHERE id = $1");
        let row: Option<Row> =
            on_pool_again_if_broken!(self.read, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
                .map_err(StoreError::classify)?;
        Ok(row.map(Participant::from))
    }

    /// The participants of `ids` that exist, in no particular order.
    pub async fn participants_by_id(
        &self,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Vec<Participant>> {
        let mut filter = Where::new();
        let placeholders: Vec<String> = ids
            .into_iter()
            .map(|id| filter.param(Arg::Uuid(id)))
            .collect();
        if placeholders.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{SELECT} WHERE id IN ({})", placeholders.join(", "));
        let rows: Vec<Row> = on_pool_again_if_broken!(self.read, pool => bind_args!(sqlx::query_as(&sql), &filter.args).fetch_all(pool).await)
            .map_err(StoreError::classify)?;
        Ok(rows.into_iter().map(Participant::from).collect())
    }

    pub async fn participants(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<Participant>> {
        let mut filter = Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let page: Page<Row> =
            fetch_page(&self.read, SELECT, "participants", &filter, query, "id").await?;
        Ok(page.map(Participant::from))
    }

    pub async fn update_participant(
        &self,
        participant: &Participant,
        event: &NewEvent,
    ) -> Result<()> {
        let statement = Statement::new(
            "UPDATE participants SET name = $2, status = $3, updated_at = $4 WHERE id = $1",
            vec![
                Arg::Uuid(participant.id),
                Arg::Text(participant.name.clone()),
                Arg::Text(participant.status.as_str().into()),
                Arg::Time(participant.updated_at),
            ],
        )
        .must_change();
        self.apply(
            &[statement],
            std::slice::from_ref(event),
            participant.updated_at,
        )
        .await
    }

    pub async fn delete_participant(
        &self,
        id: Uuid,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let statement = Statement::new(
            "DELETE FROM participants WHERE id = $1",
            vec![Arg::Uuid(id)],
        )
        .must_change();
        self.apply(&[statement], std::slice::from_ref(event), now)
            .await
    }

    /// Which of a credential's holders is disabled, if any: the participant
    /// it acts for, or the agent it belongs to. A missing row counts as
    /// neither (the token lookup already decided it exists).
    pub async fn disabled_holder(
        &self,
        participant_id: Option<Uuid>,
        agent_id: Option<Uuid>,
    ) -> Result<Option<DisabledHolder>> {
        let row: Option<(Option<String>, Option<String>)> = crate::write::fetch_optional(
            &self.read,
            "SELECT (SELECT status FROM participants WHERE id = $1), (SELECT status FROM agents WHERE id = $2)",
            &[
                Arg::Uuid(participant_id.unwrap_or(Uuid::nil())),
                Arg::Uuid(agent_id.unwrap_or(Uuid::nil())),
            ],
        )
        .await?;
        let (participant, agent) = row.unwrap_or_default();
        Ok(
            if participant.as_deref() == Some(ParticipantStatus::Disabled.as_str()) {
                Some(DisabledHolder::Participant)
            } else if agent.as_deref() == Some("Disabled") {
                Some(DisabledHolder::Agent)
            } else {
                None
            },
        )
    }
}

/// Who makes a credential unusable; see [`Store::disabled_holder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledHolder {
    Participant,
    Agent,
}

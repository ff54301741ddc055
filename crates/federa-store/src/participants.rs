//! Participants.

use chrono::{DateTime, Utc};
use federa_domain::participant::{Participant, ParticipantStatus};
use uuid::Uuid;

use crate::commerce::budgets::{budget, budget_args, property_limits, property_limits_arg};
use crate::db::on_pool_again_if_broken;
use crate::error::{Result, StoreError};
use crate::records::{Record, Table};
use crate::sql::{bind_args, Arg, ScopeColumns, Where};
use crate::Store;
use federa_domain::commerce::PropertyLimits;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
pub struct Row {
    id: Uuid,
    name: String,
    status: String,
    service_limit: Option<i32>,
    monthly_budget: Option<i64>,
    budget_alerts: Option<String>,
    property_limits: Option<Json<PropertyLimits>>,
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
            service_limit: row
                .service_limit
                .and_then(|limit| u32::try_from(limit).ok()),
            budget: budget(row.monthly_budget, row.budget_alerts),
            property_limits: property_limits(row.property_limits),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Record for Participant {
    type Row = Row;
    const TABLE: Table = Table::new(
        "participants",
        &[
            "id",
            "name",
            "status",
            "service_limit",
            "monthly_budget",
            "budget_alerts",
            "property_limits",
            "created_at",
            "updated_at",
        ],
        &[
            "name",
            "status",
            "service_limit",
            "monthly_budget",
            "budget_alerts",
            "property_limits",
            "updated_at",
        ],
    )
    .scoped(ScopeColumns {
        owner: Some("id"),
        consumer: None,
        agent: None,
    })
    .in_use("the participant still owns agents, services or other objects; delete them first");

    fn values(&self) -> Vec<Arg> {
        let mut values = vec![
            Arg::Uuid(self.id),
            Arg::Text(self.name.clone()),
            Arg::Text(self.status.as_str().into()),
            Arg::OptInt(self.service_limit.map(i64::from)),
        ];
        values.extend(budget_args(self.budget.as_ref()));
        values.push(property_limits_arg(&self.property_limits));
        values.extend([Arg::Time(self.created_at), Arg::Time(self.updated_at)]);
        values
    }
}

impl Store {
    /// The participant with this id: what most references are checked against.
    pub async fn participant(&self, id: Uuid) -> Result<Option<Participant>> {
        self.record(id).await
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
        let sql = format!(
            "{} WHERE id IN ({})",
            Participant::TABLE.select(),
            placeholders.join(", ")
        );
        let rows: Vec<Row> = on_pool_again_if_broken!(self.read, pool => bind_args!(sqlx::query_as(&sql), &filter.args).fetch_all(pool).await)
            .map_err(StoreError::classify)?;
        Ok(rows.into_iter().map(Participant::from).collect())
    }

    /// Which of a credential's holders is disabled, if any: the participant
    /// it acts for, or the agent it belongs to. A missing row counts as
    /// neither (the token lookup already decided it exists).
    pub async fn disabled_holder(
        &self,
        participant_id: Option<Uuid>,
        agent_id: Option<Uuid>,
    ) -> Result<Option<DisabledHolder>> {
        let load = self.load_disabled_holder(participant_id, agent_id);
        crate::read_cache::read_through(
            &self.caches,
            &self.caches.disabled_holders,
            (participant_id, agent_id),
            |_| true,
            load,
        )
        .await
    }

    async fn load_disabled_holder(
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

pub use crate::disabled_holder::DisabledHolder;

//! Switches of a service to another provider. A switch is written with its
//! target service and that service's `create` job in one transaction, and
//! every later step is a conditional update from the stage it was read in,
//! committed with the job the step queues and its events, so of several
//! replicas taking the same step one wins and the others change nothing.

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::exchange::switching::{Switch, SwitchPlan, SwitchStage};
use federa_domain::listing::{ListQuery, Page};
use federa_domain::provisioning::Job;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::provisioning::services::{insert_job, job_wake, order_statements, ServiceOrder};
use crate::sql::{fetch_scoped_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, consumer_id, source_service_id, target_service_id, source_provider_id, target_provider_id, stage, progress, plan, export_report, transfer_token, job_id, created_at, updated_at, composition_switch_id, composition_id, member_key FROM switches";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("consumer_id"),
    consumer: None,
    agent: None,
};

/// A switch as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSwitch {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub source_service_id: Uuid,
    pub target_service_id: Uuid,
    pub source_provider_id: Uuid,
    pub target_provider_id: Uuid,
    pub progress: Switch,
    pub plan: SwitchPlan,
    /// What the source agent reported with its export: where the target
    /// pulls it from, its size and SHA-256.
    pub export_report: Option<Value>,
    /// The token the target agent shows the source agent, sealed with the
    /// vault's key; kept only while the import may still need it.
    pub transfer_token: Option<String>,
    /// The job of the current step.
    pub job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The composition switch it is one member's part of, if any.
    pub member: Option<SwitchedMember>,
}

/// Which member of which composition a switch moves, as one of the switches
/// that make up one composition switch.
#[derive(Debug, Clone, PartialEq)]
pub struct SwitchedMember {
    pub composition_switch_id: Uuid,
    pub composition_id: Uuid,
    pub key: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    consumer_id: Uuid,
    source_service_id: Uuid,
    target_service_id: Uuid,
    source_provider_id: Uuid,
    target_provider_id: Uuid,
    stage: String,
    progress: Json<Switch>,
    plan: Json<SwitchPlan>,
    export_report: Option<Json<Value>>,
    transfer_token: Option<String>,
    job_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    composition_switch_id: Option<Uuid>,
    composition_id: Option<Uuid>,
    member_key: Option<String>,
}

impl From<Row> for StoredSwitch {
    fn from(row: Row) -> StoredSwitch {
        let mut progress = row.progress.0;
        // The column is what conditional updates compare; it wins.
        if let Some(stage) = SwitchStage::parse(&row.stage) {
            progress.stage = stage;
        }
        StoredSwitch {
            id: row.id,
            consumer_id: row.consumer_id,
            source_service_id: row.source_service_id,
            target_service_id: row.target_service_id,
            source_provider_id: row.source_provider_id,
            target_provider_id: row.target_provider_id,
            progress,
            plan: row.plan.0,
            export_report: row.export_report.map(|report| report.0),
            transfer_token: row.transfer_token,
            job_id: row.job_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            member: match (
                row.composition_switch_id,
                row.composition_id,
                row.member_key,
            ) {
                (Some(composition_switch_id), Some(composition_id), Some(key)) => {
                    Some(SwitchedMember {
                        composition_switch_id,
                        composition_id,
                        key,
                    })
                }
                _ => None,
            },
        }
    }
}

fn progress_json(progress: &Switch) -> Value {
    serde_json::to_value(progress).unwrap_or_default()
}

/// One step of a switch: its record after the step, and the job the step
/// queues, if any.
pub struct SwitchStep<'a> {
    pub from: SwitchStage,
    /// The job of the step the switch was read at: a step that stays in its
    /// stage (queueing a roll-back's deletion) is told from a repeat by it.
    pub from_job: Option<Uuid>,
    pub to: &'a StoredSwitch,
    pub job: Option<&'a Job>,
    /// At the cut-over of a composition member's switch: the member now
    /// runs as the target service, where the target was placed.
    pub repoint: bool,
}

impl Store {
    /// Writes a new switch with its target service as ordered, in one
    /// transaction. The target counts against the consumer's quotas: during
    /// the transitional period it is one more of its services.
    pub async fn insert_switch(
        &self,
        switch: &StoredSwitch,
        order: ServiceOrder<'_>,
        events: &[NewEvent],
    ) -> Result<()> {
        let mut statements = vec![Statement::new(
            "INSERT INTO switches (id, consumer_id, source_service_id, target_service_id, source_provider_id, target_provider_id, stage, progress, plan, export_report, job_id, created_at, updated_at, composition_switch_id, composition_id, member_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $11, $12, $13, $14)",
            vec![
                Arg::Uuid(switch.id),
                Arg::Uuid(switch.consumer_id),
                Arg::Uuid(switch.source_service_id),
                Arg::Uuid(switch.target_service_id),
                Arg::Uuid(switch.source_provider_id),
                Arg::Uuid(switch.target_provider_id),
                Arg::Text(switch.progress.stage.as_str().to_owned()),
                Arg::Json(progress_json(&switch.progress)),
                Arg::Json(serde_json::to_value(&switch.plan).unwrap_or_default()),
                Arg::OptUuid(switch.job_id),
                Arg::Time(switch.created_at),
                Arg::OptUuid(switch.member.as_ref().map(|m| m.composition_switch_id)),
                Arg::OptUuid(switch.member.as_ref().map(|m| m.composition_id)),
                Arg::OptText(switch.member.as_ref().map(|m| m.key.clone())),
            ],
        )];
        statements.extend(order_statements(order));
        let written = self.apply(&statements, events, switch.created_at).await;
        self.within_quotas(order.quota, written).await
    }

    pub async fn switch(&self, id: Uuid) -> Result<Option<StoredSwitch>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(row.map(StoredSwitch::from))
    }

    pub async fn switches(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<StoredSwitch>> {
        let page: Page<Row> = fetch_scoped_page(
            &self.read,
            (SELECT, "switches", "id"),
            (scope, SCOPE),
            query,
        )
        .await?;
        Ok(page.map(StoredSwitch::from))
    }

    /// The switches `service_id` is the source or the target of, newest
    /// first.
    pub async fn service_switches(&self, service_id: Uuid) -> Result<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> = fetch_all(
            &self.read,
            "SELECT id FROM switches WHERE source_service_id = $1 OR target_service_id = $1 ORDER BY created_at DESC, id",
            &[Arg::Uuid(service_id)],
        )
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The switches that make up one composition switch, in the order of
    /// the composition's members.
    pub async fn composition_switch(
        &self,
        composition_switch_id: Uuid,
    ) -> Result<Vec<StoredSwitch>> {
        let rows: Vec<Row> = fetch_all(
            &self.read,
            &format!(
                "{SELECT} s WHERE composition_switch_id = $1 ORDER BY (SELECT m.position FROM composition_members m WHERE m.composition_id = s.composition_id AND m.member_key = s.member_key), id"
            ),
            &[Arg::Uuid(composition_switch_id)],
        )
        .await?;
        Ok(rows.into_iter().map(StoredSwitch::from).collect())
    }

    /// The offering a service runs under: the one placement chose, else its
    /// provider's first offering of its type (as billing prices it).
    pub async fn service_offering(&self, service_id: Uuid) -> Result<Option<Uuid>> {
        let row: Option<(Option<Uuid>,)> = fetch_optional(
            &self.read,
            "SELECT COALESCE(p.offering_id, (SELECT o.id FROM offerings o WHERE o.participant_id = s.provider_id AND o.service_type_id = s.service_type_id ORDER BY o.created_at, o.id LIMIT 1)) \
             FROM services s LEFT JOIN placements p ON p.service_id = s.id WHERE s.id = $1",
            &[Arg::Uuid(service_id)],
        )
        .await?;
        Ok(row.and_then(|(id,)| id))
    }

    /// Switches in one of `stages`, the least recently changed first.
    pub async fn switches_in(&self, stages: &[SwitchStage], limit: u32) -> Result<Vec<Uuid>> {
        let mut filter = Where::new();
        filter.any_of(
            "stage",
            stages
                .iter()
                .map(|stage| Arg::Text(stage.as_str().to_owned())),
        );
        let rows: Vec<(Uuid,)> = fetch_all(
            &self.read,
            &format!(
                "SELECT id FROM switches{} ORDER BY updated_at, id LIMIT {limit}",
                filter.sql()
            ),
            &filter.args,
        )
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Takes one step: writes the switch's new record, if it is still in
    /// `step.from`, with the job the step queues and `events`. `false`,
    /// with nothing written, when another writer moved the switch first.
    pub async fn step_switch(
        &self,
        step: SwitchStep<'_>,
        events: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let to = step.to;
        let mut statements = vec![Statement::new(
            "UPDATE switches SET stage = $3, progress = $4, export_report = $5, job_id = $6, updated_at = $7, transfer_token = $9 WHERE id = $1 AND stage = $2 AND (job_id = $8 OR ($8 IS NULL AND job_id IS NULL))",
            vec![
                Arg::Uuid(to.id),
                Arg::Text(step.from.as_str().to_owned()),
                Arg::Text(to.progress.stage.as_str().to_owned()),
                Arg::Json(progress_json(&to.progress)),
                Arg::OptJson(to.export_report.clone()),
                Arg::OptUuid(to.job_id),
                Arg::Time(now),
                Arg::OptUuid(step.from_job),
                Arg::OptText(to.transfer_token.clone()),
            ],
        )
        .guard()];
        if let Some(job) = step.job {
            statements.extend(insert_job(job));
            statements.push(job_wake(job.agent_id));
        }
        if let (true, Some(member)) = (step.repoint, &to.member) {
            // Not a guard: a member deleted meanwhile does not hold back the
            // switch's own cut-over.
            statements.push(
                Statement::new(
                    "UPDATE composition_members SET service_id = $3, provider_id = $4, country = $5, updated_at = $6 WHERE composition_id = $1 AND member_key = $2 AND service_id = $7",
                    vec![
                        Arg::Uuid(member.composition_id),
                        Arg::Text(member.key.clone()),
                        Arg::Uuid(to.target_service_id),
                        Arg::Uuid(to.target_provider_id),
                        Arg::Text(to.plan.target_country.clone()),
                        Arg::Time(now),
                        Arg::Uuid(to.source_service_id),
                    ],
                ),
            );
        }
        self.apply_if(&statements, events, now).await
    }
}

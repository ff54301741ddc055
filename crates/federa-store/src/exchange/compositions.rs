//! Compositions and their members. Every change of a member's state is a
//! conditional update from the state it was read in, committed with its
//! event (and, when ordering or deleting, with the service and job it
//! creates), so of several replicas advancing the same step one wins and
//! the others change nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use federa_domain::access::ListScope;
use federa_domain::event::NewEvent;
use federa_domain::exchange::composition::CompositionSpec;
use federa_domain::exchange::composition_progress::{Intent, MemberState};
use federa_domain::listing::{ListQuery, Page};
use federa_domain::provisioning::Job;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::Result;
use crate::provisioning::services::{insert_job, job_wake, order_statements, ServiceOrder};
use crate::sql::{fetch_scoped_page, Arg, ScopeColumns, Where};
use crate::write::{fetch_all, fetch_optional, Statement};
use crate::Store;

const SELECT: &str = "SELECT id, consumer_id, group_id, spec, intent, status, created_at, updated_at FROM compositions";
const SELECT_MEMBERS: &str = "SELECT composition_id, member_key, position, state, service_id, job_id, provider_id, country, explanation, error, updated_at FROM composition_members";

const SCOPE: ScopeColumns = ScopeColumns {
    owner: Some("consumer_id"),
    consumer: None,
    agent: None,
};

/// A composition as stored, with its members in declaration order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredComposition {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub group_id: Uuid,
    pub spec: CompositionSpec,
    pub intent: Intent,
    /// The overall status as last derived.
    pub status: String,
    pub members: Vec<StoredMember>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredMember {
    pub key: String,
    pub state: MemberState,
    pub service_id: Option<Uuid>,
    /// The member's latest job: its `create`, then its `delete`.
    pub job_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub country: Option<String>,
    /// Why placement chose the provider.
    pub explanation: Option<String>,
    pub error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Where an ordered member was placed.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberPlacement {
    pub provider_id: Uuid,
    pub country: String,
    pub explanation: String,
}

/// A member's new service as ordered, with the member it fills and where
/// the member was placed.
pub struct MemberOrder<'a> {
    pub key: &'a str,
    pub placed: &'a MemberPlacement,
    pub order: ServiceOrder<'a>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    consumer_id: Uuid,
    group_id: Uuid,
    spec: Json<CompositionSpec>,
    intent: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    composition_id: Uuid,
    member_key: String,
    position: i64,
    state: String,
    service_id: Option<Uuid>,
    job_id: Option<Uuid>,
    provider_id: Option<Uuid>,
    country: Option<String>,
    explanation: Option<String>,
    error: Option<String>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn with(self, mut members: Vec<MemberRow>) -> StoredComposition {
        members.sort_by_key(|member| member.position);
        StoredComposition {
            id: self.id,
            consumer_id: self.consumer_id,
            group_id: self.group_id,
            spec: self.spec.0,
            // Written from the enum's own names.
            intent: Intent::parse(&self.intent).unwrap_or(Intent::Provision),
            status: self.status,
            members: members
                .into_iter()
                .map(|member| StoredMember {
                    key: member.member_key,
                    state: MemberState::parse(&member.state).unwrap_or(MemberState::Kept),
                    service_id: member.service_id,
                    job_id: member.job_id,
                    provider_id: member.provider_id,
                    country: member.country,
                    explanation: member.explanation,
                    error: member.error,
                    updated_at: member.updated_at,
                })
                .collect(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Moves a member from `from` to `to` and sets the given columns; nothing
/// when the member is no longer in `from`.
const MOVE_MEMBER: &str = "UPDATE composition_members SET state = $3, updated_at = $5, error = COALESCE($6, error), service_id = COALESCE($7, service_id), job_id = COALESCE($8, job_id), provider_id = COALESCE($9, provider_id), country = COALESCE($10, country), explanation = COALESCE($11, explanation) WHERE composition_id = $1 AND member_key = $2 AND state = $4";

/// The arguments of [`MOVE_MEMBER`].
struct Move<'a> {
    composition_id: Uuid,
    key: &'a str,
    from: MemberState,
    to: MemberState,
    at: DateTime<Utc>,
    error: Option<String>,
    service_id: Option<Uuid>,
    job_id: Option<Uuid>,
    placed: Option<&'a MemberPlacement>,
}

impl Move<'_> {
    fn args(&self) -> Vec<Arg> {
        vec![
            Arg::Uuid(self.composition_id),
            Arg::Text(self.key.to_owned()),
            Arg::Text(self.to.as_str().to_owned()),
            Arg::Text(self.from.as_str().to_owned()),
            Arg::Time(self.at),
            Arg::OptText(self.error.clone()),
            Arg::OptUuid(self.service_id),
            Arg::OptUuid(self.job_id),
            Arg::OptUuid(self.placed.map(|placed| placed.provider_id)),
            Arg::OptText(self.placed.map(|placed| placed.country.clone())),
            Arg::OptText(self.placed.map(|placed| placed.explanation.clone())),
        ]
    }
}

/// The statements writing a new composition and its members.
pub(crate) fn composition_statements(composition: &StoredComposition) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        "INSERT INTO compositions (id, consumer_id, group_id, name, spec, intent, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        vec![
            Arg::Uuid(composition.id),
            Arg::Uuid(composition.consumer_id),
            Arg::Uuid(composition.group_id),
            Arg::Text(composition.spec.name.clone()),
            Arg::Json(serde_json::to_value(&composition.spec).unwrap_or_default()),
            Arg::Text(composition.intent.as_str().to_owned()),
            Arg::Text(composition.status.clone()),
            Arg::Time(composition.created_at),
        ],
    )];
    for (position, member) in composition.members.iter().enumerate() {
        statements.push(Statement::new(
            "INSERT INTO composition_members (composition_id, member_key, position, state, updated_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Arg::Uuid(composition.id),
                Arg::Text(member.key.clone()),
                Arg::Int(i64::try_from(position).unwrap_or(i64::MAX)),
                Arg::Text(member.state.as_str().to_owned()),
                Arg::Time(composition.created_at),
            ],
        ));
    }
    statements
}

impl Store {
    pub async fn insert_composition(
        &self,
        composition: &StoredComposition,
        event: &NewEvent,
    ) -> Result<()> {
        self.apply(
            &composition_statements(composition),
            std::slice::from_ref(event),
            composition.created_at,
        )
        .await
    }

    pub async fn composition(&self, id: Uuid) -> Result<Option<StoredComposition>> {
        let row: Option<Row> = fetch_optional(
            &self.read,
            &format!("{SELECT} WHERE id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let members: Vec<MemberRow> = fetch_all(
            &self.read,
            &format!("{SELECT_MEMBERS} WHERE composition_id = $1"),
            &[Arg::Uuid(id)],
        )
        .await?;
        Ok(Some(row.with(members)))
    }

    pub async fn compositions(
        &self,
        scope: ListScope,
        query: &ListQuery,
    ) -> Result<Page<StoredComposition>> {
        let page: Page<Row> = fetch_scoped_page(
            &self.read,
            (SELECT, "compositions", "id"),
            (scope, SCOPE),
            query,
        )
        .await?;
        let mut members: HashMap<Uuid, Vec<MemberRow>> = HashMap::new();
        if !page.items.is_empty() {
            let mut ids = Where::new();
            let placeholders: Vec<String> = page
                .items
                .iter()
                .map(|row| ids.param(Arg::Uuid(row.id)))
                .collect();
            let rows: Vec<MemberRow> = fetch_all(
                &self.read,
                &format!(
                    "{SELECT_MEMBERS} WHERE composition_id IN ({})",
                    placeholders.join(", ")
                ),
                &ids.args,
            )
            .await?;
            for row in rows {
                members.entry(row.composition_id).or_default().push(row);
            }
        }
        Ok(page.map(|row| {
            let own = members.remove(&row.id).unwrap_or_default();
            row.with(own)
        }))
    }

    /// Compositions whose status is one of `statuses`, oldest change first.
    pub async fn compositions_in(&self, statuses: &[&str], limit: u32) -> Result<Vec<Uuid>> {
        let mut filter = Where::new();
        let placeholders: Vec<String> = statuses
            .iter()
            .map(|status| filter.param(Arg::Text((*status).to_owned())))
            .collect();
        let rows: Vec<(Uuid,)> = fetch_all(
            &self.read,
            &format!(
                "SELECT id FROM compositions WHERE status IN ({}) ORDER BY updated_at, id LIMIT {limit}",
                placeholders.join(", ")
            ),
            &filter.args,
        )
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The composition `service_id` is a member of, if any.
    pub async fn service_composition(&self, service_id: Uuid) -> Result<Option<Uuid>> {
        let row: Option<(Uuid,)> = fetch_optional(
            &self.read,
            "SELECT composition_id FROM composition_members WHERE service_id = $1",
            &[Arg::Uuid(service_id)],
        )
        .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Moves a member from `from` to `to`, recording `error` when given;
    /// `false` when another writer moved it first.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_member(
        &self,
        composition_id: Uuid,
        key: &str,
        from: MemberState,
        to: MemberState,
        error: Option<String>,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let change = Move {
            composition_id,
            key,
            from,
            to,
            at: now,
            error,
            service_id: None,
            job_id: None,
            placed: None,
        };
        let statement = Statement::new(MOVE_MEMBER, change.args()).guard();
        self.apply_if(&[statement], std::slice::from_ref(event), now)
            .await
    }

    /// Switches the composition's intent, with the status it starts in, so
    /// the sweep finds it even if nothing else happens; `false` when the
    /// intent was no longer one of `from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_composition_intent(
        &self,
        id: Uuid,
        from: &[Intent],
        to: Intent,
        status: &str,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut filter = Where::new();
        filter.eq("id", Arg::Uuid(id));
        let placeholders: Vec<String> = from
            .iter()
            .map(|intent| filter.param(Arg::Text(intent.as_str().to_owned())))
            .collect();
        filter.and(format!("intent IN ({})", placeholders.join(", ")));
        let to_param = filter.param(Arg::Text(to.as_str().to_owned()));
        let status_param = filter.param(Arg::Text(status.to_owned()));
        let at_param = filter.param(Arg::Time(now));
        let statement = Statement::new(
            format!(
                "UPDATE compositions SET intent = {to_param}, status = {status_param}, updated_at = {at_param}{}",
                filter.sql()
            ),
            filter.args,
        )
        .guard();
        self.apply_if(&[statement], std::slice::from_ref(event), now)
            .await
    }

    /// Records a newly derived overall status; `false` when it was already
    /// recorded (by this or another replica).
    pub async fn set_composition_status(
        &self,
        id: Uuid,
        status: &str,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let statement = Statement::new(
            "UPDATE compositions SET status = $2, updated_at = $3 WHERE id = $1 AND status <> $2",
            vec![Arg::Uuid(id), Arg::Text(status.to_owned()), Arg::Time(now)],
        )
        .guard();
        self.apply_if(&[statement], std::slice::from_ref(event), now)
            .await
    }

    /// Orders a waiting member: moves it to `creating` and writes its
    /// service and `create` job, all in one transaction. `false`, with
    /// nothing written, when the member was no longer waiting.
    pub async fn order_member(
        &self,
        composition_id: Uuid,
        order: MemberOrder<'_>,
        events: &[NewEvent],
    ) -> Result<bool> {
        let MemberOrder { key, placed, order } = order;
        let (service, job) = (order.service, order.job);
        let change = Move {
            composition_id,
            key,
            from: MemberState::Waiting,
            to: MemberState::Creating,
            at: service.created_at,
            error: None,
            service_id: Some(service.id),
            job_id: Some(job.id),
            placed: Some(placed),
        };
        let mut statements = vec![Statement::new(MOVE_MEMBER, change.args()).guard()];
        // A member of a composition an order asked for is its line's
        // service, which the line's quote bills.
        statements.push(Statement::new(
            "UPDATE order_lines SET service_id = $3 WHERE order_id = (SELECT id FROM orders WHERE composition_id = $1) \
             AND position = (SELECT position FROM composition_members WHERE composition_id = $1 AND member_key = $2)",
            vec![
                Arg::Uuid(composition_id),
                Arg::Text(key.to_owned()),
                Arg::Uuid(service.id),
            ],
        ));
        statements.extend(order_statements(order));
        let written = self.apply_if(&statements, events, service.created_at).await;
        self.within_quotas(order.quota, written).await
    }

    /// Queues the deletion of a member in `from`: moves it to `deleting`
    /// and writes its `delete` job in one transaction; `false`, with
    /// nothing written, when the member had moved.
    pub async fn delete_member(
        &self,
        composition_id: Uuid,
        key: &str,
        from: MemberState,
        job: &Job,
        events: &[NewEvent],
    ) -> Result<bool> {
        let change = Move {
            composition_id,
            key,
            from,
            to: MemberState::Deleting,
            at: job.created_at,
            error: None,
            service_id: None,
            job_id: Some(job.id),
            placed: None,
        };
        let [lock, insert] = insert_job(job);
        let statements = [
            Statement::new(MOVE_MEMBER, change.args()).guard(),
            lock,
            insert,
            job_wake(job.agent_id),
        ];
        self.apply_if(&statements, events, job.created_at).await
    }
}

//! Writing and reading the event log.

use chrono::{DateTime, Utc};
use federa_domain::event::Event;
use sqlx::types::Json;
use uuid::Uuid;

/// SQLite: numbers the next event and stamps it with `$1`, or with the
/// previous event's time when that is later: writers take their time
/// before they queue for the counter, so without this a writer that waited
/// longer would give a later event an earlier time. Its one writer holds
/// the whole database anyway, so holding the counter too costs nothing.
pub(crate) const NEXT_SEQUENCE: &str = "UPDATE event_counter SET last_sequence = last_sequence + 1, last_created_at = CASE WHEN last_created_at > $1 THEN last_created_at ELSE $1 END WHERE singleton = 1 RETURNING last_sequence, last_created_at";

pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (sequence_number, id, type, initiator_type, initiator_id, initiator_user_id, entity_id, provider_id, consumer_id, agent_id, properties, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// PostgreSQL: the event waits unnumbered, committed with its change, until
/// [`crate::Store::number_events`] numbers it (migration 0018 says why).
pub(crate) const INSERT_UNNUMBERED_EVENT: &str = "INSERT INTO unnumbered_events (id, type, initiator_type, initiator_id, initiator_user_id, entity_id, provider_id, consumer_id, agent_id, properties, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Events one numbering statement moves at most: a backlog is numbered in
/// several, each well inside the statement timeout.
const NUMBERING_BATCH: i64 = 10_000;

/// Appends a [`federa_domain::event::NewEvent`] inside the open transaction
/// `$tx`, which must be the one that makes the change the event describes:
/// numbered at once on SQLite, unnumbered on PostgreSQL (`$postgres`); a
/// failure returns `$failure` of the `sqlx` error.
macro_rules! record_event {
    ($tx:expr, $postgres:expr, $event:expr, $now:expr, $failure:expr) => {{
        let event: &federa_domain::event::NewEvent = $event;
        let now: chrono::DateTime<chrono::Utc> = $now;
        let (query, created_at) = if $postgres {
            (sqlx::query($crate::events::INSERT_UNNUMBERED_EVENT), now)
        } else {
            let (sequence, created_at): (i64, chrono::DateTime<chrono::Utc>) =
                sqlx::query_as($crate::events::NEXT_SEQUENCE)
                    .bind(now)
                    .fetch_one(&mut *$tx)
                    .await
                    .map_err($failure)?;
            (
                sqlx::query($crate::events::INSERT_EVENT).bind(sequence),
                created_at,
            )
        };
        query
            .bind(uuid::Uuid::now_v7())
            .bind(event.kind.as_str())
            .bind(event.initiator.kind)
            .bind(event.initiator.id.as_str())
            .bind(event.initiator.user_id)
            .bind(event.entity_id)
            .bind(event.provider_id)
            .bind(event.consumer_id)
            .bind(event.agent_id)
            .bind(sqlx::types::Json(&event.properties))
            .bind(created_at)
            .execute(&mut *$tx)
            .await
            .map_err($failure)?;
    }};
}
pub(crate) use record_event;

pub(crate) const EVENT_COLUMNS: &str = "sequence_number, id, type, initiator_type, initiator_id, initiator_user_id, entity_id, provider_id, consumer_id, agent_id, properties, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    sequence_number: i64,
    id: Uuid,
    #[sqlx(rename = "type")]
    kind: String,
    initiator_type: String,
    initiator_id: String,
    initiator_user_id: Option<Uuid>,
    entity_id: Option<Uuid>,
    provider_id: Option<Uuid>,
    consumer_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    properties: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Event {
        Event {
            id: row.id,
            sequence_number: row.sequence_number,
            kind: row.kind,
            initiator_type: row.initiator_type,
            initiator_id: row.initiator_id,
            initiator_user_id: row.initiator_user_id,
            entity_id: row.entity_id,
            provider_id: row.provider_id,
            consumer_id: row.consumer_id,
            agent_id: row.agent_id,
            properties: row.properties.0,
            created_at: row.created_at,
        }
    }
}

const SCOPE: crate::sql::ScopeColumns = crate::sql::ScopeColumns {
    owner: Some("provider_id"),
    consumer: Some("consumer_id"),
    agent: Some("agent_id"),
};

impl crate::Store {
    pub async fn events(
        &self,
        scope: federa_domain::access::ListScope,
        query: &federa_domain::listing::ListQuery,
    ) -> crate::error::Result<federa_domain::listing::Page<Event>> {
        self.number_events().await?;
        let mut filter = crate::sql::Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(&query.filters);
        let select = format!("SELECT {EVENT_COLUMNS} FROM events");
        let page: federa_domain::listing::Page<EventRow> = crate::sql::fetch_page(
            &self.read,
            &select,
            "events",
            &filter,
            query,
            "sequence_number",
        )
        .await?;
        Ok(page.map(Event::from))
    }

    /// Up to `limit` events after sequence number `after`, oldest first,
    /// among those `scope` and `filters` let through. Because sequence
    /// numbers commit in order, reading on from the last one returned never
    /// skips an event. Like every read of the log, it numbers the events
    /// committed so far first, so it sees every event committed before it.
    pub async fn events_after(
        &self,
        scope: federa_domain::access::ListScope,
        filters: &[federa_domain::listing::Filter],
        after: i64,
        limit: u32,
    ) -> crate::error::Result<Vec<Event>> {
        self.number_events().await?;
        let mut filter = crate::sql::Where::new();
        filter.scope(scope, SCOPE);
        filter.filters(filters);
        let after = filter.param(crate::sql::Arg::Int(after));
        filter.and(format!("sequence_number > {after}"));
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events{} ORDER BY sequence_number LIMIT {limit}",
            filter.sql()
        );
        let rows: Vec<EventRow> = crate::db::on_pool_again_if_broken!(self.read, pool => {
            crate::sql::bind_args!(sqlx::query_as::<_, EventRow>(&sql), &filter.args)
                .fetch_all(pool)
                .await
        })
        .map_err(crate::StoreError::classify)?;
        Ok(rows.into_iter().map(Event::from).collect())
    }

    /// The highest sequence number committed so far (0 for an empty log):
    /// every event up to it is readable.
    pub async fn last_event_sequence(&self) -> crate::error::Result<i64> {
        self.number_events().await?;
        crate::db::on_pool_again_if_broken!(self.read, pool => {
            sqlx::query_scalar("SELECT last_sequence FROM event_counter WHERE singleton = 1")
                .fetch_one(pool)
                .await
        })
        .map_err(crate::StoreError::classify)
    }
}

impl crate::Store {
    /// Numbers every event whose write has committed and answers how many
    /// (PostgreSQL; SQLite numbers each as it is written). Every read of
    /// the log runs it first, so a reader sees every event committed before
    /// its read, and each server runs it every second, so events committed
    /// while nobody reads do not pile up.
    pub async fn number_events(&self) -> crate::error::Result<u64> {
        let crate::db::Db::Postgres(..) = &self.write else {
            return Ok(0);
        };
        let mut numbered = 0;
        loop {
            let moved: i64 = crate::db::on_pool_again_if_broken!(self.write, pool => {
                sqlx::query_scalar("SELECT federa_number_events($1)")
                    .bind(NUMBERING_BATCH)
                    .fetch_one(pool)
                    .await
            })
            .map_err(crate::StoreError::classify)?;
            numbered += u64::try_from(moved).unwrap_or(0);
            if moved < NUMBERING_BATCH {
                return Ok(numbered);
            }
        }
    }
}

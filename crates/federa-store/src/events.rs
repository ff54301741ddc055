//! Writing and reading the event log.

use chrono::{DateTime, Utc};
use federa_domain::event::Event;
use sqlx::types::Json;
use uuid::Uuid;

/// SQLite: reserves the next `$2` event numbers and answers the last one,
/// with the time to stamp them: `$1`, or the previous event's time when
/// that is later, since writers take their time before they queue for the
/// counter and without this a writer that waited longer would give a later
/// event an earlier time. Its one writer holds the whole database anyway,
/// so holding the counter too costs nothing.
pub(crate) const RESERVE_SEQUENCES: &str = "UPDATE event_counter SET last_sequence = last_sequence + $2, last_created_at = CASE WHEN last_created_at > $1 THEN last_created_at ELSE $1 END WHERE singleton = 1 RETURNING last_sequence, last_created_at";

/// PostgreSQL: the event waits unnumbered, committed with its change, until
/// [`crate::Store::number_events`] numbers it (migration 0018 says why).
const UNNUMBERED_COLUMNS: &str = "id, type, initiator_type, initiator_id, initiator_user_id, entity_id, provider_id, consumer_id, agent_id, properties, created_at";

/// Events one numbering statement moves at most: a backlog is numbered in
/// several, each well inside the statement timeout.
const NUMBERING_BATCH: i64 = 10_000;

/// Events one `INSERT` writes at most, well inside either engine's limit
/// on bound values (12 per event).
pub(crate) const EVENTS_PER_INSERT: usize = 500;

/// The `INSERT` of `rows` events: numbered into `events` on SQLite,
/// unnumbered on PostgreSQL.
pub(crate) fn insert_events_sql(postgres: bool, rows: usize) -> String {
    let (table, columns, per_row) = if postgres {
        ("unnumbered_events", UNNUMBERED_COLUMNS, 11)
    } else {
        ("events", EVENT_COLUMNS, 12)
    };
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..per_row {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * per_row + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// Appends the events `$events` (a slice of
/// [`federa_domain::event::NewEvent`]) inside the open
/// transaction `$tx`, which must be the one that makes the change they
/// describe, in as few statements as their number allows: on SQLite one
/// reservation of their numbers and one `INSERT` per
/// [`EVENTS_PER_INSERT`]; on PostgreSQL (`$postgres`) the `INSERT`s
/// alone, the events left unnumbered. A failure returns `$failure` of the
/// `sqlx` error.
macro_rules! record_events {
    ($tx:expr, $postgres:expr, $events:expr, $now:expr, $failure:expr) => {{
        let events: &[federa_domain::event::NewEvent] = $events;
        let now: chrono::DateTime<chrono::Utc> = $now;
        if !events.is_empty() {
            // The first number of the write, and the time all its events share.
            let (mut next, created_at): (i64, chrono::DateTime<chrono::Utc>) = if $postgres {
                (0, now)
            } else {
                let (last, created_at): (i64, chrono::DateTime<chrono::Utc>) =
                    sqlx::query_as($crate::events::RESERVE_SEQUENCES)
                        .bind(now)
                        .bind(events.len() as i64)
                        .fetch_one(&mut *$tx)
                        .await
                        .map_err($failure)?;
                (last - events.len() as i64 + 1, created_at)
            };
            for chunk in events.chunks($crate::events::EVENTS_PER_INSERT) {
                let sql = $crate::events::insert_events_sql($postgres, chunk.len());
                let mut query = sqlx::query(&sql);
                for event in chunk {
                    if !$postgres {
                        query = query.bind(next);
                        next += 1;
                    }
                    query = query
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
                        .bind(created_at);
                }
                query.execute(&mut *$tx).await.map_err($failure)?;
            }
        }
    }};
}
pub(crate) use record_events;

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
        let select = format!("SELECT {EVENT_COLUMNS} FROM events");
        let page: federa_domain::listing::Page<EventRow> = crate::sql::fetch_scoped_page(
            &self.read,
            (&select, "events", "sequence_number"),
            (scope, SCOPE),
            query,
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

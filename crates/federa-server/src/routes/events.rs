//! The event log: listing, leased consumption by external subscribers
//! (`/events/lease`, `/events/ack`, as Fulcrum) and a Server-Sent Events
//! stream (`/events/stream`, Federa's addition).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::{Extension, Json};
use federa_domain::access::{Action, ListScope, Object, Owners};
use federa_domain::event::{check_subscriber_id, Event, LeaseTerms, EVENT_LIST};
use federa_domain::listing::Page;
use federa_store::event_subscriptions::{AckOutcome, LeaseOutcome};
use futures_util::stream::{self, Stream, StreamExt};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use federa_api::events::{EventAckReq, EventAckRes, EventLeaseReq, EventLeaseRes, EventRes};

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::event_feed::EventFeed;
use crate::extract::{Body, QueryPairs};
use crate::routes::documented::{Invalid, Missing, Refused};
use crate::routes::PageRes;
use crate::state::AppState;

/// How long one stream response lasts before the client reconnects with
/// `Last-Event-ID`. Bounded, like the job long-poll, so that a graceful
/// shutdown waits at most this long for open streams.
pub const STREAM_LIFETIME: Duration = Duration::from_secs(60);
/// The reconnection delay suggested to stream clients.
const STREAM_RETRY: Duration = Duration::from_secs(1);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(lease))
        .routes(routes!(ack))
        .routes(routes!(stream))
        .layer(Extension(EventFeed::new()))
}

/// List events.
#[utoipa::path(get, path = "/events", tag = "Events",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("cursor" = Option<String>, Query, description = "a page's nextCursor: the rows after that page"),
        ("sort" = Option<String>, Query, description = "sequenceNumber (default) or createdAt, prefixed with + or -"),
        ("initiatorType" = Option<Vec<String>>, Query), ("initiatorId" = Option<Vec<String>>, Query),
        ("type" = Option<Vec<String>>, Query, description = "case-insensitive substring of the event type"),
        ("entityId" = Option<Vec<Uuid>>, Query)),
    responses((status = 200, body = PageRes<EventRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<EventRes>>> {
    let scope = caller.list_scope(Object::Event)?;
    let query = EVENT_LIST.parse(&pairs)?;
    let page = state.store.events(scope, &query).await?;
    Ok(Json(page.map(EventRes::from)))
}

/// Take or renew a subscriber's lease and fetch the events after its
/// acknowledged position. One instance per subscriber holds the lease at a
/// time; another instance gets 409 until the lease expires.
#[utoipa::path(post, path = "/events/lease", tag = "Events", request_body = EventLeaseReq,
    responses((status = 200, body = EventLeaseRes), Invalid, Refused,
        (status = 409, body = crate::routes::ErrorRes, description = "another instance holds the lease")))]
async fn lease(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<EventLeaseReq>,
) -> ApiResult<Json<EventLeaseRes>> {
    caller.authorize(Object::Event, Action::Lease, &Owners::none())?;
    let (subscriber, instance) = subscriber_and_instance(&req.subscriber_id, &req.instance_id)?;
    let terms = LeaseTerms::new(req.lease_duration_seconds, req.limit);
    let now = clock::now();
    let subscription = match state
        .store
        .lease_event_subscription(&subscriber, &instance, now, now + terms.duration)
        .await?
    {
        LeaseOutcome::Granted(subscription) => subscription,
        LeaseOutcome::Held(held) => {
            let holder = held.lease_owner_instance_id.unwrap_or_default();
            let until = held
                .lease_expires_at
                .map(|t| format!(" until {}", t.to_rfc3339()))
                .unwrap_or_default();
            return Err(ApiError::ConflictAs(
                "Lease Conflict",
                format!("lease is already held by instance {holder}{until}"),
            ));
        }
    };
    let events = state
        .store
        .events_after(
            ListScope::All,
            &[],
            subscription.last_event_sequence_processed,
            terms.limit,
        )
        .await?;
    Ok(Json(EventLeaseRes {
        events: events.into_iter().map(EventRes::from).collect(),
        lease_expires_at: subscription.lease_expires_at.unwrap_or(now),
        last_event_sequence_processed: subscription.last_event_sequence_processed,
    }))
}

/// Acknowledge every event up to and including `lastEventSequenceProcessed`.
/// Requires the caller's instance to hold an unexpired lease, and the number
/// to lie after the acknowledged one and within the log; it does not renew
/// the lease.
#[utoipa::path(post, path = "/events/ack", tag = "Events", request_body = EventAckReq,
    responses((status = 200, body = EventAckRes), Invalid, Refused, Missing,
        (status = 409, body = crate::routes::ErrorRes, description = "the lease is not held by this instance, or the sequence does not move forward")))]
async fn ack(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<EventAckReq>,
) -> ApiResult<Json<EventAckRes>> {
    caller.authorize(Object::Event, Action::Ack, &Owners::none())?;
    let (subscriber, instance) = subscriber_and_instance(&req.subscriber_id, &req.instance_id)?;
    if req.last_event_sequence_processed < 1 {
        return Err(ApiError::field(
            "lastEventSequenceProcessed",
            "must be at least 1",
        ));
    }
    match state
        .store
        .acknowledge_events(
            &subscriber,
            &instance,
            req.last_event_sequence_processed,
            clock::now(),
        )
        .await?
    {
        AckOutcome::Acknowledged(sequence) => Ok(Json(EventAckRes {
            last_event_sequence_processed: sequence,
        })),
        AckOutcome::Refused(refusal) => Err(ApiError::ConflictAs(
            "Acknowledgement Conflict",
            refusal.to_string(),
        )),
    }
}

fn subscriber_and_instance(subscriber: &str, instance: &str) -> ApiResult<(String, String)> {
    let subscriber = check_subscriber_id("subscriberId", subscriber);
    let instance = check_subscriber_id("instanceId", instance);
    match (subscriber, instance) {
        (Ok(s), Ok(i)) => Ok((s, i)),
        (s, i) => Err(ApiError::Invalid(
            [s.err(), i.err()].into_iter().flatten().collect(),
        )),
    }
}

/// Stream the events the caller may see as Server-Sent Events, each with
/// `id: <sequenceNumber>` and the event as JSON `data`. It starts after the
/// `Last-Event-ID` header, else after `after`, else at the current end of the
/// log (`after=0` replays everything). The list filters apply. A response
/// ends after a minute; clients reconnect with `Last-Event-ID` and miss
/// nothing.
#[utoipa::path(get, path = "/events/stream", tag = "Events",
    params(("Last-Event-ID" = Option<i64>, Header, description = "resume after this sequence number"),
        ("after" = Option<i64>, Query, description = "start after this sequence number"),
        ("initiatorType" = Option<Vec<String>>, Query), ("initiatorId" = Option<Vec<String>>, Query),
        ("type" = Option<Vec<String>>, Query), ("entityId" = Option<Vec<Uuid>>, Query)),
    responses((status = 200, content_type = "text/event-stream", body = StreamedEvent, description = "one Server-Sent Event per log event"),
        Invalid, Refused))]
async fn stream(
    State(state): State<AppState>,
    Extension(feed): Extension<Arc<EventFeed>>,
    Caller(caller): Caller,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let scope = caller.list_scope(Object::Event)?;
    let filters = EVENT_LIST.parse(&pairs)?.filters;
    // A browser's reconnect repeats the original URL, so the header wins.
    let resume = match headers.get("last-event-id") {
        Some(value) => Some(sequence_param(
            "Last-Event-ID",
            value.to_str().unwrap_or("?"),
        )?),
        None => None,
    };
    let after = match resume {
        Some(after) => after,
        None => match pairs.iter().rev().find(|(k, _)| k == "after") {
            Some((_, value)) => sequence_param("after", value)?,
            None => state.store.last_event_sequence().await?,
        },
    };
    let until = tokio::time::Instant::now() + STREAM_LIFETIME;
    let reader = feed.reader(state.store.clone(), scope, filters, after, until);
    let hint = stream::iter([Ok(SseEvent::default().retry(STREAM_RETRY))]);
    let closing = state.closing.clone();
    let events = stream::unfold(reader, |mut reader| async move {
        let event = reader.next().await?;
        Some((Ok(sse_event(event)), reader))
    })
    // The client reconnects with Last-Event-ID, to this server's successor.
    .take_until(Box::pin(async move { closing.closed().await }));
    Ok(Sse::new(hint.chain(events)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One Server-Sent Event of `/events/stream`, as the OpenAPI document
/// describes each event of an event stream. Only documents the wire format:
/// the stream is written by [`sse_event`].
#[derive(ToSchema)]
#[allow(dead_code)]
struct StreamedEvent {
    /// The log event as JSON, shaped as `EventRes`.
    data: String,
    /// The log event's sequence number: sent back as `Last-Event-ID`, it
    /// resumes the stream after this event.
    id: String,
    /// How many milliseconds a client waits before reconnecting; sent once,
    /// at the start.
    retry: Option<u64>,
}

fn sequence_param(name: &str, value: &str) -> ApiResult<i64> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::field(
                name,
                format!("must be a sequence number (an integer of at least 0), got {value:?}"),
            )
        })
}

fn sse_event(event: Event) -> SseEvent {
    let id = event.sequence_number.to_string();
    let res = EventRes::from(event);
    match SseEvent::default().id(id.clone()).json_data(&res) {
        Ok(event) => event,
        // Plain fields and a JSON value always serialize; if that ever
        // changed, the id still lets the client resume past the event.
        Err(error) => {
            tracing::error!(%error, sequence = %id, "cannot encode an event for a stream");
            SseEvent::default()
                .id(id)
                .comment("this event could not be encoded")
        }
    }
}

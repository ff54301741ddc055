//! Live reading of the event log for streaming clients.
//!
//! One poller per server watches the head of the log (the last committed
//! sequence number) while at least one reader is open, and wakes the readers
//! when it moves; each reader then fetches only the events its caller may
//! see. Watching the head instead of being told by writers also picks up
//! events committed by other replicas sharing a PostgreSQL database, and it
//! costs one tiny query per interval however many readers are open. No
//! database connection is held between queries.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use federa_domain::access::ListScope;
use federa_domain::event::Event;
use federa_domain::listing::Filter;
use federa_store::Store;
use tokio::sync::watch;
use tokio::time::Instant;

/// How often the head is read while readers are open; the worst-case delay
/// between a commit and its delivery.
pub const HEAD_POLL: Duration = Duration::from_millis(50);
/// Events fetched per query; a reader far behind catches up in batches.
const BATCH: u32 = 500;
/// A reader re-checks at this interval even without a wake-up, so it
/// recovers on its own from a failed query.
const RECHECK: Duration = Duration::from_secs(5);

/// The head watcher shared by every reader of one server.
pub struct EventFeed {
    head: watch::Sender<i64>,
    polling: Mutex<bool>,
}

impl EventFeed {
    pub fn new() -> Arc<EventFeed> {
        Arc::new(EventFeed {
            head: watch::Sender::new(0),
            polling: Mutex::new(false),
        })
    }

    /// A reader of the events after `after` that `scope` and `filters` let
    /// through, which ends at `until` so that a graceful shutdown never waits
    /// longer than that for an open stream.
    pub fn reader(
        self: &Arc<Self>,
        store: Store,
        scope: ListScope,
        filters: Vec<Filter>,
        after: i64,
        until: Instant,
    ) -> EventReader {
        let head = self.head.subscribe();
        self.ensure_polling(&store);
        EventReader {
            store,
            scope,
            filters,
            cursor: after,
            head,
            pending: VecDeque::new(),
            until,
        }
    }

    fn ensure_polling(self: &Arc<Self>, store: &Store) {
        let mut polling = self.polling.lock().unwrap_or_else(|e| e.into_inner());
        if !*polling {
            *polling = true;
            tokio::spawn(self.clone().poll(store.clone()));
        }
    }

    async fn poll(self: Arc<Self>, store: Store) {
        let mut ticks = tokio::time::interval(HEAD_POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            ticks.tick().await;
            {
                // Checked under the lock `ensure_polling` takes, so a reader
                // that subscribes now either keeps this poller or starts one.
                let mut polling = self.polling.lock().unwrap_or_else(|e| e.into_inner());
                if self.head.receiver_count() == 0 {
                    *polling = false;
                    return;
                }
            }
            match store.last_event_sequence().await {
                Ok(last) => {
                    failing = false;
                    self.head.send_if_modified(|head| {
                        let moved = last > *head;
                        if moved {
                            *head = last;
                        }
                        moved
                    });
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(%error, "event feed cannot read the head of the log");
                    }
                    failing = true;
                }
            }
        }
    }
}

/// One client's position in the log.
pub struct EventReader {
    store: Store,
    scope: ListScope,
    filters: Vec<Filter>,
    /// Every visible event up to here has been handed out.
    cursor: i64,
    head: watch::Receiver<i64>,
    pending: VecDeque<Event>,
    until: Instant,
}

impl EventReader {
    /// The next visible event, waiting for one to be committed; `None` once
    /// the reader's time is up.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if Instant::now() >= self.until {
                return None;
            }
            // Read before the query: every event up to this head was
            // committed before the query began, so the query saw it.
            let head = *self.head.borrow_and_update();
            match self
                .store
                .events_after(self.scope, &self.filters, self.cursor, BATCH)
                .await
            {
                Ok(events) => {
                    let complete = events.len() < BATCH as usize;
                    if let Some(last) = events.last() {
                        self.cursor = last.sequence_number;
                    }
                    if complete {
                        // Nothing visible lies between the cursor and the
                        // head, so later queries may start past it.
                        self.cursor = self.cursor.max(head);
                    }
                    if !events.is_empty() {
                        self.pending.extend(events);
                        continue;
                    }
                }
                Err(error) => tracing::warn!(%error, "event stream cannot read the log"),
            }
            let wake = self.until.min(Instant::now() + RECHECK);
            if let Ok(Err(_)) = tokio::time::timeout_at(wake, self.head.changed()).await {
                // The feed is gone; fall back to re-checking on a timer.
                tokio::time::sleep_until(wake).await;
            }
        }
    }
}

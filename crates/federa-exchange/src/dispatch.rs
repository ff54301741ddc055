//! Push dispatch: wakes agents that are long-polling for jobs.
//!
//! Within one process a job commit wakes the agent's waiters directly. With
//! several replicas on one PostgreSQL, the store's job notifications reach
//! [`federa_store::job_wakes::relay`] in every replica, which wakes its
//! local waiters the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use uuid::Uuid;

/// Long-polls one agent may hold open at once, across its instances. An
/// agent needs one per instance; more is a client looping without waiting
/// for answers, each costing a connection and a task.
pub const MAX_WAITERS_PER_AGENT: usize = 16;

#[derive(Default)]
pub struct Dispatch {
    waiters: Mutex<HashMap<Uuid, Arc<Notify>>>,
}

impl Dispatch {
    /// The wake-up handle of one long-poll of `agent_id`, or `None` when
    /// the agent already holds [`MAX_WAITERS_PER_AGENT`] open. Waiters must
    /// call `Notified::enable` before checking for jobs so that a wake
    /// between the check and the wait is not lost.
    pub fn waiter(&self, agent_id: Uuid) -> Option<Arc<Notify>> {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        let notify = waiters.entry(agent_id).or_default();
        // The map holds one reference, every open long-poll another.
        (Arc::strong_count(notify) <= MAX_WAITERS_PER_AGENT).then(|| notify.clone())
    }

    /// Wakes one of the agent's long-polls: a new or freed job is one job,
    /// and waking every instance of the agent only has them race to claim
    /// it. The others see it at their next re-check. With no long-poll
    /// open, the wake is kept for the next one, which then looks at once.
    pub fn wake(&self, agent_id: Uuid) {
        let waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(notify) = waiters.get(&agent_id) {
            notify.notify_one();
        }
    }

    /// Drops handles nobody waits on, so idle agents cost nothing.
    pub fn prune(&self) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        waiters.retain(|_, notify| Arc::strong_count(notify) > 1);
    }
}

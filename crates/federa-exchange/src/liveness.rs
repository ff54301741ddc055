//! Agents as they really are: every authenticated call of an agent is a
//! sign of life, and a sweep marks agents silent past the timeout
//! `Disconnected`. Placement then passes them by; jobs already queued for
//! them wait, and the service shows why.
//!
//! Safe with several replicas: each write is conditional, so when two
//! servers sweep or revive the same agent, one changes it and writes the
//! event and the other changes nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use federa_domain::catalogue::AgentStatus;
use federa_domain::event::Initiator;
use serde_json::json;
use uuid::Uuid;

use crate::agent_events::agent_status_event;
use crate::clock;
use crate::error::ExchangeResult;
use crate::Exchange;

/// How many silent agents one sweep marks; the next sweep takes the rest.
const SWEEP_BATCH: u32 = 200;

/// When this server last wrote each agent's sign of life, so an agent
/// polling every few seconds costs one write per refresh period.
#[derive(Default)]
pub struct SignsOfLife {
    written: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl SignsOfLife {
    /// Whether a sign of life at `now` is due a write, noting it if so.
    fn due(&self, agent_id: Uuid, now: DateTime<Utc>, every: chrono::TimeDelta) -> bool {
        let Ok(mut written) = self.written.lock() else {
            return true;
        };
        match written.get(&agent_id) {
            Some(last) if now - *last < every => false,
            _ => {
                written.insert(agent_id, now);
                true
            }
        }
    }

    /// Forgets an agent, so its next call is written at once.
    fn forget(&self, agent_id: Uuid) {
        if let Ok(mut written) = self.written.lock() {
            written.remove(&agent_id);
        }
    }
}

/// Records that `agent_id` spoke. A write failure is logged, not returned:
/// the call the agent made must not fail because its liveness could not
/// be noted, and the next call tries again.
/// `caller` is who made the call, recorded as the initiator of a return.
pub async fn sign_of_life(exchange: &Exchange, agent_id: Uuid, caller: Initiator) {
    let now = clock::now();
    if !exchange
        .signs_of_life
        .due(agent_id, now, exchange.liveness.refresh_every())
    {
        return;
    }
    if let Err(error) = revive_or_refresh(exchange, agent_id, caller, now).await {
        exchange.signs_of_life.forget(agent_id);
        tracing::warn!(agent = %agent_id, ?error, "cannot record an agent's sign of life");
    }
}

async fn revive_or_refresh(
    exchange: &Exchange,
    agent_id: Uuid,
    caller: Initiator,
    now: DateTime<Utc>,
) -> ExchangeResult<()> {
    let Some(agent) = exchange.store.agent(agent_id).await? else {
        return Ok(());
    };
    // The agent's own call brings it back, as its status report would.
    let revived = agent_status_event(
        caller,
        &agent,
        AgentStatus::Disconnected,
        AgentStatus::Connected,
    );
    if exchange
        .store
        .record_sign_of_life(agent_id, &revived, now)
        .await?
    {
        tracing::info!(agent = %agent_id, name = %agent.name, "a disconnected agent spoke again; connected");
        exchange.dispatch.wake(agent_id);
    }
    Ok(())
}

/// Marks `Disconnected` every connected agent silent past the timeout at
/// `now`; answers how many this call marked.
pub async fn sweep_silent_agents(exchange: &Exchange, now: DateTime<Utc>) -> ExchangeResult<usize> {
    let silent_before = exchange.liveness.silent_before(now);
    let mut marked = 0;
    for agent in exchange
        .store
        .silent_agents(silent_before, SWEEP_BATCH)
        .await?
    {
        if !exchange
            .liveness
            .falls_silent(agent.status, agent.last_status_update, now)
        {
            continue;
        }
        let mut event = agent_status_event(
            Initiator::system(),
            &agent,
            agent.status,
            AgentStatus::Disconnected,
        );
        event.properties["lastSeenAt"] = json!(agent.last_status_update);
        event.properties["reason"] = json!(format!(
            "no call from the agent for more than {} s",
            exchange.liveness.timeout.num_seconds()
        ));
        if exchange
            .store
            .mark_agent_silent(&agent, silent_before, &event, now)
            .await?
        {
            // Its next call must be written at once to bring it back.
            exchange.signs_of_life.forget(agent.id);
            tracing::warn!(agent = %agent.id, name = %agent.name, last_seen = ?agent.last_status_update, "agent silent past the timeout; disconnected");
            marked += 1;
        }
    }
    Ok(marked)
}

/// Runs the sweep as often as the timeout asks until the task is dropped.
pub async fn run(exchange: Exchange) {
    let every = exchange
        .liveness
        .sweep_every()
        .to_std()
        .unwrap_or(Duration::from_secs(30));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = sweep_silent_agents(&exchange, clock::now()).await {
            tracing::warn!(
                ?error,
                "agent liveness sweep failed; retrying at the next tick"
            );
        }
    }
}

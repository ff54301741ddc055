//! Each service group's next job, per agent: the `head` flag claims read
//! (see migration `0032_job_heads.sql`). A group's head is its first
//! pending job by priority then age while the group has no job of that
//! agent in progress; every write that changes which job that is runs the
//! statements here in its transaction.
//!
//! On PostgreSQL two transactions could each decide from a snapshot that
//! misses the other's job (one finishing the group's job in progress,
//! one queueing the next), and leave a pending job that no claim sees.
//! So each takes a transaction lock on the group and agent first: the
//! statement deciding the head then starts after the other committed,
//! and sees its job. SQLite has one writer.

use uuid::Uuid;

use crate::sql::Arg;
use crate::write::Statement;

/// The transaction lock on the group and agent whose key is `$1`.
const LOCK: &str = "pg_advisory_xact_lock(hashtextextended($1, 0))";

/// The lock key of a group and agent: one text for every write of the
/// group's jobs, so they all take the same lock.
fn lock_key(group_id: Uuid, agent_id: Uuid) -> String {
    format!("{group_id}{agent_id}")
}

/// Takes the group-and-agent lock before a new job of theirs is inserted.
pub(crate) fn lock_for(group_id: Uuid, agent_id: Uuid) -> Statement {
    Statement::new(
        format!("SELECT {LOCK}"),
        vec![Arg::Text(lock_key(group_id, agent_id))],
    )
    .postgres_only()
}

/// The group-and-agent lock, which also wakes the agent's listeners on
/// other replicas once the write commits: in one statement, as a group
/// whose job finished may have a next job for its agent.
fn lock_and_wake(group_id: Uuid, agent_id: Uuid) -> Statement {
    Statement::new(
        format!("SELECT {LOCK}, pg_notify($2, $3)"),
        vec![
            Arg::Text(lock_key(group_id, agent_id)),
            Arg::Text(crate::job_wakes::CHANNEL.into()),
            Arg::Text(agent_id.to_string()),
        ],
    )
    .postgres_only()
}

/// Whether a job inserted pending into group `$g` for agent `$a` is the
/// group's head: when the group has no other active job of that agent. A
/// new job is the group's newest, so it leads only an empty group.
pub(crate) fn new_job_is_head(group: &str, agent: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM jobs other WHERE other.group_id = {group} AND other.agent_id = {agent} AND other.status IN ('Pending', 'Processing'))"
    )
}

/// After a job of `group_id` and `agent_id` went back to the queue: the
/// lock, then the group's head set on the job that leads it now and
/// cleared from any other.
pub(crate) fn after_requeue(group_id: Uuid, agent_id: Uuid) -> [Statement; 2] {
    [lock_for(group_id, agent_id), recompute(group_id, agent_id)]
}

/// [`after_requeue`] for a job that finished, waking its agent too.
pub(crate) fn after_finish(group_id: Uuid, agent_id: Uuid) -> [Statement; 2] {
    [
        lock_and_wake(group_id, agent_id),
        recompute(group_id, agent_id),
    ]
}

/// After job `$1` was claimed by id, perhaps out of turn: its group is
/// busy, so it has no head. Needs no lock: while the group has a job in
/// progress no other write sets one.
pub(crate) fn after_claim_by_id(job_id: Uuid, agent_id: Uuid) -> Statement {
    Statement::new(
        "UPDATE jobs SET head = FALSE WHERE head AND agent_id = $2 AND group_id = (SELECT group_id FROM jobs WHERE id = $1)",
        vec![Arg::Uuid(job_id), Arg::Uuid(agent_id)],
    )
}

/// Sets the head of the group on the job that leads it now and clears it
/// from any other, changing only rows whose flag is wrong. Run after the
/// group's lock. The group and agent are parameters, not read from a
/// job's row in the statement: a plan PostgreSQL caches while the table
/// is small then still walks `jobs_group_pending_order` for that group,
/// where a join planned that way scanned every pending job.
fn recompute(group_id: Uuid, agent_id: Uuid) -> Statement {
    Statement::new(
        "UPDATE jobs SET head = NOT head \
         WHERE group_id = $1 AND agent_id = $2 AND status = 'Pending' \
           AND head <> COALESCE(id = (SELECT lead.id FROM jobs lead \
               WHERE lead.group_id = $1 AND lead.agent_id = $2 AND lead.status = 'Pending' \
                 AND NOT EXISTS (SELECT 1 FROM jobs busy WHERE busy.group_id = $1 AND busy.agent_id = $2 AND busy.status = 'Processing') \
               ORDER BY lead.priority DESC, lead.created_at, lead.id LIMIT 1), FALSE)",
        vec![Arg::Uuid(group_id), Arg::Uuid(agent_id)],
    )
}

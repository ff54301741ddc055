//! How a composition moves: the state of each member, the composition's
//! overall status derived from them, and the next steps to take.
//!
//! [`next_steps`] is asked again after every change (a job finishing, a
//! sweep) and answers from the current states alone, so asking twice, or
//! from two replicas, proposes the same steps; the caller makes each step
//! a conditional write that only one of them wins.

use serde::{Deserialize, Serialize};

use super::composition::{CompositionSpec, OnFailure};

/// Where one member of a composition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum MemberState {
    /// Not ordered yet: a dependency is not ready.
    Waiting,
    /// Ordered; its `create` job has not finished.
    Creating,
    /// Its `create` job completed.
    Ready,
    /// Its order was refused or its `create` job failed.
    Failed,
    /// Its `delete` job has not finished.
    Deleting,
    Deleted,
    /// Never ordered, because the composition was rolled back or deleted.
    Skipped,
    /// Could not be deleted (its lifecycle refused or the job failed); left
    /// for the consumer to look at.
    Kept,
}

/// What the consumer last asked of the composition as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Intent {
    Provision,
    /// A member failed and the composition asked for `rollback`.
    RollBack,
    Delete,
}

/// The composition's status, derived from its intent and its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CompositionStatus {
    /// Nothing ordered yet.
    Pending,
    Provisioning,
    /// Every member is ready.
    Ready,
    /// A member failed and the others were left as they are (`stop`), or
    /// are about to be rolled back.
    Failed,
    RollingBack,
    RolledBack,
    Deleting,
    Deleted,
}

/// One step towards what the intent asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Order the member at this index, its dependencies being ready.
    Order(usize),
    /// Queue the deletion of the member at this index.
    Delete(usize),
    /// Mark the never-ordered member at this index as skipped.
    Skip(usize),
    /// Switch the intent from provisioning to rolling back.
    RollBack,
}

impl MemberState {
    /// Whether nothing more will happen to the member.
    pub fn is_settled_gone(self) -> bool {
        matches!(
            self,
            MemberState::Deleted | MemberState::Skipped | MemberState::Kept
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberState::Waiting => "waiting",
            MemberState::Creating => "creating",
            MemberState::Ready => "ready",
            MemberState::Failed => "failed",
            MemberState::Deleting => "deleting",
            MemberState::Deleted => "deleted",
            MemberState::Skipped => "skipped",
            MemberState::Kept => "kept",
        }
    }

    pub fn parse(text: &str) -> Option<MemberState> {
        [
            MemberState::Waiting,
            MemberState::Creating,
            MemberState::Ready,
            MemberState::Failed,
            MemberState::Deleting,
            MemberState::Deleted,
            MemberState::Skipped,
            MemberState::Kept,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Provision => "provision",
            Intent::RollBack => "rollBack",
            Intent::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<Intent> {
        [Intent::Provision, Intent::RollBack, Intent::Delete]
            .into_iter()
            .find(|intent| intent.as_str() == text)
    }
}

impl CompositionStatus {
    /// The statuses a composition's provisioning ends in, all ready or a
    /// member failed: an order that asked for it is settled by them.
    pub const PROVISIONING_OVER: [CompositionStatus; 4] = [
        CompositionStatus::Ready,
        CompositionStatus::Failed,
        CompositionStatus::RollingBack,
        CompositionStatus::RolledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompositionStatus::Pending => "Pending",
            CompositionStatus::Provisioning => "Provisioning",
            CompositionStatus::Ready => "Ready",
            CompositionStatus::Failed => "Failed",
            CompositionStatus::RollingBack => "RollingBack",
            CompositionStatus::RolledBack => "RolledBack",
            CompositionStatus::Deleting => "Deleting",
            CompositionStatus::Deleted => "Deleted",
        }
    }

    /// Statuses that may still change without the consumer asking. A
    /// `Failed` status is recorded only once nothing more follows (the
    /// composition asked to `stop`); with `rollback` the composition goes
    /// straight on to `RollingBack`.
    pub const MOVING: &'static [CompositionStatus] = &[
        CompositionStatus::Pending,
        CompositionStatus::Provisioning,
        CompositionStatus::RollingBack,
        CompositionStatus::Deleting,
    ];
}

/// The overall status of members in `states` under `intent`.
pub fn status(intent: Intent, states: &[MemberState]) -> CompositionStatus {
    let all = |wanted: &[MemberState]| states.iter().all(|state| wanted.contains(state));
    match intent {
        Intent::Provision if states.contains(&MemberState::Failed) => CompositionStatus::Failed,
        Intent::Provision if all(&[MemberState::Ready]) => CompositionStatus::Ready,
        Intent::Provision if all(&[MemberState::Waiting]) => CompositionStatus::Pending,
        Intent::Provision => CompositionStatus::Provisioning,
        Intent::RollBack if states.iter().all(|s| s.is_settled_gone()) => {
            CompositionStatus::RolledBack
        }
        Intent::RollBack => CompositionStatus::RollingBack,
        Intent::Delete if states.iter().all(|s| s.is_settled_gone()) => CompositionStatus::Deleted,
        Intent::Delete => CompositionStatus::Deleting,
    }
}

/// What to do next, given every member's state (by component index).
///
/// Provisioning orders each waiting member whose dependencies are all
/// ready; a failure stops it, and with `rollback` switches to rolling
/// back. Rolling back and deleting skip members never ordered, then walk
/// the provisioning order backwards and delete one member at a time,
/// waiting while one is still being created or deleted, so a service is
/// never removed before the services that depend on it.
pub fn next_steps(spec: &CompositionSpec, intent: Intent, states: &[MemberState]) -> Vec<Step> {
    let Ok(order) = spec.provisioning_order() else {
        return Vec::new();
    };
    if states.len() != spec.components.len() {
        return Vec::new();
    }
    match intent {
        Intent::Provision if states.contains(&MemberState::Failed) => match spec.on_failure {
            OnFailure::Rollback => vec![Step::RollBack],
            OnFailure::Stop => Vec::new(),
        },
        Intent::Provision => order
            .into_iter()
            .filter(|&index| states[index] == MemberState::Waiting)
            .filter(|&index| {
                spec.dependencies_of(index)
                    .iter()
                    .all(|&dependency| states[dependency] == MemberState::Ready)
            })
            .map(Step::Order)
            .collect(),
        Intent::RollBack | Intent::Delete => {
            let mut steps: Vec<Step> = order
                .iter()
                .filter(|&&index| states[index] == MemberState::Waiting)
                .map(|&index| Step::Skip(index))
                .collect();
            for &index in order.iter().rev() {
                match states[index] {
                    MemberState::Creating | MemberState::Deleting => break,
                    MemberState::Ready | MemberState::Failed => {
                        steps.push(Step::Delete(index));
                        break;
                    }
                    _ => {}
                }
            }
            steps
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;
    use uuid::Uuid;

    use super::MemberState::{Creating, Deleted, Deleting, Failed, Kept, Ready, Skipped, Waiting};
    use super::*;
    use crate::exchange::composition::Component;
    use crate::exchange::placement::PlacementRequest;

    fn component(key: &str, depends_on: &[&str]) -> Component {
        Component {
            key: key.into(),
            name: key.into(),
            service_type_id: Uuid::from_u128(1),
            properties: Map::new(),
            placement: PlacementRequest::default(),
            depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
            inputs: Vec::new(),
            offering_id: None,
        }
    }

    /// `web` and `worker` need `db`; `lb` needs `web`.
    fn shop(on_failure: OnFailure) -> CompositionSpec {
        CompositionSpec {
            name: "shop".into(),
            components: vec![
                component("lb", &["web"]),
                component("web", &["db"]),
                component("db", &[]),
                component("worker", &["db"]),
            ],
            relations: Vec::new(),
            on_failure,
        }
    }

    #[test]
    fn members_are_ordered_once_their_dependencies_are_ready() {
        let spec = shop(OnFailure::Rollback);
        let start = [Waiting; 4];
        assert_eq!(
            next_steps(&spec, Intent::Provision, &start),
            [Step::Order(2)]
        );
        assert_eq!(
            status(Intent::Provision, &start),
            CompositionStatus::Pending
        );
        let db_creating = [Waiting, Waiting, Creating, Waiting];
        assert!(next_steps(&spec, Intent::Provision, &db_creating).is_empty());
        assert_eq!(
            status(Intent::Provision, &db_creating),
            CompositionStatus::Provisioning
        );
        let db_ready = [Waiting, Waiting, Ready, Waiting];
        assert_eq!(
            next_steps(&spec, Intent::Provision, &db_ready),
            [Step::Order(1), Step::Order(3)]
        );
        let all = [Ready; 4];
        assert!(next_steps(&spec, Intent::Provision, &all).is_empty());
        assert_eq!(status(Intent::Provision, &all), CompositionStatus::Ready);
    }

    #[test]
    fn a_failure_rolls_back_or_stops_as_the_consumer_chose() {
        let failed = [Waiting, Failed, Ready, Creating];
        let rollback = shop(OnFailure::Rollback);
        assert_eq!(
            next_steps(&rollback, Intent::Provision, &failed),
            [Step::RollBack]
        );
        assert_eq!(
            status(Intent::Provision, &failed),
            CompositionStatus::Failed
        );
        assert!(next_steps(&shop(OnFailure::Stop), Intent::Provision, &failed).is_empty());
        // `worker` is still being created: skip `lb`, then wait for it.
        assert_eq!(
            next_steps(&rollback, Intent::RollBack, &failed),
            [Step::Skip(0)]
        );
        let created = [Skipped, Failed, Ready, Ready];
        assert_eq!(
            next_steps(&rollback, Intent::RollBack, &created),
            [Step::Delete(3)]
        );
        assert_eq!(
            status(Intent::RollBack, &created),
            CompositionStatus::RollingBack
        );
        let done = [Skipped, Deleted, Kept, Deleted];
        assert!(next_steps(&rollback, Intent::RollBack, &done).is_empty());
        assert_eq!(
            status(Intent::RollBack, &done),
            CompositionStatus::RolledBack
        );
    }

    #[test]
    fn deletion_runs_the_provisioning_order_backwards_one_member_at_a_time() {
        let spec = shop(OnFailure::Rollback);
        // Provisioned in the order db, web, lb, worker.
        let mut states = [Ready; 4];
        let mut deleted = Vec::new();
        for _ in 0..4 {
            let steps = next_steps(&spec, Intent::Delete, &states);
            let [Step::Delete(index)] = steps[..] else {
                panic!("one deletion at a time: {steps:?}");
            };
            states[index] = Deleting;
            assert!(next_steps(&spec, Intent::Delete, &states).is_empty());
            assert_eq!(status(Intent::Delete, &states), CompositionStatus::Deleting);
            states[index] = Deleted;
            deleted.push(spec.components[index].key.as_str());
        }
        assert_eq!(deleted, ["worker", "lb", "web", "db"]);
        assert_eq!(status(Intent::Delete, &states), CompositionStatus::Deleted);
    }

    #[test]
    fn states_and_intents_read_back_from_their_names() {
        for state in [
            Waiting, Creating, Ready, Failed, Deleting, Deleted, Skipped, Kept,
        ] {
            assert_eq!(MemberState::parse(state.as_str()), Some(state));
        }
        for intent in [Intent::Provision, Intent::RollBack, Intent::Delete] {
            assert_eq!(Intent::parse(intent.as_str()), Some(intent));
        }
        assert_eq!(MemberState::parse("running"), None);
    }
}

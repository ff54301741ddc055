//! Switching a whole composition to other providers with its data: one
//! switch per member, planned together and cut over together.
//!
//! Each member's target is placed like a lone switch's (another provider
//! than the member's own, able to import its format) and, as when the
//! composition was first ordered, keeps the relations its spec asks of the
//! members placed before it. Every member is planned before anything is
//! written, so a member that cannot move refuses the whole request. Once
//! written, the members' switches wait for one another after verification
//! ([`SwitchStage::Verified`](federa_domain::exchange::switching::SwitchStage))
//! and one member's failure or cancellation rolls back all of them (see
//! [`peer_signal`](federa_domain::exchange::switching::peer_signal)).

use std::collections::HashMap;

use federa_domain::event::Initiator;
use federa_domain::exchange::composition::PlacedPeer;
use federa_domain::exchange::composition_progress::{Intent, MemberState};
use federa_domain::exchange::placement::PlacementRequest;
use federa_domain::exchange::switching::SwitchSignal;
use federa_store::exchange::{StoredComposition, StoredSwitch, SwitchedMember};
use uuid::Uuid;

use crate::error::{ExchangeError, ExchangeResult};
use crate::switching::{self, away_from, PlannedSwitch, Target};
use crate::Exchange;

/// A composition switch as written: its id and its members' switches in
/// the order of the composition's members.
pub struct CompositionSwitch {
    pub id: Uuid,
    pub switches: Vec<StoredSwitch>,
}

/// Plans and records the switch of every provisioned member of
/// `composition` to providers `target` allows. Refused (409) unless every
/// member is ready (or was skipped), naming the first member that cannot
/// move and why.
pub async fn request(
    exchange: &Exchange,
    initiator: Initiator,
    composition: &StoredComposition,
    target: &PlacementRequest,
) -> ExchangeResult<CompositionSwitch> {
    if composition.intent != Intent::Provision {
        return Err(ExchangeError::Conflict(format!(
            "the composition is {} and only a provisioned composition switches",
            composition.status
        )));
    }
    let id = Uuid::new_v4();
    let mut placed: HashMap<String, PlacedPeer> = HashMap::new();
    let mut planned: Vec<PlannedSwitch> = Vec::new();
    for member in &composition.members {
        if member.state == MemberState::Skipped {
            continue;
        }
        let service = match (member.state, member.service_id) {
            (MemberState::Ready, Some(service_id)) => exchange.store.service(service_id).await?,
            _ => None,
        }
        .ok_or_else(|| {
            ExchangeError::Conflict(format!(
                "member {} is {}; every member must be ready to switch",
                member.key,
                member.state.as_str()
            ))
        })?;
        let mut peers = composition.spec.peer_placements(&member.key, &placed);
        peers.push(away_from(&service));
        let to = Target {
            placement: target,
            offering_id: None,
            peers,
        };
        let plan = switching::plan(
            exchange,
            initiator.clone(),
            &service,
            to,
            Some(SwitchedMember {
                composition_switch_id: id,
                composition_id: composition.id,
                key: member.key.clone(),
            }),
        )
        .await
        .map_err(|error| match error {
            ExchangeError::Conflict(reason) => {
                ExchangeError::Conflict(format!("member {}: {reason}", member.key))
            }
            other => other,
        })?;
        placed.insert(member.key.clone(), plan.placed());
        planned.push(plan);
    }
    if planned.is_empty() {
        return Err(ExchangeError::Conflict(
            "the composition has no provisioned member to switch".into(),
        ));
    }
    let mut written: Vec<StoredSwitch> = Vec::new();
    for mut plan in planned {
        if let Err(error) = switching::write(exchange, &mut plan).await {
            // The members written so far roll back: nothing of a composition
            // switch cuts over unless all of it does.
            let reason = format!(
                "member {} could not be ordered: {}",
                plan.switch.member.as_ref().map_or("", |m| m.key.as_str()),
                error.refusal().unwrap_or_else(|| "a storage error".into())
            );
            for switch in &written {
                let signal = SwitchSignal::StepFailed(reason.clone());
                switching::signal(exchange, Initiator::system(), switch, signal).await?;
            }
            return Err(error);
        }
        written.push(plan.switch);
    }
    Ok(CompositionSwitch {
        id,
        switches: written,
    })
}

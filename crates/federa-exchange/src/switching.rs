//! Switching a consumer's service to another provider with its data: the
//! workflow around the domain's [`Switch`].
//!
//! [`request`] places the target (never with the source's provider), prices
//! the switch by the source's exit terms and writes the switch with the
//! target service and its `create` job. [`advance`] then reads the job of
//! the current step and feeds what it shows to [`Switch::on`]: the target
//! created, the export written (with its size, SHA-256 and address), the
//! import loaded (with the digest the target computed), the erasure done,
//! or a failure. Each step is a conditional write from the stage and job
//! it was read at, so [`advance`] is safe to call after every job, from the
//! sweep and from any number of replicas.
//!
//! The agents move the data between themselves: the source serves its
//! export over TLS to whoever shows the transfer token, and the target
//! pulls it. The exchange only hands each agent the token (through the
//! vault, never in a job's params) and the source's address and
//! certificate fingerprint.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::OsRng;
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::composition::{PeerRule, PlacedPeer};
use federa_domain::exchange::placement::{PeerPlacement, Placement, PlacementRequest};
use federa_domain::exchange::switching::{
    peer_signal, Digest, PeerSwitch, Switch, SwitchAction, SwitchPlan, SwitchSignal, SwitchStage,
    ERASE_ACTION, EXPORT_ACTION, IMPORT_ACTION,
};
use federa_domain::exchange::Offering;
use federa_domain::property_schema::{Actor, SecretKind, VAULT_REFERENCE_PREFIX};
use federa_domain::provisioning::{Job, JobStatus, Service};
use federa_store::exchange::{Stored, StoredSwitch, SwitchStep, SwitchedMember};
use federa_store::provisioning::ServiceOrder;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::clock;
use crate::error::{ExchangeError, ExchangeResult};
use crate::job_events::job_event;
use crate::ordering::{self, new_job, Order, Prepared};
use crate::type_rules::type_rules;
use crate::vault::SecretOwner;
use crate::Exchange;

/// How many switches one sweep advances; the next sweep takes the rest.
const SWEEP_BATCH: u32 = 100;

/// Stages in which a switch waits on a job or on its transitional period.
const MOVING: [SwitchStage; 7] = [
    SwitchStage::ProvisioningTarget,
    SwitchStage::Exporting,
    SwitchStage::Importing,
    SwitchStage::Verified,
    SwitchStage::Transitional,
    SwitchStage::Erasing,
    SwitchStage::RollingBack,
];

/// What the exit terms of the offering `source` runs under say of a switch
/// asked for today: the format its data leaves in, the charge, the notice
/// and the transitional period. Refused (409) when no offering states them
/// or nothing is exportable.
async fn exit_quote(exchange: &Exchange, source: &Service) -> ExchangeResult<ExitQuote> {
    let offering = match exchange.store.service_offering(source.id).await? {
        Some(id) => exchange.store.record::<Stored<Offering>>(id).await?,
        None => None,
    }
    .ok_or_else(|| {
        ExchangeError::Conflict(
            "no offering of the service's provider states exit terms for its type".into(),
        )
    })?;
    let terms = &offering.value.exit_terms;
    let exportable = terms.exportable.first().ok_or_else(|| {
        ExchangeError::Conflict(
            "the offering the service runs under states nothing exportable, so its data cannot move"
                .into(),
        )
    })?;
    let today = exchange.clock.now().date_naive();
    Ok(ExitQuote {
        format: exportable.format.clone(),
        switching_charge: terms.switching_charge_on(today),
        charged_on: today,
        notice_period_days: terms.notice_period_days,
        transitional_period_days: terms.transitional_period_days,
    })
}

/// Refuses (409) a switch no other provider's offering of the service's
/// type could take, for none imports the format its data leaves in;
/// placement names the reason for each candidate when only some cannot.
async fn any_importer(exchange: &Exchange, source: &Service, format: &str) -> ExchangeResult<()> {
    let candidates = exchange
        .store
        .placement_candidates(source.service_type_id, &[])
        .await?;
    let importable = candidates.offerings.iter().any(|offering| {
        offering.participant_id != source.provider_id && offering.exit_terms.imports(format)
    });
    if importable {
        return Ok(());
    }
    Err(ExchangeError::Conflict(format!(
        "no other provider's offering of the service's type can import {format}, the format its data leaves in"
    )))
}

struct ExitQuote {
    format: String,
    switching_charge: federa_domain::exchange::Decimal,
    charged_on: chrono::NaiveDate,
    notice_period_days: u32,
    transitional_period_days: u32,
}

/// Plans and records a switch of `source` to a provider `target` chooses
/// (among `offering_id` alone, when given), priced by the source's exit
/// terms, with the target service ordered at once. Refused (409) while
/// another switch of the service is under way,
/// when the service holds no running instance, or when its exit terms let
/// nothing be exported.
pub async fn request(
    exchange: &Exchange,
    initiator: Initiator,
    source: &Service,
    target: &PlacementRequest,
    offering_id: Option<Uuid>,
) -> ExchangeResult<StoredSwitch> {
    let to = Target {
        placement: target,
        offering_id,
        peers: vec![away_from(source)],
    };
    let mut planned = plan(exchange, initiator, source, to, None).await?;
    write(exchange, &mut planned).await?;
    Ok(planned.switch)
}

/// The relation a switch's target keeps to its source: another provider.
pub(crate) fn away_from(source: &Service) -> PeerPlacement {
    PeerPlacement {
        name: "the service being switched".into(),
        rule: PeerRule::DifferentProviders,
        participant_id: source.provider_id,
        country: String::new(),
    }
}

/// A switch planned for one source with its target's order prepared,
/// nothing written yet.
pub(crate) struct PlannedSwitch {
    pub switch: StoredSwitch,
    prepared: Prepared,
    decision: Placement,
}

impl PlannedSwitch {
    /// Where placement put the target.
    pub fn placed(&self) -> PlacedPeer {
        PlacedPeer {
            participant_id: self.switch.target_provider_id,
            country: self.switch.plan.target_country.clone(),
        }
    }
}

/// Where a switch's target may go.
pub(crate) struct Target<'a> {
    pub placement: &'a PlacementRequest,
    /// The only offering placement may choose, when the consumer named one.
    pub offering_id: Option<Uuid>,
    /// Relations to keep: at least [`away_from`] the source.
    pub peers: Vec<PeerPlacement>,
}

/// Plans the switch of `source`: checks it may move, prices it by its exit
/// terms and places and prepares its target.
pub(crate) async fn plan(
    exchange: &Exchange,
    initiator: Initiator,
    source: &Service,
    target: Target<'_>,
    member: Option<SwitchedMember>,
) -> ExchangeResult<PlannedSwitch> {
    let rules = type_rules(exchange, source.service_type_id, "serviceId").await?;
    if rules.lifecycle.is_terminal(&source.status) || source.agent_instance_id.is_none() {
        return Err(ExchangeError::Conflict(format!(
            "the service is {} and holds no running instance to switch",
            source.status
        )));
    }
    // Any switch the service takes part in must be settled: as a source,
    // or as a target that must be cut over (and its own source left to its
    // erasure) before it moves on.
    for id in exchange.store.service_switches(source.id).await? {
        if let Some(other) = exchange.store.switch(id).await? {
            if !other.progress.stage.is_settled() {
                return Err(ExchangeError::Conflict(format!(
                    "switch {} of this service is {}",
                    other.id,
                    other.progress.stage.as_str()
                )));
            }
        }
    }
    let quote = exit_quote(exchange, source).await?;
    any_importer(exchange, source, &quote.format).await?;
    let mut prepared = ordering::prepare(
        exchange,
        Order {
            name: source.name.clone(),
            service_type_id: source.service_type_id,
            group_id: source.group_id,
            consumer_id: source.consumer_id,
            agent_id: None,
            agent_tags: &[],
            properties: &source.properties,
            placement: Some(target.placement),
            peers: &target.peers,
            import_format: Some(&quote.format),
            offering_id: target.offering_id,
            actor: Actor::User,
            initiator: initiator.clone(),
        },
    )
    .await
    .map_err(|error| match error {
        // The switch's placement request is its `target`.
        ExchangeError::Invalid(errors) => ExchangeError::Invalid(
            errors
                .into_iter()
                .map(|mut error| {
                    if let Some(rest) = error.path.strip_prefix("placement") {
                        error.path = format!("target{rest}");
                    }
                    error
                })
                .collect(),
        ),
        other => other,
    })?;
    let (Some((decided, choice)), Some(decision)) = (&prepared.placed, &prepared.placement) else {
        return Err(ExchangeError::internal(
            "a placed switch target has no placement decision",
        ));
    };
    let decision = decision.clone();
    let target_country = ordering::region_country(exchange, choice.participant_id, &choice.region)
        .await?
        .unwrap_or_default();
    let now = clock::now();
    let progress = match member {
        Some(_) => Switch::planned_member(quote.transitional_period_days, now),
        None => Switch::planned(quote.transitional_period_days, now),
    };
    let switch = StoredSwitch {
        id: Uuid::new_v4(),
        consumer_id: source.consumer_id,
        source_service_id: source.id,
        target_service_id: prepared.service.id,
        source_provider_id: source.provider_id,
        target_provider_id: choice.participant_id,
        progress,
        plan: SwitchPlan {
            explanation: decided.decision.explain(),
            considered: decided.decision.considered.clone(),
            target_country,
            format: quote.format,
            switching_charge: quote.switching_charge,
            charged_on: Some(quote.charged_on),
            notice_period_days: quote.notice_period_days,
            transitional_period_days: quote.transitional_period_days,
        },
        export_report: None,
        transfer_token: None,
        job_id: Some(prepared.job.id),
        created_at: now,
        updated_at: now,
        member,
    };
    prepared.events.push(
        switch_event(EventKind::SwitchCreated, &switch, initiator).properties(json!({
            "sourceServiceId": switch.source_service_id,
            "targetServiceId": switch.target_service_id,
            "targetProviderId": switch.target_provider_id,
            "stage": switch.progress.stage.as_str(),
            "switchingCharge": switch.plan.switching_charge,
            "compositionSwitchId": switch.member.as_ref().map(|m| m.composition_switch_id),
        })),
    );
    Ok(PlannedSwitch {
        switch,
        prepared,
        decision,
    })
}

/// Writes a planned switch with its target service and `create` job, within
/// the consumer's quotas, and wakes the target's agent.
pub(crate) async fn write(exchange: &Exchange, planned: &mut PlannedSwitch) -> ExchangeResult<()> {
    let PlannedSwitch {
        switch,
        prepared,
        decision,
    } = planned;
    let (switch, decision) = (&*switch, &*decision);
    ordering::write_prepared(exchange, prepared, |write| async move {
        exchange
            .store
            .insert_switch(
                switch,
                ServiceOrder {
                    placement: Some(decision),
                    ..write.service_order()
                },
                write.events,
            )
            .await
    })
    .await?;
    exchange.dispatch.wake(prepared.service.agent_id);
    Ok(())
}

/// Cancels a switch before its cut-over: the target is removed and the
/// source, untouched, runs on.
pub async fn cancel(
    exchange: &Exchange,
    initiator: Initiator,
    switch: &StoredSwitch,
) -> ExchangeResult<StoredSwitch> {
    apply(exchange, initiator, switch, SwitchSignal::CancelRequested).await?;
    reread(exchange, switch.id).await
}

/// The consumer's word that the source may be erased before the
/// transitional period ends (or again, after an erasure failed).
pub async fn confirm_erasure(
    exchange: &Exchange,
    initiator: Initiator,
    switch: &StoredSwitch,
) -> ExchangeResult<StoredSwitch> {
    apply(exchange, initiator, switch, SwitchSignal::ErasureConfirmed).await?;
    reread(exchange, switch.id).await
}

/// Applies `signal` to a switch now, then takes whatever steps follow.
pub(crate) async fn signal(
    exchange: &Exchange,
    initiator: Initiator,
    switch: &StoredSwitch,
    signal: SwitchSignal,
) -> ExchangeResult<()> {
    apply(exchange, initiator, switch, signal).await?;
    advance_with_peers(exchange, switch.id).await
}

async fn reread(exchange: &Exchange, id: Uuid) -> ExchangeResult<StoredSwitch> {
    advance_with_peers(exchange, id).await?;
    exchange
        .store
        .switch(id)
        .await?
        .ok_or(ExchangeError::NotFound { what: "switch" })
}

/// Advances the switches `service_id` takes part in, after one of its jobs
/// finished. A failure is only logged: the sweep takes the step again.
pub async fn after_job(exchange: &Exchange, service_id: Uuid) {
    let outcome = async {
        for id in exchange.store.service_switches(service_id).await? {
            advance_with_peers(exchange, id).await?;
        }
        Ok::<(), ExchangeError>(())
    }
    .await;
    if let Err(error) = outcome {
        tracing::warn!(?error, %service_id, "switch not advanced; the sweep retries");
    }
}

/// Advances every switch still moving; returns how many were looked at.
pub async fn sweep(exchange: &Exchange) -> ExchangeResult<usize> {
    let ids = exchange.store.switches_in(&MOVING, SWEEP_BATCH).await?;
    for id in &ids {
        advance(exchange, *id).await?;
    }
    Ok(ids.len())
}

/// What the current step's job, or the clock, says happens next.
enum Next {
    Signal(SwitchSignal),
    /// Rolling back and the target's last job is over: delete the target.
    DeleteTarget,
    Wait,
}

/// Advances a switch and then, when it is one member's part of a composition
/// switch and stands where its peers wait on it, the other members'
/// switches (the sweep advances them in any case).
pub async fn advance_with_peers(exchange: &Exchange, id: Uuid) -> ExchangeResult<()> {
    advance(exchange, id).await?;
    let Some(switch) = exchange.store.switch(id).await? else {
        return Ok(());
    };
    if !switch.progress.stage.moves_peers() {
        return Ok(());
    }
    if let Some(member) = &switch.member {
        for peer in exchange
            .store
            .composition_switch(member.composition_switch_id)
            .await?
        {
            if peer.id != id {
                advance(exchange, peer.id).await?;
            }
        }
    }
    Ok(())
}

/// What the other members of its composition switch mean for `switch`
/// (see [`peer_signal`]); none for a switch of a service alone.
async fn peers_say(
    exchange: &Exchange,
    switch: &StoredSwitch,
) -> ExchangeResult<Option<SwitchSignal>> {
    let Some(member) = &switch.member else {
        return Ok(None);
    };
    if !switch.progress.stage.can_cancel() {
        return Ok(None);
    }
    let all = exchange
        .store
        .composition_switch(member.composition_switch_id)
        .await?;
    let peers: Vec<PeerSwitch<'_>> = all
        .iter()
        .filter(|peer| peer.id != switch.id)
        .map(|peer| PeerSwitch {
            member_key: peer.member.as_ref().map_or("", |m| m.key.as_str()),
            stage: peer.progress.stage,
            cancelled: peer.progress.cancelled,
            failure: peer.progress.failure.as_deref(),
        })
        .collect();
    Ok(peer_signal(&switch.progress, &peers))
}

/// Takes every step the switch's jobs, its peers and the clock allow now.
pub async fn advance(exchange: &Exchange, id: Uuid) -> ExchangeResult<()> {
    // Each round either changes something or ends; the bound only guards
    // against a store that keeps answering differently.
    for _ in 0..16 {
        let Some(switch) = exchange.store.switch(id).await? else {
            return Ok(());
        };
        let step = match peers_say(exchange, &switch).await? {
            Some(signal) => Next::Signal(signal),
            None => {
                let job = match switch.job_id {
                    Some(job_id) => exchange.store.job(job_id).await?,
                    None => None,
                };
                next(&switch, job.as_ref())
            }
        };
        let moved = match step {
            Next::Wait => return Ok(()),
            Next::Signal(signal) => {
                match apply(exchange, Initiator::system(), &switch, signal).await {
                    // Read before another writer moved it: read again.
                    Err(ExchangeError::Conflict(_)) => true,
                    moved => moved?,
                }
            }
            Next::DeleteTarget => delete_target(exchange, &switch).await?,
        };
        if !moved {
            return Ok(());
        }
    }
    Ok(())
}

fn next(switch: &StoredSwitch, job: Option<&Job>) -> Next {
    use SwitchStage as At;
    let stage = switch.progress.stage;
    if stage == At::Transitional {
        return switch
            .progress
            .due(clock::now())
            .map_or(Next::Wait, Next::Signal);
    }
    let Some(job) = job else {
        return Next::Wait;
    };
    if job.status.is_active() {
        return Next::Wait;
    }
    let failed = job.status == JobStatus::Failed;
    let failure = || {
        SwitchSignal::StepFailed(format!(
            "the {} job failed: {}",
            job.action,
            job.error_message.as_deref().unwrap_or("no reason given")
        ))
    };
    match stage {
        At::RollingBack if job.action != "delete" => Next::DeleteTarget,
        At::RollingBack => Next::Signal(SwitchSignal::TargetRemoved),
        At::ProvisioningTarget | At::Exporting | At::Importing | At::Erasing if failed => {
            Next::Signal(failure())
        }
        At::ProvisioningTarget => Next::Signal(SwitchSignal::TargetProvisioned),
        At::Exporting => Next::Signal(match reported_digest(job, "exported") {
            Some(digest) => SwitchSignal::Exported(digest),
            None => SwitchSignal::StepFailed(
                "the source agent's export report has no size or SHA-256".into(),
            ),
        }),
        At::Importing => Next::Signal(match reported_digest(job, "imported") {
            Some(digest) => SwitchSignal::Imported(digest),
            None => SwitchSignal::StepFailed(
                "the target agent's import report has no size or SHA-256".into(),
            ),
        }),
        At::Erasing => Next::Signal(SwitchSignal::Erased),
        _ => Next::Wait,
    }
}

/// The size and SHA-256 an agent reported under `field` of a job's result.
fn reported_digest(job: &Job, field: &str) -> Option<Digest> {
    let report = job.result.as_ref()?.get(field)?;
    serde_json::from_value(report.clone()).ok()
}

fn switch_event(kind: EventKind, switch: &StoredSwitch, initiator: Initiator) -> NewEvent {
    NewEvent::new(kind, initiator, switch.id)
        .consumer(Some(switch.consumer_id))
        .provider(Some(switch.target_provider_id))
}

/// Applies `signal` and takes the actions it leads to, in one conditional
/// write; `false` when another writer moved the switch first. A signal the
/// stage does not take is a conflict for a person and ignored for the
/// system.
async fn apply(
    exchange: &Exchange,
    initiator: Initiator,
    switch: &StoredSwitch,
    signal: SwitchSignal,
) -> ExchangeResult<bool> {
    let now = clock::now();
    let (progress, actions) = switch
        .progress
        .on(signal, now)
        .map_err(|refusal| ExchangeError::Conflict(refusal.to_string()))?;
    let mut next = StoredSwitch {
        progress,
        updated_at: now,
        ..switch.clone()
    };
    let mut events = vec![stage_event(switch, &next, initiator.clone())];
    let mut job = None;
    let mut repoint = false;
    for action in actions {
        match action {
            SwitchAction::QueueExport => {
                let source = service(exchange, switch.source_service_id).await?;
                let token = new_transfer_token();
                let sealed = exchange
                    .vault
                    .seal_inline(&token_place(switch.id), &Value::String(token.clone()))?;
                next.transfer_token = Some(sealed);
                let reference = token_reference(exchange, &source, &token).await?;
                job = Some(new_job(
                    &source,
                    EXPORT_ACTION,
                    Some(json!({
                        "switchId": switch.id,
                        "format": switch.plan.format,
                        "transferToken": reference,
                    })),
                ));
            }
            SwitchAction::QueueImport => {
                let target = service(exchange, switch.target_service_id).await?;
                let token = match &switch.transfer_token {
                    Some(sealed) => exchange
                        .vault
                        .open_inline(&token_place(switch.id), sealed)
                        .ok()
                        .and_then(|value| value.as_str().map(str::to_owned)),
                    None => None,
                }
                .ok_or_else(|| {
                    ExchangeError::internal("a switch's transfer token does not open")
                })?;
                let reference = token_reference(exchange, &target, &token).await?;
                let exported = job_result(exchange, switch.job_id, "exported").await?;
                next.export_report = Some(exported.clone());
                let source = transfer_source(&exported);
                job = Some(new_job(
                    &target,
                    IMPORT_ACTION,
                    Some(json!({
                        "switchId": switch.id,
                        "source": source,
                        "transferToken": reference,
                    })),
                ));
            }
            SwitchAction::CutOver => {
                next.transfer_token = None;
                let source = service(exchange, switch.source_service_id).await?;
                events.push(
                    NewEvent::new(EventKind::ServiceSwitchedAway, initiator.clone(), source.id)
                        .consumer(Some(source.consumer_id))
                        .provider(Some(source.provider_id))
                        .agent(Some(source.agent_id))
                        .properties(json!({
                            "switchId": switch.id,
                            "targetServiceId": switch.target_service_id,
                        })),
                );
                if let Some(member) = &switch.member {
                    // The composition's member runs as the target from now.
                    repoint = true;
                    events.push(
                        NewEvent::new(
                            EventKind::CompositionMemberChanged,
                            initiator.clone(),
                            member.composition_id,
                        )
                        .consumer(Some(switch.consumer_id))
                        .properties(json!({
                            "key": member.key,
                            "serviceId": switch.target_service_id,
                            "providerId": switch.target_provider_id,
                            "switchId": switch.id,
                        })),
                    );
                }
            }
            SwitchAction::QueueErase => {
                let source = service(exchange, switch.source_service_id).await?;
                job = Some(new_job(
                    &source,
                    ERASE_ACTION,
                    Some(json!({"switchId": switch.id})),
                ));
            }
            // The target's own job may still run; its deletion is queued
            // once that job is over (see `next`).
            SwitchAction::RemoveTarget => next.transfer_token = None,
        }
    }
    if let Some(job) = &job {
        next.job_id = Some(job.id);
        events.push(job_event(
            EventKind::JobCreated,
            initiator.clone(),
            job,
            json!({}),
        ));
    }
    let written = exchange
        .store
        .step_switch(
            SwitchStep {
                from: switch.progress.stage,
                from_job: switch.job_id,
                to: &next,
                job: job.as_ref(),
                repoint,
            },
            &events,
            now,
        )
        .await?;
    if let (true, Some(job)) = (written, &job) {
        exchange.dispatch.wake(job.agent_id);
    }
    Ok(written)
}

fn stage_event(before: &StoredSwitch, after: &StoredSwitch, initiator: Initiator) -> NewEvent {
    switch_event(EventKind::SwitchStageChanged, after, initiator).properties(json!({
        "from": before.progress.stage.as_str(),
        "to": after.progress.stage.as_str(),
        "failure": after.progress.failure,
    }))
}

/// 256 random bits, as hex: what the target agent shows the source agent.
fn new_transfer_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Where a switch's sealed transfer token is kept, which its sealing is
/// bound to.
fn token_place(switch_id: Uuid) -> String {
    format!("switches/{switch_id}/transferToken")
}

/// A vault reference to `token` that only the agent of `service` may read,
/// for one job's params; it lapses with the job.
async fn token_reference(
    exchange: &Exchange,
    service: &Service,
    token: &str,
) -> ExchangeResult<String> {
    let secret = exchange.vault.seal(
        SecretOwner::service(service.id, service.agent_id),
        SecretKind::Ephemeral,
        &Value::String(token.to_owned()),
        clock::now(),
    )?;
    exchange
        .store
        .insert_secrets(std::slice::from_ref(&secret))
        .await?;
    Ok(format!("{VAULT_REFERENCE_PREFIX}{}", secret.reference))
}

async fn service(exchange: &Exchange, id: Uuid) -> ExchangeResult<Service> {
    exchange
        .store
        .service(id)
        .await?
        .ok_or(ExchangeError::NotFound { what: "service" })
}

/// What the agent reported under `field` with the job `job_id`.
async fn job_result(
    exchange: &Exchange,
    job_id: Option<Uuid>,
    field: &str,
) -> ExchangeResult<Value> {
    let job = match job_id {
        Some(id) => exchange.store.job(id).await?,
        None => None,
    };
    job.and_then(|job| job.result?.get(field).cloned())
        .ok_or_else(|| ExchangeError::internal("a finished step's job has no report"))
}

/// What the target needs of the source's export report to pull it: its
/// address, certificate, digest and format (not its expiry, which only the
/// source enforces).
fn transfer_source(exported: &Value) -> Value {
    let fields = ["url", "certificateSha256", "sha256", "sizeBytes", "format"];
    Value::Object(
        fields
            .into_iter()
            .filter_map(|field| Some((field.to_owned(), exported.get(field)?.clone())))
            .collect(),
    )
}

/// Queues the deletion of the target after a roll-back, or records it gone
/// when its lifecycle has nothing to delete or refuses.
async fn delete_target(exchange: &Exchange, switch: &StoredSwitch) -> ExchangeResult<bool> {
    let target = service(exchange, switch.target_service_id).await?;
    let rules = type_rules(exchange, target.service_type_id, "serviceTypeId").await?;
    if rules.lifecycle.is_terminal(&target.status)
        || rules
            .lifecycle
            .can_perform(&target.status, "delete")
            .is_err()
    {
        return apply(
            exchange,
            Initiator::system(),
            switch,
            SwitchSignal::TargetRemoved,
        )
        .await;
    }
    let job = new_job(&target, "delete", None);
    let next = StoredSwitch {
        job_id: Some(job.id),
        updated_at: clock::now(),
        ..switch.clone()
    };
    let events = [job_event(
        EventKind::JobCreated,
        Initiator::system(),
        &job,
        json!({}),
    )];
    let written = exchange
        .store
        .step_switch(
            SwitchStep {
                from: switch.progress.stage,
                from_job: switch.job_id,
                to: &next,
                job: Some(&job),
                repoint: false,
            },
            &events,
            clock::now(),
        )
        .await?;
    if written {
        exchange.dispatch.wake(job.agent_id);
    }
    Ok(written)
}

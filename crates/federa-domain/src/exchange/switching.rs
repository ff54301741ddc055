//! Switching a service to another provider with its data, as the EU Data
//! Act (Regulation (EU) 2023/2854, Chapter VI) asks of data processing
//! services: the stages of one switch, what moves it on, and what the
//! exchange must do at each step.
//!
//! A switch provisions the target service, has the source export its data,
//! has the target pull and import it, compares what was exported with what
//! was imported, cuts the consumer's service over to the target, and erases
//! the source once the transitional period is over or the consumer confirms
//! earlier. Until the cut-over, a cancellation or a failure at any step
//! rolls back: the target service is removed and the source, which nothing
//! before the cut-over changes, keeps running.
//!
//! [`Switch::on`] answers from the switch's own record and one signal, so
//! the caller stores the new record and carries out the returned
//! [`SwitchAction`]s in the same conditional write that only one replica
//! wins.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The job a switch queues on the source service to have its data written
/// out; like `import` and `erase`, it belongs to no lifecycle.
pub const EXPORT_ACTION: &str = "export";
/// The job on the target service that pulls the export and loads it.
pub const IMPORT_ACTION: &str = "import";
/// The job on the source service that removes it and all its data.
pub const ERASE_ACTION: &str = "erase";
/// The status of a source service its agent erased. No lifecycle has it, so
/// no lifecycle action applies to an erased service.
pub const ERASED_STATUS: &str = "Erased";

/// The status a switch's job leaves its service in, for the actions a
/// switch queues: exporting and importing only move data, erasing ends the
/// service. `None` for every other action, which its lifecycle decides.
pub fn status_after_switch_job<'a>(status: &'a str, action: &str) -> Option<&'a str> {
    match action {
        EXPORT_ACTION | IMPORT_ACTION => Some(status),
        ERASE_ACTION => Some(ERASED_STATUS),
        _ => None,
    }
}

/// Where a switch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SwitchStage {
    /// The target service is being created at the target provider.
    ProvisioningTarget,
    /// The source agent is writing the export.
    Exporting,
    /// The target agent is pulling the export and loading it.
    Importing,
    /// A member of a composition's switch whose import matched its export:
    /// it waits for every other member to match theirs, so that the whole
    /// composition cuts over at once or not at all.
    Verified,
    /// Cut over: the consumer's service is the target; the source keeps
    /// running, untouched, until the transitional period ends.
    Transitional,
    /// The source agent is erasing the source service and its data.
    Erasing,
    /// The source is erased and the agent confirmed it.
    Completed,
    /// A cancellation or failure before the cut-over: the target service is
    /// being removed.
    RollingBack,
    /// Rolled back at the consumer's request.
    Cancelled,
    /// Rolled back after a failure; the source runs as before.
    Failed,
    /// The source agent could not erase; the switch itself is done (the
    /// consumer's service is the target) but the source still holds data.
    ErasureFailed,
}

impl SwitchStage {
    pub const ALL: [SwitchStage; 11] = [
        SwitchStage::ProvisioningTarget,
        SwitchStage::Exporting,
        SwitchStage::Importing,
        SwitchStage::Verified,
        SwitchStage::Transitional,
        SwitchStage::Erasing,
        SwitchStage::Completed,
        SwitchStage::RollingBack,
        SwitchStage::Cancelled,
        SwitchStage::Failed,
        SwitchStage::ErasureFailed,
    ];

    /// The stages' names, as lists filter on them.
    pub const NAMES: &'static [&'static str] = &[
        "ProvisioningTarget",
        "Exporting",
        "Importing",
        "Verified",
        "Transitional",
        "Erasing",
        "Completed",
        "RollingBack",
        "Cancelled",
        "Failed",
        "ErasureFailed",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SwitchStage::ProvisioningTarget => "ProvisioningTarget",
            SwitchStage::Exporting => "Exporting",
            SwitchStage::Importing => "Importing",
            SwitchStage::Verified => "Verified",
            SwitchStage::Transitional => "Transitional",
            SwitchStage::Erasing => "Erasing",
            SwitchStage::Completed => "Completed",
            SwitchStage::RollingBack => "RollingBack",
            SwitchStage::Cancelled => "Cancelled",
            SwitchStage::Failed => "Failed",
            SwitchStage::ErasureFailed => "ErasureFailed",
        }
    }

    pub fn parse(text: &str) -> Option<SwitchStage> {
        SwitchStage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == text)
    }

    /// Stages before the cut-over, where the switch may still be cancelled.
    pub fn can_cancel(self) -> bool {
        matches!(
            self,
            SwitchStage::ProvisioningTarget
                | SwitchStage::Exporting
                | SwitchStage::Importing
                | SwitchStage::Verified
        )
    }

    /// Stages of a switch whose data is verified at the target: waiting for
    /// its peers, or cut over (erased or not).
    pub fn is_verified(self) -> bool {
        matches!(
            self,
            SwitchStage::Verified
                | SwitchStage::Transitional
                | SwitchStage::Erasing
                | SwitchStage::Completed
                | SwitchStage::ErasureFailed
        )
    }

    /// Stages in which a member of a composition switch may move the
    /// others: verified (they may all be now), cut over (so may they), or
    /// rolled back (so must they).
    pub fn moves_peers(self) -> bool {
        matches!(self, SwitchStage::Verified | SwitchStage::Transitional) || self.is_rolled_back()
    }

    /// Stages of a switch rolled back or rolling back.
    pub fn is_rolled_back(self) -> bool {
        matches!(
            self,
            SwitchStage::RollingBack | SwitchStage::Cancelled | SwitchStage::Failed
        )
    }

    /// Stages after which nothing more happens without the consumer.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            SwitchStage::Completed
                | SwitchStage::Cancelled
                | SwitchStage::Failed
                | SwitchStage::ErasureFailed
        )
    }
}

/// What identifies the bytes of one export: its size and SHA-256 (lower-case
/// hex), as the source reported them after writing it and as the target
/// reported them after pulling it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    pub sha256: String,
    pub size_bytes: u64,
}

/// Something that happened to a switch, reported by a job or a person.
#[derive(Debug, Clone, PartialEq)]
pub enum SwitchSignal {
    /// The target service's `create` job completed.
    TargetProvisioned,
    /// The source agent wrote the export.
    Exported(Digest),
    /// The target agent pulled and loaded the export.
    Imported(Digest),
    /// A job of the switch failed, or the target could not be ordered.
    StepFailed(String),
    /// The consumer cancelled.
    CancelRequested,
    /// The consumer confirmed that the source may be erased now, before the
    /// transitional period is over.
    ErasureConfirmed,
    /// The upkeep found the transitional period over.
    TransitionalPeriodOver,
    /// The source agent confirmed the erasure.
    Erased,
    /// The target service is gone after a roll-back.
    TargetRemoved,
    /// Every other member of the composition's switch is verified too.
    PeersVerified,
}

/// What the exchange must do because of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchAction {
    /// Queue the `export` job on the source service.
    QueueExport,
    /// Queue the `import` job on the target service.
    QueueImport,
    /// Make the target the consumer's service: its invoice begins, the
    /// source's ends.
    CutOver,
    /// Queue the `erase` job on the source service.
    QueueErase,
    /// Remove the target service (roll-back).
    RemoveTarget,
}

/// Why a signal cannot apply to a switch in its current stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a switch that is {stage} cannot {attempted}")]
pub struct SwitchRefusal {
    pub stage: &'static str,
    pub attempted: &'static str,
}

/// What was settled when the switch was asked for: where the service goes
/// and why, what leaves the source and in what format, and what the source's
/// exit terms charge on that day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SwitchPlan {
    /// Why placement chose the target and refused the others.
    pub explanation: String,
    /// Every offering placement considered for the target, with each rule
    /// it broke, such as `importFormat` for one that cannot import
    /// `format`; empty in switches planned before they were kept.
    #[serde(default)]
    pub considered: Vec<super::placement::CandidateVerdict>,
    pub target_country: String,
    /// The media type the source exports and the target imports.
    pub format: String,
    /// EUR, by the source's exit terms on the day the switch was asked for.
    #[serde(deserialize_with = "super::money::amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub switching_charge: rust_decimal::Decimal,
    /// The exchange's date (UTC) the charge was computed for; absent in
    /// switches planned before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub charged_on: Option<chrono::NaiveDate>,
    pub notice_period_days: u32,
    pub transitional_period_days: u32,
}

/// When a stage began; the switch report's timings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StageEntry {
    pub stage: SwitchStage,
    pub at: DateTime<Utc>,
}

/// One switch as the exchange records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Switch {
    pub stage: SwitchStage,
    /// Days the source keeps running after the cut-over, from the source
    /// offering's exit terms when the switch was planned.
    pub transitional_period_days: u32,
    pub exported: Option<Digest>,
    pub imported: Option<Digest>,
    /// Why the switch failed or the erasure did not happen.
    pub failure: Option<String>,
    /// Whether the roll-back was asked for by the consumer.
    pub cancelled: bool,
    pub cut_over_at: Option<DateTime<Utc>>,
    /// Every stage entered, in order.
    pub history: Vec<StageEntry>,
    /// Whether it is one member of a composition's switch, which cuts over
    /// only with all the others.
    #[serde(default)]
    pub awaits_peers: bool,
}

impl Switch {
    /// A switch just planned: its target is being provisioned.
    pub fn planned(transitional_period_days: u32, now: DateTime<Utc>) -> Switch {
        Switch {
            stage: SwitchStage::ProvisioningTarget,
            transitional_period_days,
            exported: None,
            imported: None,
            failure: None,
            cancelled: false,
            cut_over_at: None,
            history: vec![StageEntry {
                stage: SwitchStage::ProvisioningTarget,
                at: now,
            }],
            awaits_peers: false,
        }
    }

    /// A member of a composition's switch just planned.
    pub fn planned_member(transitional_period_days: u32, now: DateTime<Utc>) -> Switch {
        Switch {
            awaits_peers: true,
            ..Switch::planned(transitional_period_days, now)
        }
    }

    /// When the source may be erased without the consumer confirming.
    pub fn transitional_period_ends_at(&self) -> Option<DateTime<Utc>> {
        self.cut_over_at
            .map(|at| at + Duration::days(i64::from(self.transitional_period_days)))
    }

    /// The signals the upkeep sends on its own at `now`.
    pub fn due(&self, now: DateTime<Utc>) -> Option<SwitchSignal> {
        let ends_at = self.transitional_period_ends_at()?;
        (self.stage == SwitchStage::Transitional && now >= ends_at)
            .then_some(SwitchSignal::TransitionalPeriodOver)
    }

    /// The switch after `signal` at `now`, and what the exchange must do.
    pub fn on(
        &self,
        signal: SwitchSignal,
        now: DateTime<Utc>,
    ) -> Result<(Switch, Vec<SwitchAction>), SwitchRefusal> {
        use SwitchAction as Do;
        use SwitchSignal as On;
        use SwitchStage as At;
        let mut next = self.clone();
        let actions = match (self.stage, signal) {
            (At::ProvisioningTarget, On::TargetProvisioned) => {
                next.enter(At::Exporting, now);
                vec![Do::QueueExport]
            }
            (At::Exporting, On::Exported(digest)) => {
                next.exported = Some(digest);
                next.enter(At::Importing, now);
                vec![Do::QueueImport]
            }
            (At::Importing, On::Imported(digest)) => {
                let exported = self.exported.as_ref();
                next.imported = Some(digest.clone());
                match exported.and_then(|exported| mismatch(exported, &digest)) {
                    None if self.awaits_peers => {
                        next.enter(At::Verified, now);
                        Vec::new()
                    }
                    None => next.cut_over(now),
                    Some(problem) => next.roll_back(problem, now),
                }
            }
            (At::Verified, On::PeersVerified) => next.cut_over(now),
            (stage, On::StepFailed(reason)) if stage.can_cancel() => next.roll_back(reason, now),
            (stage, On::CancelRequested) if stage.can_cancel() => {
                next.cancelled = true;
                next.roll_back("cancelled by the consumer".into(), now)
            }
            (At::Transitional, On::ErasureConfirmed | On::TransitionalPeriodOver)
            | (At::ErasureFailed, On::ErasureConfirmed) => {
                next.failure = None;
                next.enter(At::Erasing, now);
                vec![Do::QueueErase]
            }
            (At::Erasing, On::Erased) => {
                next.enter(At::Completed, now);
                Vec::new()
            }
            (At::Erasing, On::StepFailed(reason)) => {
                next.failure = Some(reason);
                next.enter(At::ErasureFailed, now);
                Vec::new()
            }
            (At::RollingBack, On::TargetRemoved) => {
                let settled = if self.cancelled {
                    At::Cancelled
                } else {
                    At::Failed
                };
                next.enter(settled, now);
                Vec::new()
            }
            (stage, signal) => {
                return Err(SwitchRefusal {
                    stage: stage.as_str(),
                    attempted: attempted(&signal),
                })
            }
        };
        Ok((next, actions))
    }

    fn cut_over(&mut self, now: DateTime<Utc>) -> Vec<SwitchAction> {
        self.cut_over_at = Some(now);
        self.enter(SwitchStage::Transitional, now);
        vec![SwitchAction::CutOver]
    }

    fn roll_back(&mut self, reason: String, now: DateTime<Utc>) -> Vec<SwitchAction> {
        // A cancellation keeps the first failure, if any, as the cause.
        self.failure.get_or_insert(reason);
        self.enter(SwitchStage::RollingBack, now);
        vec![SwitchAction::RemoveTarget]
    }

    fn enter(&mut self, stage: SwitchStage, at: DateTime<Utc>) {
        self.stage = stage;
        self.history.push(StageEntry { stage, at });
    }
}

/// Why the imported bytes are not the exported ones, if they are not.
fn mismatch(exported: &Digest, imported: &Digest) -> Option<String> {
    (exported != imported).then(|| {
        format!(
            "the imported data ({} bytes, SHA-256 {}) is not what was exported ({} bytes, SHA-256 {})",
            imported.size_bytes, imported.sha256, exported.size_bytes, exported.sha256
        )
    })
}

fn attempted(signal: &SwitchSignal) -> &'static str {
    match signal {
        SwitchSignal::TargetProvisioned => "take a provisioned target",
        SwitchSignal::Exported(_) => "take an export",
        SwitchSignal::Imported(_) => "take an import",
        SwitchSignal::StepFailed(_) => "take a failed step",
        SwitchSignal::CancelRequested => "be cancelled",
        SwitchSignal::ErasureConfirmed => "erase the source",
        SwitchSignal::TransitionalPeriodOver => "end its transitional period",
        SwitchSignal::Erased => "take an erasure",
        SwitchSignal::TargetRemoved => "take a removed target",
        SwitchSignal::PeersVerified => "cut over with its peers",
    }
}

/// Another member's switch of the same composition switch, as one member
/// sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerSwitch<'a> {
    /// The composition's member it moves.
    pub member_key: &'a str,
    pub stage: SwitchStage,
    pub cancelled: bool,
    pub failure: Option<&'a str>,
}

/// What the other members' switches mean for one member's switch `own`:
/// the members of a composition cut over together or not at all, so one
/// rolled back rolls back the rest (a cancellation as a cancellation), and
/// a verified member cuts over once every other is verified too.
pub fn peer_signal(own: &Switch, peers: &[PeerSwitch<'_>]) -> Option<SwitchSignal> {
    if !own.stage.can_cancel() {
        return None;
    }
    if let Some(peer) = peers.iter().find(|peer| peer.stage.is_rolled_back()) {
        if peer.cancelled {
            return Some(SwitchSignal::CancelRequested);
        }
        return Some(SwitchSignal::StepFailed(format!(
            "the switch of member {} failed: {}",
            peer.member_key,
            peer.failure.unwrap_or("no reason given")
        )));
    }
    (own.stage == SwitchStage::Verified && peers.iter().all(|peer| peer.stage.is_verified()))
        .then_some(SwitchSignal::PeersVerified)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::SwitchAction::*;
    use super::SwitchStage::*;
    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 10, minute, 0).unwrap()
    }

    fn digest(sha256: &str, size_bytes: u64) -> Digest {
        Digest {
            sha256: sha256.into(),
            size_bytes,
        }
    }

    /// Applies `signals` in turn from a new switch with a 30-day
    /// transitional period, collecting every action.
    fn run(signals: Vec<SwitchSignal>) -> (Switch, Vec<SwitchAction>) {
        run_from(Switch::planned(30, at(0)), signals)
    }

    /// `run` for a member of a composition's switch.
    fn run_member(signals: Vec<SwitchSignal>) -> (Switch, Vec<SwitchAction>) {
        run_from(Switch::planned_member(30, at(0)), signals)
    }

    fn run_from(mut switch: Switch, signals: Vec<SwitchSignal>) -> (Switch, Vec<SwitchAction>) {
        let mut actions = Vec::new();
        for (minute, signal) in (1..).zip(signals) {
            let (next, done) = switch.on(signal, at(minute)).expect("signal applies");
            switch = next;
            actions.extend(done);
        }
        (switch, actions)
    }

    fn to_cut_over() -> Vec<SwitchSignal> {
        vec![
            SwitchSignal::TargetProvisioned,
            SwitchSignal::Exported(digest("ab12", 4096)),
            SwitchSignal::Imported(digest("ab12", 4096)),
        ]
    }

    #[test]
    fn a_verified_import_cuts_over_and_the_source_waits_out_the_transitional_period() {
        let (switch, actions) = run(to_cut_over());
        assert_eq!(switch.stage, Transitional);
        assert_eq!(actions, vec![QueueExport, QueueImport, CutOver]);
        assert_eq!(switch.cut_over_at, Some(at(3)));
        let ends_at = at(3) + Duration::days(30);
        assert_eq!(switch.transitional_period_ends_at(), Some(ends_at));
        assert_eq!(switch.due(ends_at - Duration::seconds(1)), None);
        assert_eq!(
            switch.due(ends_at),
            Some(SwitchSignal::TransitionalPeriodOver)
        );
    }

    #[test]
    fn the_source_is_erased_after_the_period_or_on_confirmation_and_the_history_has_every_stage() {
        let mut signals = to_cut_over();
        signals.extend([SwitchSignal::TransitionalPeriodOver, SwitchSignal::Erased]);
        let (after_period, actions) = run(signals);
        assert_eq!(after_period.stage, Completed);
        assert_eq!(actions.last(), Some(&QueueErase));
        let stages: Vec<SwitchStage> = after_period.history.iter().map(|e| e.stage).collect();
        assert_eq!(
            stages,
            vec![
                ProvisioningTarget,
                Exporting,
                Importing,
                Transitional,
                Erasing,
                Completed
            ]
        );

        let mut signals = to_cut_over();
        signals.extend([SwitchSignal::ErasureConfirmed, SwitchSignal::Erased]);
        assert_eq!(run(signals).0.stage, Completed);
    }

    #[test]
    fn a_checksum_mismatch_rolls_back_and_names_both_digests() {
        let (switch, actions) = run(vec![
            SwitchSignal::TargetProvisioned,
            SwitchSignal::Exported(digest("ab12", 4096)),
            SwitchSignal::Imported(digest("ff00", 4096)),
            SwitchSignal::TargetRemoved,
        ]);
        assert_eq!(switch.stage, Failed);
        assert_eq!(actions, vec![QueueExport, QueueImport, RemoveTarget]);
        assert_eq!(switch.cut_over_at, None);
        let failure = switch.failure.expect("a failure is recorded");
        assert!(
            failure.contains("ab12") && failure.contains("ff00"),
            "{failure}"
        );
    }

    #[test]
    fn a_size_mismatch_alone_is_caught() {
        let (switch, _) = run(vec![
            SwitchSignal::TargetProvisioned,
            SwitchSignal::Exported(digest("ab12", 4096)),
            SwitchSignal::Imported(digest("ab12", 4095)),
        ]);
        assert_eq!(switch.stage, RollingBack);
    }

    #[test]
    fn a_failure_or_cancellation_before_the_cut_over_removes_the_target_only() {
        for stop_after in 0..3 {
            let mut signals: Vec<SwitchSignal> =
                to_cut_over().into_iter().take(stop_after).collect();
            signals.push(SwitchSignal::StepFailed("the agent refused".into()));
            signals.push(SwitchSignal::TargetRemoved);
            let (failed, actions) = run(signals);
            assert_eq!(failed.stage, Failed, "failing after {stop_after} steps");
            assert_eq!(actions.last(), Some(&RemoveTarget));
            assert!(!actions.contains(&CutOver) && !actions.contains(&QueueErase));
            assert_eq!(failed.failure.as_deref(), Some("the agent refused"));

            let mut signals: Vec<SwitchSignal> =
                to_cut_over().into_iter().take(stop_after).collect();
            signals.push(SwitchSignal::CancelRequested);
            signals.push(SwitchSignal::TargetRemoved);
            let (cancelled, _) = run(signals);
            assert_eq!(cancelled.stage, Cancelled, "cancelling after {stop_after}");
        }
    }

    #[test]
    fn nothing_cancels_after_the_cut_over() {
        let (switch, _) = run(to_cut_over());
        let refusal = switch
            .on(SwitchSignal::CancelRequested, at(9))
            .expect_err("too late to cancel");
        assert_eq!(
            refusal.to_string(),
            "a switch that is Transitional cannot be cancelled"
        );
    }

    #[test]
    fn a_failed_erasure_is_recorded_and_can_be_asked_again() {
        let mut signals = to_cut_over();
        signals.extend([
            SwitchSignal::ErasureConfirmed,
            SwitchSignal::StepFailed("disk busy".into()),
        ]);
        let (failed, _) = run(signals);
        assert_eq!(failed.stage, ErasureFailed);
        assert_eq!(failed.failure.as_deref(), Some("disk busy"));
        let (again, actions) = failed
            .on(SwitchSignal::ErasureConfirmed, at(20))
            .expect("erasure may be asked again");
        assert_eq!((again.stage, actions), (Erasing, vec![QueueErase]));
        assert_eq!(again.failure, None);
    }

    #[test]
    fn signals_out_of_order_are_refused_and_change_nothing() {
        let switch = Switch::planned(30, at(0));
        for signal in [
            SwitchSignal::Exported(digest("ab12", 1)),
            SwitchSignal::Imported(digest("ab12", 1)),
            SwitchSignal::Erased,
            SwitchSignal::TargetRemoved,
            SwitchSignal::ErasureConfirmed,
        ] {
            assert!(switch.on(signal, at(1)).is_err());
        }
        assert_eq!(switch.history.len(), 1);
    }

    #[test]
    fn switch_jobs_keep_or_end_the_status_and_other_actions_are_the_lifecycle_s() {
        assert_eq!(
            status_after_switch_job("Started", EXPORT_ACTION),
            Some("Started")
        );
        assert_eq!(
            status_after_switch_job("Started", IMPORT_ACTION),
            Some("Started")
        );
        assert_eq!(
            status_after_switch_job("Started", ERASE_ACTION),
            Some(ERASED_STATUS)
        );
        assert_eq!(status_after_switch_job("Started", "stop"), None);
    }

    fn peer(member_key: &str, stage: SwitchStage) -> PeerSwitch<'_> {
        PeerSwitch {
            member_key,
            stage,
            cancelled: false,
            failure: None,
        }
    }

    #[test]
    fn a_member_s_verified_import_waits_for_its_peers_and_then_cuts_over() {
        let (member, actions) = run_member(to_cut_over());
        assert!(!actions.contains(&CutOver), "{actions:?}");
        assert_eq!(member.stage, Verified);
        assert_eq!(member.cut_over_at, None);

        let waiting = [peer("db", Importing)];
        assert_eq!(peer_signal(&member, &waiting), None);
        let verified = [peer("db", Verified)];
        assert_eq!(
            peer_signal(&member, &verified),
            Some(SwitchSignal::PeersVerified)
        );
        // A peer that already cut over counts as verified.
        assert_eq!(
            peer_signal(&member, &[peer("db", Transitional)]),
            Some(SwitchSignal::PeersVerified)
        );
        let (cut, actions) = member
            .on(SwitchSignal::PeersVerified, at(9))
            .expect("cuts over");
        assert_eq!((cut.stage, actions), (Transitional, vec![CutOver]));
        assert_eq!(cut.cut_over_at, Some(at(9)));
        // Once cut over, nothing its peers do moves it back.
        assert_eq!(peer_signal(&cut, &[peer("db", Failed)]), None);
    }

    #[test]
    fn a_failed_or_cancelled_peer_rolls_back_every_member_before_the_cut_over() {
        let member = Switch::planned_member(30, at(0));
        let failed = PeerSwitch {
            failure: Some("the import job failed: disk full"),
            ..peer("db", RollingBack)
        };
        let Some(SwitchSignal::StepFailed(reason)) = peer_signal(&member, &[failed]) else {
            panic!("a failed peer fails the member");
        };
        assert_eq!(
            reason,
            "the switch of member db failed: the import job failed: disk full"
        );
        let cancelled = PeerSwitch {
            cancelled: true,
            ..peer("db", Cancelled)
        };
        assert_eq!(
            peer_signal(&member, &[cancelled]),
            Some(SwitchSignal::CancelRequested)
        );
        let (verified, _) = run_member(to_cut_over());
        assert_eq!(verified.stage, Verified);
        let (rolled, actions) = verified
            .on(SwitchSignal::StepFailed(reason), at(9))
            .expect("a verified member still rolls back");
        assert_eq!((rolled.stage, actions), (RollingBack, vec![RemoveTarget]));
    }

    #[test]
    fn peers_verified_means_nothing_to_a_lone_switch_or_before_verification() {
        let (lone, _) = run(to_cut_over());
        assert_eq!(lone.stage, Transitional);
        assert!(lone.on(SwitchSignal::PeersVerified, at(9)).is_err());
        let planned = Switch::planned_member(30, at(0));
        assert!(planned.on(SwitchSignal::PeersVerified, at(1)).is_err());
        assert_eq!(peer_signal(&planned, &[peer("db", Verified)]), None);
    }

    #[test]
    fn only_a_verified_cut_over_or_rolled_back_member_moves_its_peers() {
        let moving: Vec<SwitchStage> = SwitchStage::ALL
            .into_iter()
            .filter(|stage| stage.moves_peers())
            .collect();
        assert_eq!(
            moving,
            [Verified, Transitional, RollingBack, Cancelled, Failed]
        );
    }

    #[test]
    fn stage_names_round_trip() {
        for stage in SwitchStage::ALL {
            assert_eq!(SwitchStage::parse(stage.as_str()), Some(stage));
        }
        let names: Vec<&str> = SwitchStage::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, SwitchStage::NAMES);
        assert_eq!(SwitchStage::parse("Done"), None);
    }
}

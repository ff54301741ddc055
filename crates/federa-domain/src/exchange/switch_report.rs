//! The report of one switch, the evidence a customer keeps of it: what was
//! moved (format, size and SHA-256 as exported and as imported), when each
//! stage began and ended, what the switch was charged and by which rule,
//! where the service went from and to, and the source agent's confirmation
//! of the erasure.
//!
//! [`SwitchReport::of`] only arranges what it is given; the caller reads
//! the providers, the source's country and the erasure job.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::exit_terms::charges_end_on;
use super::switching::{Digest, Switch, SwitchPlan, SwitchStage};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SwitchReport {
    pub switch_id: Uuid,
    pub consumer_id: Uuid,
    pub stage: SwitchStage,
    /// Where the service ran before the switch.
    pub source: SwitchParty,
    /// Where it runs after the cut-over.
    pub target: SwitchParty,
    pub moved: MovedData,
    /// Every stage entered, in order, with when it began and, unless it is
    /// the current one, when it ended.
    pub stages: Vec<StageTiming>,
    pub charges: SwitchCharges,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_over_at: Option<DateTime<Utc>>,
    /// Why the switch failed, or why the source was not erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The source agent's confirmation that the source is erased; absent
    /// until it confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erasure: Option<ErasureConfirmation>,
}

/// One end of a switch: the service, its provider and the country it runs
/// in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SwitchParty {
    pub service_id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    /// ISO 3166-1 alpha-2; absent when the service was not placed in a
    /// region of the provider's profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// What left the source and what arrived at the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MovedData {
    /// The media type the data moved in.
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported: Option<Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported: Option<Digest>,
    /// True exactly when the import's size and SHA-256 are the export's.
    pub identical: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StageTiming {
    pub stage: SwitchStage,
    pub began_at: DateTime<Utc>,
    /// When the next stage began; absent for the current stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

/// What the switch was charged and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SwitchCharges {
    /// EUR, by the source offering's exit terms on `askedOn`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub switching_charge: Decimal,
    /// The exchange's date (UTC) the switch was asked for, which the
    /// charge follows.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub asked_on: NaiveDate,
    /// The first day no switching charge may be asked.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub charges_end_on: NaiveDate,
    /// The rule the charge follows, in a sentence.
    pub rule: String,
    pub notice_period_days: u32,
    pub transitional_period_days: u32,
    /// When the source is erased unless the consumer confirms earlier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitional_period_ends_at: Option<DateTime<Utc>>,
}

/// The source agent's word that the source service and its data are gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErasureConfirmation {
    /// When the agent reported the `erase` job done.
    pub confirmed_at: DateTime<Utc>,
    pub job_id: Uuid,
    pub agent_id: Uuid,
    pub agent_name: String,
    /// What the agent reported under `erased`, as it reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_report: Option<Value>,
}

/// The ids a switch joins, with what was read of each end.
pub struct SwitchEnds {
    pub switch_id: Uuid,
    pub consumer_id: Uuid,
    pub source: SwitchParty,
    pub target: SwitchParty,
    /// When the switch was asked for.
    pub asked_at: DateTime<Utc>,
}

impl SwitchReport {
    /// The report of `progress` planned as `plan`, between `ends`, with
    /// the erasure confirmation when the source agent gave one.
    pub fn of(
        ends: SwitchEnds,
        progress: &Switch,
        plan: &SwitchPlan,
        erasure: Option<ErasureConfirmation>,
    ) -> SwitchReport {
        let identical = matches!(
            (&progress.exported, &progress.imported),
            (Some(exported), Some(imported)) if exported == imported
        );
        let asked_on = plan
            .charged_on
            .unwrap_or_else(|| ends.asked_at.date_naive());
        SwitchReport {
            switch_id: ends.switch_id,
            consumer_id: ends.consumer_id,
            stage: progress.stage,
            source: ends.source,
            target: ends.target,
            moved: MovedData {
                format: plan.format.clone(),
                exported: progress.exported.clone(),
                imported: progress.imported.clone(),
                identical,
            },
            stages: stage_timings(progress),
            charges: SwitchCharges {
                switching_charge: plan.switching_charge,
                asked_on,
                charges_end_on: charges_end_on(),
                rule: charge_rule(asked_on),
                notice_period_days: plan.notice_period_days,
                transitional_period_days: plan.transitional_period_days,
                transitional_period_ends_at: progress.transitional_period_ends_at(),
            },
            cut_over_at: progress.cut_over_at,
            failure: progress.failure.clone(),
            erasure: erasure.filter(|_| progress.stage == SwitchStage::Completed),
        }
    }
}

/// Each stage of the history ends when the next one begins.
fn stage_timings(progress: &Switch) -> Vec<StageTiming> {
    let history = &progress.history;
    history
        .iter()
        .enumerate()
        .map(|(index, entry)| StageTiming {
            stage: entry.stage,
            began_at: entry.at,
            ended_at: history.get(index + 1).map(|next| next.at),
        })
        .collect()
}

fn charge_rule(asked_on: NaiveDate) -> String {
    let end = charges_end_on();
    if asked_on < end {
        format!("the switching charge the source offering's exit terms state, as a switch asked for before {end} may be charged (EU Data Act, Article 29)")
    } else {
        format!("no switching charge: none may be asked from {end} on (EU Data Act, Article 29(1))")
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::exchange::switching::SwitchSignal;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn party(n: u128, country: &str) -> SwitchParty {
        SwitchParty {
            service_id: Uuid::from_u128(n),
            provider_id: Uuid::from_u128(n + 10),
            provider_name: format!("provider {n}"),
            country: Some(country.into()),
        }
    }

    fn plan() -> SwitchPlan {
        SwitchPlan {
            explanation: String::new(),
            considered: Vec::new(),
            target_country: "DE".into(),
            format: "application/json".into(),
            switching_charge: Decimal::new(2500, 2),
            charged_on: None,
            notice_period_days: 30,
            transitional_period_days: 30,
        }
    }

    fn ends(asked_at: DateTime<Utc>) -> SwitchEnds {
        SwitchEnds {
            switch_id: Uuid::from_u128(1),
            consumer_id: Uuid::from_u128(2),
            source: party(3, "FI"),
            target: party(4, "DE"),
            asked_at,
        }
    }

    fn digest(sha256: &str) -> Digest {
        Digest {
            sha256: sha256.into(),
            size_bytes: 4096,
        }
    }

    fn erasure() -> ErasureConfirmation {
        ErasureConfirmation {
            confirmed_at: at(5, 9),
            job_id: Uuid::from_u128(5),
            agent_id: Uuid::from_u128(6),
            agent_name: "fi-agent".into(),
            agent_report: None,
        }
    }

    /// A switch taken through `signals`, one hour apart from 3 December
    /// at midnight.
    fn after(signals: Vec<SwitchSignal>) -> Switch {
        let mut switch = Switch::planned(30, at(3, 0));
        for (hour, signal) in (1..).zip(signals) {
            switch = switch.on(signal, at(3, hour)).expect("applies").0;
        }
        switch
    }

    #[test]
    fn a_completed_switch_reports_every_stage_with_its_span_and_the_erasure() {
        let done = after(vec![
            SwitchSignal::TargetProvisioned,
            SwitchSignal::Exported(digest("a")),
            SwitchSignal::Imported(digest("a")),
            SwitchSignal::ErasureConfirmed,
            SwitchSignal::Erased,
        ]);
        let report = SwitchReport::of(ends(at(3, 0)), &done, &plan(), Some(erasure()));
        assert!(report.moved.identical);
        let spans: Vec<(SwitchStage, DateTime<Utc>, Option<DateTime<Utc>>)> = report
            .stages
            .iter()
            .map(|timing| (timing.stage, timing.began_at, timing.ended_at))
            .collect();
        assert_eq!(
            spans,
            [
                (SwitchStage::ProvisioningTarget, at(3, 0), Some(at(3, 1))),
                (SwitchStage::Exporting, at(3, 1), Some(at(3, 2))),
                (SwitchStage::Importing, at(3, 2), Some(at(3, 3))),
                (SwitchStage::Transitional, at(3, 3), Some(at(3, 4))),
                (SwitchStage::Erasing, at(3, 4), Some(at(3, 5))),
                (SwitchStage::Completed, at(3, 5), None),
            ]
        );
        assert_eq!(report.cut_over_at, Some(at(3, 3)));
        assert_eq!(report.erasure, Some(erasure()));
        assert_eq!(report.charges.switching_charge, Decimal::new(2500, 2));
        assert!(report.charges.rule.contains("before 2027-01-12"));
    }

    #[test]
    fn a_mismatched_import_is_reported_as_not_identical_and_no_erasure_is_claimed() {
        let failed = after(vec![
            SwitchSignal::TargetProvisioned,
            SwitchSignal::Exported(digest("a")),
            SwitchSignal::Imported(digest("b")),
        ]);
        let report = SwitchReport::of(ends(at(3, 0)), &failed, &plan(), Some(erasure()));
        assert!(!report.moved.identical);
        assert_eq!(report.erasure, None, "only a completed switch was erased");
        assert!(report.failure.is_some());
        assert_eq!(report.stages.last().map(|t| t.ended_at), Some(None));
    }

    #[test]
    fn from_12_january_2027_the_rule_says_no_charge() {
        let asked = Utc.with_ymd_and_hms(2027, 1, 12, 8, 0, 0).unwrap();
        let report = SwitchReport::of(ends(asked), &Switch::planned(30, asked), &plan(), None);
        assert_eq!(report.charges.asked_on.to_string(), "2027-01-12");
        assert!(report.charges.rule.starts_with("no switching charge"));
        assert!(!report.moved.identical);
    }
}

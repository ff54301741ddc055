//! An offering: a provider's standing proposal to run one service type in
//! some of its regions, at a price, up to a capacity, on stated exit terms.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::exit_terms::ExitTerms;
use super::pricing::PriceSheet;
use super::problems::Problems;
use super::profile::ProviderProfile;
use crate::listing::FieldError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offering {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub service_type_id: Uuid,
    /// Codes of regions declared in the provider's profile, in the
    /// provider's order of preference.
    pub regions: Vec<String>,
    pub price: PriceSheet,
    /// Most services not in a terminal state the offering takes at once;
    /// `None` is unlimited.
    pub capacity: Option<u32>,
    pub enabled: bool,
    /// What a customer leaving for another provider can count on.
    #[serde(default)]
    pub exit_terms: ExitTerms,
    /// Each order's quote on it waits for the provider to accept it once
    /// its consumer has.
    #[serde(default)]
    pub requires_acceptance: bool,
}

impl Offering {
    /// Every problem with the offering as published by the provider whose
    /// profile is `profile`.
    pub fn validate(&self, profile: &ProviderProfile) -> Result<(), Vec<FieldError>> {
        let mut problems = Problems::default();
        if self.participant_id != profile.participant_id {
            problems.push(
                "participantId",
                "must be the participant whose profile declares the regions",
            );
        }
        self.check_regions(profile, &mut problems);
        if self.capacity == Some(0) {
            // Zero would silently refuse every placement; disabling says so.
            problems.push(
                "capacity",
                "must be at least 1 (set enabled to false to stop taking services)",
            );
        }
        check_price(&self.price, &mut problems);
        self.exit_terms.check(&mut problems);
        problems.into_result()
    }

    fn check_regions(&self, profile: &ProviderProfile, problems: &mut Problems) {
        if self.regions.is_empty() {
            problems.push("regions", "must list at least one region");
        }
        for (index, code) in self.regions.iter().enumerate() {
            let path = format!("regions[{index}]");
            if self.regions[..index].contains(code) {
                problems.push(path, format!("lists region `{code}` twice"));
            } else if profile.region(code).is_none() {
                problems.push(
                    path,
                    format!("region `{code}` is not declared in the provider's profile"),
                );
            }
        }
    }
}

fn check_price(price: &PriceSheet, problems: &mut Problems) {
    problems.not_negative("price.hourly", price.hourly);
    for (index, entry) in price.per_property.iter().enumerate() {
        let path = format!("price.perProperty[{index}]");
        problems.named_once(
            format!("{path}.property"),
            &entry.property,
            price.per_property[..index]
                .iter()
                .map(|earlier| earlier.property.as_str()),
            format!("property `{}` is priced twice", entry.property),
        );
        problems.not_negative(format!("{path}.hourlyPerUnit"), entry.hourly_per_unit);
    }
    for (index, entry) in price.per_metric.iter().enumerate() {
        let path = format!("price.perMetric[{index}]");
        problems.named_once(
            format!("{path}.metricType"),
            &entry.metric_type,
            price.per_metric[..index]
                .iter()
                .map(|earlier| earlier.metric_type.as_str()),
            format!("metric `{}` is priced twice", entry.metric_type),
        );
        problems.not_negative(format!("{path}.perUnit"), entry.per_unit);
    }
}

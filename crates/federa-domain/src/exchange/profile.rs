//! A provider's sovereignty profile: where it is headquartered, whose law
//! reaches it, where its regions are and what it is certified for. These
//! are the facts placement rules are checked against.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::certification::{Certification, CertificationKind};
use super::countries;
use super::problems::Problems;
use crate::listing::FieldError;
use crate::participant::check_name;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderProfile {
    pub participant_id: Uuid,
    /// ISO 3166-1 alpha-2 code of the country of headquarters.
    pub jurisdiction: String,
    /// Whether the provider declares it can be compelled by a non-EU law
    /// (e.g. the US CLOUD Act through a parent company), wherever its
    /// headquarters are.
    pub subject_to_non_eu_law: bool,
    pub regions: Vec<Region>,
    /// May hold several certifications of one kind: a renewal is recorded
    /// before the old one expires.
    pub certifications: Vec<Certification>,
}

/// A place where the provider runs services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// Stable identifier, e.g. `fr-par-1`; see [`is_region_code`].
    pub code: String,
    /// ISO 3166-1 alpha-2 code of the country the data stays in.
    pub country: String,
    pub name: Option<String>,
}

pub const MAX_REGION_CODE_CHARS: usize = 64;

/// The message a malformed region code reports.
pub const NOT_A_REGION_CODE: &str = "must be 1 to 64 characters among a-z, 0-9 and -";

/// Whether `code` can name a region: 1 to 64 characters among lower-case
/// ASCII letters, digits and `-`, so it is safe in URLs and labels as is.
pub fn is_region_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_REGION_CODE_CHARS
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl ProviderProfile {
    /// Every problem with the profile, each with the path of its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Problems::default();
        problems.country("jurisdiction", &self.jurisdiction);
        if self.regions.is_empty() {
            problems.push("regions", "must declare at least one region");
        }
        for (index, region) in self.regions.iter().enumerate() {
            let path = format!("regions[{index}]");
            if !is_region_code(&region.code) {
                problems.push(format!("{path}.code"), NOT_A_REGION_CODE);
            } else if let Some(first) = self.regions[..index]
                .iter()
                .position(|earlier| earlier.code == region.code)
            {
                problems.push(
                    format!("{path}.code"),
                    format!(
                        "duplicates region code `{}` of regions[{first}]",
                        region.code
                    ),
                );
            }
            problems.country(format!("{path}.country"), &region.country);
            if let Some(name) = &region.name {
                if let Err(error) = check_name(&format!("{path}.name"), name) {
                    problems.push(error.path, error.message);
                }
            }
        }
        problems.into_result()
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|region| region.code == code)
    }

    /// Whether the headquarters are in the EU or the EEA.
    pub fn is_eea_headquartered(&self) -> bool {
        countries::is_eea(&self.jurisdiction)
    }

    /// The latest expiry among certifications of `kind`, valid or not;
    /// `None` when the provider never declared one.
    pub fn latest_expiry(&self, kind: CertificationKind) -> Option<DateTime<Utc>> {
        self.certifications
            .iter()
            .filter(|certification| certification.kind == kind)
            .map(|certification| certification.expires_at)
            .max()
    }

    /// Whether some certification of `kind` is still valid at `now`.
    pub fn certification_valid_at(&self, kind: CertificationKind, now: DateTime<Utc>) -> bool {
        self.certifications
            .iter()
            .any(|certification| certification.kind == kind && certification.is_valid_at(now))
    }
}

//! The certifications a provider can declare, as a closed vocabulary so a
//! placement rule can never ask for a label nobody can hold.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A security or sovereignty certification, named as its scheme names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CertificationKind {
    #[serde(rename = "ISO27001")]
    Iso27001,
    #[serde(rename = "ISO27017")]
    Iso27017,
    #[serde(rename = "ISO27018")]
    Iso27018,
    #[serde(rename = "SecNumCloud")]
    SecNumCloud,
    #[serde(rename = "BSIC5")]
    BsiC5,
    #[serde(rename = "EUCSBasic")]
    EucsBasic,
    #[serde(rename = "EUCSSubstantial")]
    EucsSubstantial,
    #[serde(rename = "EUCSHigh")]
    EucsHigh,
    #[serde(rename = "CISPECodeOfConduct")]
    CispeCodeOfConduct,
    #[serde(rename = "GaiaXStandardCompliance")]
    GaiaXStandardCompliance,
    #[serde(rename = "GaiaXLabel1")]
    GaiaXLabel1,
    #[serde(rename = "GaiaXLabel2")]
    GaiaXLabel2,
    #[serde(rename = "GaiaXLabel3")]
    GaiaXLabel3,
    #[serde(rename = "HDS")]
    Hds,
    #[serde(rename = "TISAX")]
    Tisax,
}

impl CertificationKind {
    pub const ALL: &'static [CertificationKind] = &[
        CertificationKind::Iso27001,
        CertificationKind::Iso27017,
        CertificationKind::Iso27018,
        CertificationKind::SecNumCloud,
        CertificationKind::BsiC5,
        CertificationKind::EucsBasic,
        CertificationKind::EucsSubstantial,
        CertificationKind::EucsHigh,
        CertificationKind::CispeCodeOfConduct,
        CertificationKind::GaiaXStandardCompliance,
        CertificationKind::GaiaXLabel1,
        CertificationKind::GaiaXLabel2,
        CertificationKind::GaiaXLabel3,
        CertificationKind::Hds,
        CertificationKind::Tisax,
    ];

    /// The name used on the wire and in messages, e.g. `SecNumCloud`.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificationKind::Iso27001 => "ISO27001",
            CertificationKind::Iso27017 => "ISO27017",
            CertificationKind::Iso27018 => "ISO27018",
            CertificationKind::SecNumCloud => "SecNumCloud",
            CertificationKind::BsiC5 => "BSIC5",
            CertificationKind::EucsBasic => "EUCSBasic",
            CertificationKind::EucsSubstantial => "EUCSSubstantial",
            CertificationKind::EucsHigh => "EUCSHigh",
            CertificationKind::CispeCodeOfConduct => "CISPECodeOfConduct",
            CertificationKind::GaiaXStandardCompliance => "GaiaXStandardCompliance",
            CertificationKind::GaiaXLabel1 => "GaiaXLabel1",
            CertificationKind::GaiaXLabel2 => "GaiaXLabel2",
            CertificationKind::GaiaXLabel3 => "GaiaXLabel3",
            CertificationKind::Hds => "HDS",
            CertificationKind::Tisax => "TISAX",
        }
    }
}

impl fmt::Display for CertificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certification held until `expires_at` (exclusive: at that instant it
/// no longer counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Certification {
    pub kind: CertificationKind,
    pub expires_at: DateTime<Utc>,
}

impl Certification {
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

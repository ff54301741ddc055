//! What agents are asked and answer when a service switches providers with
//! its data: the params of the `export`, `import` and `erase` jobs and what
//! their completions report. The exchange writes the params and reads the
//! reports; the agents read the params and write the reports.
//!
//! The data itself never passes through the exchange: the source agent
//! serves its export over HTTPS, the target agent pulls it, pinning the
//! certificate and presenting the transfer token the exchange gave both.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The job actions a switch queues, named once in the domain, which also
/// says what each does to its service's status.
pub use federa_domain::exchange::switching::{ERASE_ACTION, EXPORT_ACTION, IMPORT_ACTION};

/// The params of an `export` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportParams {
    pub switch_id: Uuid,
    /// The media type the export is asked in, e.g. `application/json`.
    pub format: String,
    /// A `vault://` reference to the token the target will present; the
    /// agent resolves it and keeps only its SHA-256.
    pub transfer_token: String,
}

/// Where an export is served and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferSource {
    /// An `https://` URL on the source agent.
    pub url: String,
    /// SHA-256 of the DER certificate the source agent serves with, in
    /// lowercase hex: the only certificate the target accepts.
    pub certificate_sha256: String,
    /// SHA-256 of the exported bytes, in lowercase hex.
    pub sha256: String,
    pub size_bytes: u64,
    pub format: String,
}

/// What an `export` job's completion reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExportedRes {
    #[serde(flatten)]
    pub source: TransferSource,
    /// After this the source refuses the transfer token.
    pub expires_at: DateTime<Utc>,
}

/// The params of an `import` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportParams {
    pub switch_id: Uuid,
    pub source: TransferSource,
    /// A `vault://` reference to the token the source expects.
    pub transfer_token: String,
}

/// What an `import` job's completion reports: what was loaded, verified
/// against the export's size and SHA-256 before the service was touched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImportedRes {
    pub sha256: String,
    pub size_bytes: u64,
}

/// What an `erase` job's completion reports: the agent's confirmation that
/// the service's process, data and exports are gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErasedRes {
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_export_report_reads_as_its_source_with_an_expiry() {
        let wire = json!({"url": "https://a:7443/exports/1", "certificateSha256": "ab", "sha256": "cd",
                          "sizeBytes": 12, "format": "application/json", "expiresAt": "2026-12-03T18:00:00Z"});
        let exported: ExportedRes = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(exported.source.size_bytes, 12);
        assert_eq!(exported.source.certificate_sha256, "ab");
        assert_eq!(serde_json::to_value(&exported).unwrap(), wire);
    }

    #[test]
    fn import_params_name_a_missing_field() {
        let error = serde_json::from_value::<ImportParams>(
            json!({"switchId": Uuid::nil(), "transferToken": "vault://t"}),
        )
        .unwrap_err();
        assert!(error.to_string().contains("source"), "{error}");
    }
}

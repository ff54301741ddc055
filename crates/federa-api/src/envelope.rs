//! The two envelopes every endpoint shares: a page of a list, and an error.

pub use federa_domain::listing::FieldError;
use serde::{Deserialize, Serialize};

/// The page envelope, as documented; handlers return the domain's `Page`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(bound = "T: utoipa::ToSchema"))]
#[serde(rename_all = "camelCase")]
pub struct PageRes<T> {
    pub items: Vec<T>,
    pub total_items: u64,
    pub total_pages: u64,
    pub current_page: u32,
    pub has_next: bool,
    pub has_prev: bool,
}

/// The error envelope, as documented.
// Fulcrum's `status` and `error`; a refused request also names every
// failing field, which the published schema leaves out as before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorRes {
    pub status: String,
    pub error: Option<String>,
    /// Each failing field of a 400 (or each missing reference of a 404).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub errors: Vec<FieldError>,
}

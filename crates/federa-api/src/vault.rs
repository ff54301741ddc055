//! A resolved secret.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretRes {
    /// The secret as it was given: any JSON value.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
}

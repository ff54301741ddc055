//! A service type's schemas as stored: what an order of the type reads,
//! and what the read caches keep of it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

/// The two schemas of a service type, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceTypeRules {
    pub property_schema: Option<Json<Value>>,
    pub lifecycle_schema: Option<Json<Value>>,
    /// Changes whenever the schemas may have; parsed rules are cached by it.
    pub updated_at: DateTime<Utc>,
}

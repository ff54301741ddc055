//! The rules of a service's type — its property schema and its lifecycle —
//! parsed once and kept while the type is unchanged, and the lookups its
//! property schema asks the store about.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use federa_domain::lifecycle::LifecycleSchema;
use federa_domain::property_schema::{PropertySchema, ReferenceTarget, Validated};
use uuid::Uuid;

use crate::error::{under, ExchangeError, ExchangeResult};
use crate::Exchange;

/// The parsed rules of a service type. A type without a property schema
/// accepts properties as given.
pub struct TypeRules {
    pub properties: Option<PropertySchema>,
    pub lifecycle: LifecycleSchema,
}

/// Parsed rules of service types by id, with the type's `updatedAt` when
/// parsed: parsing compiles every pattern, which costs more than the rest
/// of an order, and a changed type (on any replica) has a newer stamp.
#[derive(Default)]
pub struct RulesCache(Mutex<HashMap<Uuid, CachedRules>>);

/// The type's `updatedAt` when parsed, and the parsed rules.
type CachedRules = (DateTime<Utc>, Arc<TypeRules>);

/// Loads and parses a service type's schemas, or takes them from the
/// cache; `field` names the request field that chose the type, for the error.
pub async fn type_rules(
    exchange: &Exchange,
    service_type_id: Uuid,
    field: &str,
) -> ExchangeResult<Arc<TypeRules>> {
    let stored = exchange
        .store
        .service_type_rules(service_type_id)
        .await?
        .ok_or_else(|| ExchangeError::field(field, "no service type has this id"))?;
    {
        let cache = exchange.rules.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((stamp, rules)) = cache.get(&service_type_id) {
            if *stamp == stored.updated_at {
                return Ok(rules.clone());
            }
        }
    }
    let lifecycle = stored
        .lifecycle_schema
        .as_ref()
        .ok_or_else(|| ExchangeError::field(field, "the service type defines no lifecycle"))
        .and_then(|json| {
            // Schemas are validated when stored; a failure here means the row
            // was written by something else.
            LifecycleSchema::parse(&json.0)
                .map_err(|_| ExchangeError::internal("a stored lifecycle schema does not parse"))
        })?;
    let properties = match stored.property_schema.as_ref() {
        Some(json) => Some(
            PropertySchema::parse(&json.0)
                .map_err(|_| ExchangeError::internal("a stored property schema does not parse"))?,
        ),
        None => None,
    };
    let rules = Arc::new(TypeRules {
        properties,
        lifecycle,
    });
    let mut cache = exchange.rules.0.lock().unwrap_or_else(|e| e.into_inner());
    cache.insert(service_type_id, (stored.updated_at, rules.clone()));
    Ok(rules)
}

/// Where a service's properties are being written: whose options and which
/// consumer and group references are judged against, and which service and
/// agent their secrets belong to.
pub struct PropertyOwner {
    pub service_id: Uuid,
    pub agent_id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub group_id: Uuid,
}

/// Runs the lookups the property engine hands back — service references
/// and service options — and fails with every broken one under `properties`.
pub async fn resolve_lookups(
    exchange: &Exchange,
    validated: &Validated,
    owner: &PropertyOwner,
) -> ExchangeResult<()> {
    let mut failures = Vec::new();
    for check in &validated.references {
        let found = exchange.store.referenced_service(check.service_id).await?;
        let target = found.as_ref().map(|s| ReferenceTarget {
            service_type: &s.service_type_name,
            same_consumer: s.consumer_id == owner.consumer_id,
            same_group: s.group_id == owner.group_id,
        });
        failures.extend(check.evaluate(target).err());
    }
    for check in &validated.options {
        let values = exchange
            .store
            .enabled_option_values(owner.provider_id, &check.option_type)
            .await?;
        failures.extend(check.evaluate(&values).err());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(under("properties", failures))
    }
}

//! Secret properties of a composition's components. A member is ordered
//! long after the composition is submitted, when its agent is known, so its
//! secrets cannot go to the vault's table yet: they are sealed inside the
//! stored spec (never kept, answered or logged in plain) and opened again
//! just before the member is ordered, which seals them into the vault for
//! the member's agent as every order does.

use federa_domain::exchange::composition::{Component, CompositionSpec};
use federa_domain::property_schema::PropertyPath;
use serde_json::Value;
use uuid::Uuid;

use crate::error::{ExchangeError, ExchangeResult};
use crate::type_rules::type_rules;
use crate::vault::SEALED_INLINE_PREFIX;
use crate::Exchange;

/// Where one sealed value is kept; a sealed value opens only there.
fn place(composition_id: Uuid, key: &str, path: &PropertyPath) -> String {
    format!("composition {composition_id} component {key} property {path}")
}

/// Seals every plain secret value of the spec's components in place.
pub async fn seal(
    exchange: &Exchange,
    composition_id: Uuid,
    spec: &mut CompositionSpec,
) -> ExchangeResult<()> {
    for (index, component) in spec.components.iter_mut().enumerate() {
        let field = format!("components[{index}].serviceTypeId");
        let rules = type_rules(exchange, component.service_type_id, &field).await?;
        let Some(schema) = &rules.properties else {
            continue;
        };
        let plain: Vec<PropertyPath> = schema
            .stored_secrets(&component.properties)
            .into_iter()
            .filter(|found| found.reference.is_none())
            .map(|found| found.path)
            .collect();
        for path in plain {
            let value = path.lookup(&component.properties).cloned().ok_or_else(|| {
                ExchangeError::internal(
                    "a secret path the schema named is missing from the component",
                )
            })?;
            let sealed = exchange
                .vault
                .seal_inline(&place(composition_id, &component.key, &path), &value)?;
            if !path.store(&mut component.properties, Value::String(sealed)) {
                return Err(ExchangeError::internal(
                    "a secret path the schema named cannot be written",
                ));
            }
        }
    }
    Ok(())
}

/// The component with its sealed secret values opened, to be ordered.
pub async fn opened(
    exchange: &Exchange,
    composition_id: Uuid,
    component: &Component,
) -> ExchangeResult<Component> {
    let mut opened = component.clone();
    let rules = type_rules(exchange, component.service_type_id, "serviceTypeId").await?;
    let Some(schema) = &rules.properties else {
        return Ok(opened);
    };
    let sealed: Vec<PropertyPath> = schema
        .stored_secrets(&component.properties)
        .into_iter()
        .map(|found| found.path)
        .filter(|path| {
            path.lookup(&component.properties)
                .and_then(Value::as_str)
                .is_some_and(|text| text.starts_with(SEALED_INLINE_PREFIX))
        })
        .collect();
    for path in sealed {
        let text = path
            .lookup(&component.properties)
            .and_then(Value::as_str)
            .ok_or_else(|| ExchangeError::internal("a sealed secret is not text"))?;
        let value = exchange
            .vault
            .open_inline(&place(composition_id, &component.key, &path), text)
            .map_err(|_| {
                tracing::error!(composition = %composition_id, key = %component.key, "a sealed composition secret does not open: the spec was altered or the key changed");
                ExchangeError::internal("a sealed composition secret does not open")
            })?;
        if !path.store(&mut opened.properties, value) {
            return Err(ExchangeError::internal(
                "an opened secret path cannot be written",
            ));
        }
    }
    Ok(opened)
}

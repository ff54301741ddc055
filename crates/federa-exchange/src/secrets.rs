//! Secret policy: when a secret property value is sealed into the vault,
//! who may read it back, and when it is released. The vault
//! ([`crate::vault`]) seals and opens; this module decides.
//!
//! - **Writing.** Secrets are sealed and stored *before* the row that will
//!   hold their reference commits (the service, job or agent writes are
//!   their own transactions). A write that then fails leaves secrets that
//!   no row holds; the vault's sweeper deletes those after its grace.
//! - **Releasing.** A replaced persistent secret stays until the job that
//!   replaced it completes, since until then the service's stored
//!   properties still point at it (and a failed update keeps them); the
//!   new one is released instead when that job fails. Ephemeral secrets go
//!   when any job that carried them completes or fails, and everything of a
//!   service goes when it reaches a terminal state.
//! - **Reading.** Only the agent a secret is bound to reads it; anyone
//!   else is told it does not exist.

use std::collections::BTreeSet;

use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::property_schema::{PropertySchema, Validated, VAULT_REFERENCE_PREFIX};
use federa_domain::provisioning::{Job, Service};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::clock;
use crate::error::{ExchangeError, ExchangeResult};
use crate::vault::{is_reference, SecretOwner};
use crate::Exchange;

fn reference_value(reference: &str) -> Value {
    Value::String(format!("{VAULT_REFERENCE_PREFIX}{reference}"))
}

/// Stores every new secret value of `validated` and puts its reference in
/// its place.
pub async fn seal_secrets(
    exchange: &Exchange,
    validated: &mut Validated,
    owner: SecretOwner,
) -> ExchangeResult<()> {
    if validated.secrets.is_empty() {
        return Ok(());
    }
    let now = clock::now();
    let fields = std::mem::take(&mut validated.secrets);
    let mut secrets = Vec::with_capacity(fields.len());
    for field in &fields {
        secrets.push(exchange.vault.seal(owner, field.kind, &field.value, now)?);
    }
    exchange.store.insert_secrets(&secrets).await?;
    for (field, secret) in fields.iter().zip(&secrets) {
        if !validated.set(&field.path, reference_value(&secret.reference)) {
            // The engine reported a path it did not produce; the sealed
            // secrets are left to the sweep.
            return Err(ExchangeError::internal(
                "the property schema named a secret path it did not produce",
            ));
        }
    }
    Ok(())
}

/// Seals plain values that an agent reported for secret properties of
/// `service`, so a completion report cannot store one in the clear.
pub async fn seal_reported(
    exchange: &Exchange,
    schema: &PropertySchema,
    service: &Service,
    properties: &mut Option<Map<String, Value>>,
) -> ExchangeResult<()> {
    let Some(properties) = properties else {
        return Ok(());
    };
    let plain: Vec<_> = schema
        .stored_secrets(properties)
        .into_iter()
        .filter(|found| found.reference.is_none())
        .map(|found| (found.path, found.kind))
        .collect();
    if plain.is_empty() {
        return Ok(());
    }
    let owner = SecretOwner::service(service.id, service.agent_id);
    let now = clock::now();
    let mut secrets = Vec::with_capacity(plain.len());
    for (path, kind) in &plain {
        let value = path
            .lookup(properties)
            .ok_or_else(|| ExchangeError::internal("a reported secret path is missing"))?;
        secrets.push(exchange.vault.seal(owner, *kind, value, now)?);
    }
    exchange.store.insert_secrets(&secrets).await?;
    for ((path, _), secret) in plain.iter().zip(&secrets) {
        if !path.store(properties, reference_value(&secret.reference)) {
            return Err(ExchangeError::internal(
                "a reported secret path cannot be written",
            ));
        }
    }
    Ok(())
}

/// Every `vault://` reference anywhere in `value`.
pub fn references(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::String(text) => {
                if let Some(reference) = text.strip_prefix(VAULT_REFERENCE_PREFIX) {
                    out.insert(reference.to_owned());
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            Value::Object(map) => map.values().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, &mut out);
    out
}

fn references_in(map: Option<&Map<String, Value>>) -> BTreeSet<String> {
    map.map(|m| m.values().flat_map(references).collect())
        .unwrap_or_default()
}

/// The parts of `current` that `input` sends back unchanged and that carry
/// a vault reference. Validating a replacement document as an update over
/// these keeps such references (the engine refuses any reference it has
/// not seen stored) while everything else is judged as on create.
pub fn unchanged_references(
    current: Option<&Map<String, Value>>,
    input: &Map<String, Value>,
) -> Map<String, Value> {
    let mut kept = Map::new();
    for (key, stored) in current.into_iter().flatten() {
        let Some(sent) = input.get(key) else {
            continue;
        };
        match (stored, sent) {
            (Value::Object(stored), Value::Object(sent)) => {
                let inner = unchanged_references(Some(stored), sent);
                if !inner.is_empty() {
                    kept.insert(key.clone(), Value::Object(inner));
                }
            }
            _ if stored == sent && !references(stored).is_empty() => {
                kept.insert(key.clone(), stored.clone());
            }
            _ => {}
        }
    }
    kept
}

/// Releases the secrets of a job's service that the finished job leaves
/// behind: all of them once the service is in a terminal state; otherwise
/// those the job or the old properties named that the new properties no
/// longer hold, and every ephemeral one the job or the service carries.
/// Failures are logged and left to the sweep: the job's outcome is already
/// committed and must not be reported as failed.
pub async fn job_finished(
    exchange: &Exchange,
    job: &Job,
    before: &Service,
    after: Option<&Map<String, Value>>,
    terminal: bool,
) {
    let outcome = async {
        if terminal {
            return exchange
                .store
                .delete_all_service_secrets(job.service_id)
                .await;
        }
        let held = references_in(Some(after.unwrap_or(&before.properties)));
        let mut named = job.params.as_ref().map(references).unwrap_or_default();
        let carried: Vec<String> = named.union(&held).cloned().collect();
        named.extend(references_in(Some(&before.properties)));
        let dropped: Vec<String> = named.difference(&held).cloned().collect();
        exchange
            .store
            .delete_service_secrets(job.service_id, &dropped, false)
            .await?;
        exchange
            .store
            .delete_service_secrets(job.service_id, &carried, true)
            .await
    }
    .await;
    if let Err(error) = outcome {
        tracing::warn!(%error, job = %job.id, "releasing the job's vault secrets failed; the sweep retries");
    }
}

/// Releases the configuration secrets an agent update replaced or removed.
pub async fn agent_configuration_changed(
    exchange: &Exchange,
    agent_id: Uuid,
    before: Option<&Map<String, Value>>,
    after: Option<&Map<String, Value>>,
) {
    let held = references_in(after);
    let dropped: Vec<String> = references_in(before).difference(&held).cloned().collect();
    if let Err(error) = exchange
        .store
        .delete_agent_secrets(agent_id, &dropped)
        .await
    {
        tracing::warn!(%error, agent = %agent_id, "releasing replaced vault secrets failed; the sweep retries");
    }
}

/// The plain value of a secret for `caller`. Anyone but the agent allowed
/// to read it gets the same 404 as for a secret that does not exist, so
/// references cannot be probed.
pub async fn resolve(
    exchange: &Exchange,
    caller: &Identity,
    reference: &str,
) -> ExchangeResult<Value> {
    caller.may(Object::VaultSecret, Action::Resolve)?;
    if !is_reference(reference) {
        return Err(ExchangeError::NotFound { what: "secret" });
    }
    let secret = exchange
        .store
        .held_secret(reference, clock::now())
        .await?
        .ok_or(ExchangeError::NotFound { what: "secret" })?;
    caller
        .authorize(
            Object::VaultSecret,
            Action::Resolve,
            &Owners::none().with_agent(Some(secret.agent_id)),
        )
        .map_err(|_| ExchangeError::NotFound { what: "secret" })?;
    let plaintext = exchange.vault.open(&secret).map_err(|_| {
        tracing::error!(
            reference,
            "a vault secret does not open: its row was altered or the key changed"
        );
        ExchangeError::internal("a vault secret does not open")
    })?;
    serde_json::from_slice(&plaintext)
        .map_err(|_| ExchangeError::internal("an opened vault secret is not JSON"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn references_sent_back_unchanged_are_the_only_ones_kept() {
        let current = json!({
            "region": "eu",
            "apiKey": "vault://aa",
            "nested": {"token": "vault://bb", "other": "vault://cc"},
            "rotated": "vault://dd",
        });
        let input = json!({
            "region": "eu",
            "apiKey": "vault://aa",
            "nested": {"token": "vault://bb"},
            "rotated": "new plain value",
        });
        let kept = unchanged_references(current.as_object(), input.as_object().unwrap());
        assert_eq!(
            Value::Object(kept),
            json!({"apiKey": "vault://aa", "nested": {"token": "vault://bb"}})
        );
        assert_eq!(
            references(&current),
            ["aa", "bb", "cc", "dd"].map(String::from).into()
        );
    }
}

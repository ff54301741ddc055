//! Resolving `vault://` references just before a driver runs, so plain
//! secrets live only in the driver's memory for the job's duration.

use federa_client::Client;
use serde_json::Value;

const PREFIX: &str = "vault://";

/// Replaces every `vault://` string in `value` by the secret it names.
pub async fn resolve(client: &Client, value: &mut Value) -> Result<(), String> {
    let mut references = Vec::new();
    collect(value, &mut references);
    for reference in references {
        let reply = client
            .get(&format!("/vault/secrets/{reference}"))
            .await
            .map_err(|e| format!("cannot resolve a secret: {e}"))?;
        // The reply body is the secret: never log it.
        let body: Value = reply
            .into_json()
            .map_err(|e| format!("cannot resolve a secret: {e}"))?;
        let secret = body.get("value").cloned().unwrap_or(body);
        replace(value, &format!("{PREFIX}{reference}"), &secret);
    }
    Ok(())
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            if let Some(reference) = text.strip_prefix(PREFIX) {
                if !out.iter().any(|r| r == reference) {
                    out.push(reference.to_string());
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

fn replace(value: &mut Value, reference: &str, secret: &Value) {
    match value {
        Value::String(text) if text == reference => *value = secret.clone(),
        Value::Array(items) => items.iter_mut().for_each(|v| replace(v, reference, secret)),
        Value::Object(map) => map.values_mut().for_each(|v| replace(v, reference, secret)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_found_once_and_replaced_everywhere() {
        let mut value =
            json!({"a": "vault://r1", "b": ["vault://r1", "plain"], "c": {"d": "vault://r2"}});
        let mut found = Vec::new();
        collect(&value, &mut found);
        assert_eq!(found, vec!["r1", "r2"]);
        replace(&mut value, "vault://r1", &json!("s1"));
        assert_eq!(
            value,
            json!({"a": "s1", "b": ["s1", "plain"], "c": {"d": "vault://r2"}})
        );
    }
}

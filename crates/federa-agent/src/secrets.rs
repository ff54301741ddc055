//! Resolving `vault://` references just before a driver runs, so plain
//! secrets live only in the driver's memory for the job's duration.

use federa_client::Client;
use serde_json::{Map, Value};

const PREFIX: &str = "vault://";

/// Replaces every `vault://` string in `properties` by the secret it names.
pub async fn resolve(client: &Client, properties: &mut Map<String, Value>) -> Result<(), String> {
    let mut references = Vec::new();
    properties
        .values()
        .for_each(|v| collect(v, &mut references));
    for reference in references {
        // The answer is the secret: never log it.
        let secret = client
            .vault_secret(&reference)
            .await
            .map_err(|e| format!("cannot resolve a secret: {e}"))?;
        let reference = format!("{PREFIX}{reference}");
        properties
            .values_mut()
            .for_each(|v| replace(v, &reference, &secret));
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

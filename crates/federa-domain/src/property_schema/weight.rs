//! How much a service's properties may weigh. Every list answer carries
//! them for each item, so without a bound below the request body limit one
//! page of services could weigh a hundred times that limit.

use serde_json::{Map, Value};

use super::PropertyError;

/// The default bound on a service's properties as compact JSON.
pub const DEFAULT_MAX_PROPERTIES_BYTES: usize = 64 * 1024;

/// Bytes `value` takes as compact JSON.
pub fn json_weight(value: &impl serde::Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// Refuses `properties` (found at `path`) weighing over `max` bytes, naming
/// the heaviest one so the caller knows what to shrink.
pub fn check_weight(
    path: &str,
    properties: &Map<String, Value>,
    max: usize,
) -> Result<(), PropertyError> {
    let total = json_weight(properties);
    if total <= max {
        return Ok(());
    }
    let heaviest = properties
        .iter()
        .map(|(name, value)| (name, json_weight(value)))
        .max_by_key(|(_, weight)| *weight);
    let detail = match heaviest {
        Some((name, weight)) => format!("; the largest, `{name}`, is {weight} bytes"),
        None => String::new(),
    };
    Err(PropertyError::new(
        path,
        format!("must weigh at most {max} bytes as JSON, got {total}{detail}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weight_is_the_compact_json_length() {
        let value = json!({"a": [1, "x"]});
        assert_eq!(json_weight(&value), value.to_string().len());
    }

    #[test]
    fn heavy_properties_are_refused_naming_the_largest() {
        let Value::Object(properties) = json!({"small": "x", "big": "y".repeat(100)}) else {
            unreachable!()
        };
        assert!(check_weight("properties", &properties, 200).is_ok());
        let error = check_weight("properties", &properties, 50).unwrap_err();
        assert_eq!(error.path, "properties");
        assert!(error.message.contains("`big`"), "{}", error.message);
    }
}

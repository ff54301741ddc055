//! Reading the typed values drivers take from a service's properties, with
//! one wording for what is wrong.

use serde_json::{Map, Value};

use crate::driver::DriverError;

/// A property that must be a whole number within bounds, if present.
pub(crate) fn whole_number(
    properties: &Map<String, Value>,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, DriverError> {
    match properties.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                DriverError::Properties(format!(
                    "{name} must be a whole number from {min} to {max}, not {value}"
                ))
            }),
    }
}

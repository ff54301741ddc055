use serde_json::Value;

use crate::listing::FieldError;

/// The type of the values a pool holds, which must match the type of the
/// properties that draw from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolPropertyType {
    String,
    Integer,
    Number,
    Boolean,
    Json,
}

impl PoolPropertyType {
    pub const NAMES: [&'static str; 5] = ["string", "integer", "number", "boolean", "json"];

    pub fn parse(path: &str, name: &str) -> Result<PoolPropertyType, FieldError> {
        match name {
            "string" => Ok(PoolPropertyType::String),
            "integer" => Ok(PoolPropertyType::Integer),
            "number" => Ok(PoolPropertyType::Number),
            "boolean" => Ok(PoolPropertyType::Boolean),
            "json" => Ok(PoolPropertyType::Json),
            _ => Err(FieldError::new(
                path,
                format!("must be one of {}", Self::NAMES.join(", ")),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PoolPropertyType::String => "string",
            PoolPropertyType::Integer => "integer",
            PoolPropertyType::Number => "number",
            PoolPropertyType::Boolean => "boolean",
            PoolPropertyType::Json => "json",
        }
    }

    /// Refuses a value a property of this type could not hold, so a bad
    /// entry is caught when the provider adds it, not when a consumer orders.
    pub fn check(self, path: &str, value: &Value) -> Result<(), FieldError> {
        let fits = match self {
            PoolPropertyType::String => value.is_string(),
            PoolPropertyType::Integer => value.is_i64() || value.is_u64(),
            PoolPropertyType::Number => value.is_number(),
            PoolPropertyType::Boolean => value.is_boolean(),
            PoolPropertyType::Json => !value.is_null(),
        };
        if fits {
            Ok(())
        } else {
            Err(FieldError::new(
                path,
                format!(
                    "must be a {} value, as the pool's propertyType says",
                    self.as_str()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_must_have_the_pool_type() {
        let cases = [
            ("string", json!("10.0.0.1"), true),
            ("string", json!(1), false),
            ("integer", json!(42), true),
            ("integer", json!(4.5), false),
            ("number", json!(4.5), true),
            ("boolean", json!(true), true),
            ("boolean", json!("true"), false),
            ("json", json!({"vlan": 7}), true),
            ("json", json!(null), false),
        ];
        for (name, value, fits) in cases {
            let kind = PoolPropertyType::parse("propertyType", name).unwrap();
            assert_eq!(kind.check("value", &value).is_ok(), fits, "{name} {value}");
        }
    }

    #[test]
    fn unknown_type_names_the_field() {
        let error = PoolPropertyType::parse("propertyType", "uuid").unwrap_err();
        assert_eq!(error.path, "propertyType");
    }
}

use serde_json::{Map, Value};

use super::property_type::PoolPropertyType;
use super::subnet::SubnetConfig;
use crate::listing::FieldError;

/// How a pool produces values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratorType {
    List,
    Subnet,
}

impl GeneratorType {
    pub const ALL: [GeneratorType; 2] = [GeneratorType::List, GeneratorType::Subnet];
    pub const NAMES: [&'static str; 2] = ["list", "subnet"];

    pub fn parse(path: &str, name: &str) -> Result<GeneratorType, FieldError> {
        Self::parse_among(path, name, &Self::ALL)
    }

    /// Parses a generator type that a kind of pool supports: service pools
    /// take every type, config pools only `list`.
    pub fn parse_among(
        path: &str,
        name: &str,
        supported: &[GeneratorType],
    ) -> Result<GeneratorType, FieldError> {
        supported
            .iter()
            .copied()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = supported.iter().map(|kind| kind.as_str()).collect();
                FieldError::new(path, format!("must be {}", names.join(" or ")))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GeneratorType::List => "list",
            GeneratorType::Subnet => "subnet",
        }
    }
}

/// A pool's generator with its checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolGenerator {
    List,
    Subnet(SubnetConfig),
}

impl PoolGenerator {
    /// Checks `generatorConfig` (field `generatorConfig`) for a generator
    /// type and the pool's property type. A list pool keeps any object as
    /// notes; a subnet pool needs a valid range and produces strings.
    pub fn parse(
        generator_type: GeneratorType,
        config: Option<&Value>,
        property_type: PoolPropertyType,
    ) -> Result<PoolGenerator, Vec<FieldError>> {
        let config = match config {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => {
                return Err(vec![FieldError::new(
                    "generatorConfig",
                    "must be an object",
                )])
            }
        };
        match generator_type {
            GeneratorType::List => Ok(PoolGenerator::List),
            GeneratorType::Subnet => {
                let mut errors = Vec::new();
                if property_type != PoolPropertyType::String {
                    errors.push(FieldError::new(
                        "propertyType",
                        "must be string for a subnet pool, which hands out addresses",
                    ));
                }
                let empty = Map::new();
                let parsed = SubnetConfig::parse("generatorConfig", config.unwrap_or(&empty));
                match parsed {
                    Ok(subnet) if errors.is_empty() => Ok(PoolGenerator::Subnet(subnet)),
                    Ok(_) => Err(errors),
                    Err(more) => {
                        errors.extend(more);
                        Err(errors)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Generator, config, property type, and `Err(path)` of the expected error.
    type Case = (
        GeneratorType,
        Option<Value>,
        PoolPropertyType,
        Result<(), &'static str>,
    );

    #[test]
    fn generator_configs_are_checked_by_type() {
        let string = PoolPropertyType::String;
        let cases: &[Case] = &[
            (GeneratorType::List, None, string, Ok(())),
            (
                GeneratorType::List,
                Some(json!({"note": "x"})),
                PoolPropertyType::Json,
                Ok(()),
            ),
            (
                GeneratorType::List,
                Some(json!([1])),
                string,
                Err("generatorConfig"),
            ),
            (
                GeneratorType::Subnet,
                Some(json!({"cidr": "10.0.0.0/24"})),
                string,
                Ok(()),
            ),
            (
                GeneratorType::Subnet,
                None,
                string,
                Err("generatorConfig.cidr"),
            ),
            (
                GeneratorType::Subnet,
                Some(json!({"cidr": "10.0.0.0/24"})),
                PoolPropertyType::Integer,
                Err("propertyType"),
            ),
            (
                GeneratorType::Subnet,
                Some(json!({"cidr": "300.0.0.0/24"})),
                string,
                Err("generatorConfig.cidr"),
            ),
        ];
        for (kind, config, property_type, expected) in cases {
            let got = PoolGenerator::parse(*kind, config.as_ref(), *property_type);
            match expected {
                Ok(()) => assert!(got.is_ok(), "{kind:?} {config:?}: {got:?}"),
                Err(path) => {
                    let errors = got.unwrap_err();
                    assert!(
                        errors.iter().any(|e| e.path == *path),
                        "{kind:?} {config:?}: {errors:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn generator_type_names_round_trip() {
        for name in GeneratorType::NAMES {
            assert_eq!(
                GeneratorType::parse("generatorType", name)
                    .unwrap()
                    .as_str(),
                name
            );
        }
        assert_eq!(
            GeneratorType::parse("generatorType", "range")
                .unwrap_err()
                .path,
            "generatorType"
        );
    }

    #[test]
    fn a_pool_kind_accepts_only_the_generators_it_supports() {
        let list_only = [GeneratorType::List];
        assert_eq!(
            GeneratorType::parse_among("generatorType", "list", &list_only),
            Ok(GeneratorType::List)
        );
        let refused =
            GeneratorType::parse_among("generatorType", "subnet", &list_only).unwrap_err();
        assert_eq!(refused.path, "generatorType");
        assert_eq!(refused.message, "must be list");
        let both = GeneratorType::parse("generatorType", "range").unwrap_err();
        assert_eq!(both.message, "must be list or subnet");
    }
}

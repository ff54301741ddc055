//! Schema self-checks: every malformed schema is refused with the path and
//! rule of each problem, and every valid one round-trips.

use federa_domain::property_schema::{
    PropertyError, PropertySchema, PropertyType, SchemaKind, SecretKind, Validator,
    EXAMPLE_VM_PROPERTY_SCHEMA,
};
use serde_json::{json, Value};

/// A named input and the exact `(path, message)` errors it must produce.
type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);

fn refused(document: Value) -> Vec<(String, String)> {
    match PropertySchema::parse(&document) {
        Ok(schema) => panic!("schema was accepted: {schema:?}"),
        Err(errors) => errors.into_iter().map(|e| (e.path, e.message)).collect(),
    }
}

fn refused_property(definition: Value) -> Vec<(String, String)> {
    refused(json!({ "properties": { "p": definition } }))
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(p, m)| ((*p).to_owned(), (*m).to_owned()))
        .collect()
}

#[test]
fn malformed_property_definitions_are_refused_with_path_and_rule() {
    let cases: Vec<Case> = vec![
        (
            "unknown type",
            json!({"type": "text"}),
            vec![("propertySchema.p.type", "unknown type `text`; expected one of string, integer, number, boolean, uuid, json, object, array")],
        ),
        ("missing type", json!({}), vec![("propertySchema.p.type", "is required")]),
        ("type not a string", json!({"type": 3}), vec![("propertySchema.p.type", "must be a string")]),
        ("definition not an object", json!("string"), vec![("propertySchema.p", "must be an object")]),
        ("label not a string", json!({"type": "string", "label": 1}), vec![("propertySchema.p.label", "must be a string")]),
        ("required not a boolean", json!({"type": "string", "required": "yes"}), vec![("propertySchema.p.required", "must be a boolean")]),
        ("immutable not a boolean", json!({"type": "string", "immutable": 1}), vec![("propertySchema.p.immutable", "must be a boolean")]),
        (
            "object without properties",
            json!({"type": "object"}),
            vec![("propertySchema.p.properties", "is required for an object property (use type json for free-form objects)")],
        ),
        (
            "object with empty properties",
            json!({"type": "object", "properties": {}}),
            vec![("propertySchema.p.properties", "must declare at least one property")],
        ),
        ("array without items", json!({"type": "array"}), vec![("propertySchema.p.items", "is required for an array property")]),
        (
            "properties on a string",
            json!({"type": "string", "properties": {"a": {"type": "string"}}}),
            vec![("propertySchema.p.properties", "is only allowed on object properties")],
        ),
        (
            "items on an object",
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "items": {"type": "string"}}),
            vec![("propertySchema.p.items", "is only allowed on array properties")],
        ),
        (
            "bad nested property",
            json!({"type": "object", "properties": {"inner": {"type": "nope"}}}),
            vec![("propertySchema.p.inner.type", "unknown type `nope`; expected one of string, integer, number, boolean, uuid, json, object, array")],
        ),
        (
            "bad array item",
            json!({"type": "array", "items": {"type": "array", "items": {"type": "integer", "validators": [{"type": "minLength", "config": {"value": 1}}]}}}),
            vec![("propertySchema.p.items.items.validators[0]", "`minLength` does not apply to integer properties")],
        ),
        ("unknown secret type", json!({"type": "string", "secret": {"type": "forever"}}), vec![("propertySchema.p.secret.type", "must be persistent or ephemeral")]),
        ("secret without type", json!({"type": "string", "secret": {}}), vec![("propertySchema.p.secret.type", "is required")]),
        (
            "secret object",
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "secret": {"type": "persistent"}}),
            vec![("propertySchema.p.secret", "only primitive properties (string, integer, number, boolean, uuid, json) can be secret")],
        ),
        (
            "secret array items",
            json!({"type": "array", "items": {"type": "string", "secret": {"type": "ephemeral"}}}),
            vec![("propertySchema.p.items.secret", "array items cannot be secret")],
        ),
        ("unknown generator", json!({"type": "string", "generator": {"type": "random"}}), vec![("propertySchema.p.generator.type", "unknown generator `random`; expected pool")]),
        ("pool without poolType", json!({"type": "string", "generator": {"type": "pool"}}), vec![("propertySchema.p.generator.config.poolType", "is required")]),
        (
            "pool with empty poolType",
            json!({"type": "string", "generator": {"type": "pool", "config": {"poolType": ""}}}),
            vec![("propertySchema.p.generator.config.poolType", "must be a non-empty string")],
        ),
        (
            "default with generator",
            json!({"type": "string", "default": "x", "generator": {"type": "pool", "config": {"poolType": "ip"}}}),
            vec![("propertySchema.p.generator", "cannot be combined with a default")],
        ),
        (
            "default on array items",
            json!({"type": "array", "items": {"type": "string", "default": "x"}}),
            vec![("propertySchema.p.items.default", "array items cannot have a default")],
        ),
        (
            "generator on array items",
            json!({"type": "array", "items": {"type": "string", "generator": {"type": "pool", "config": {"poolType": "ip"}}}}),
            vec![("propertySchema.p.items.generator", "array items cannot have a generator")],
        ),
        (
            "authorizers on array items",
            json!({"type": "array", "items": {"type": "string", "authorizers": [{"type": "actor", "config": {"actors": ["user"]}}]}}),
            vec![("propertySchema.p.items.authorizers", "are not allowed on array items; put them on the array property")],
        ),
    ];
    for (name, definition, expected) in cases {
        assert_eq!(
            refused_property(definition),
            pairs(&expected),
            "case: {name}"
        );
    }
}

#[test]
fn broken_validators_are_refused_at_their_index() {
    let cases: Vec<Case> = vec![
        (
            "unknown validator",
            json!({"type": "string", "validators": [{"type": "email"}]}),
            vec![(
                "propertySchema.p.validators[0]",
                "unknown validator `email`",
            )],
        ),
        (
            "validator without type",
            json!({"type": "string", "validators": [{"config": {}}]}),
            vec![("propertySchema.p.validators[0].type", "is required")],
        ),
        (
            "validators not a list",
            json!({"type": "string", "validators": {"type": "minLength"}}),
            vec![("propertySchema.p.validators", "must be an array")],
        ),
        (
            "config not an object",
            json!({"type": "string", "validators": [{"type": "minLength", "config": 3}]}),
            vec![("propertySchema.p.validators[0].config", "must be an object")],
        ),
        (
            "minLength on integer",
            json!({"type": "integer", "validators": [{"type": "minLength", "config": {"value": 1}}]}),
            vec![(
                "propertySchema.p.validators[0]",
                "`minLength` does not apply to integer properties",
            )],
        ),
        (
            "min on string",
            json!({"type": "string", "validators": [{"type": "min", "config": {"value": 1}}]}),
            vec![(
                "propertySchema.p.validators[0]",
                "`min` does not apply to string properties",
            )],
        ),
        (
            "minItems on string",
            json!({"type": "string", "validators": [{"type": "minItems", "config": {"value": 1}}]}),
            vec![(
                "propertySchema.p.validators[0]",
                "`minItems` does not apply to string properties",
            )],
        ),
        (
            "enum on array",
            json!({"type": "array", "items": {"type": "string"}, "validators": [{"type": "enum", "config": {"values": [[]]}}]}),
            vec![(
                "propertySchema.p.validators[0]",
                "`enum` does not apply to array properties",
            )],
        ),
        (
            "serviceReference on integer",
            json!({"type": "integer", "validators": [{"type": "serviceReference"}]}),
            vec![(
                "propertySchema.p.validators[0]",
                "`serviceReference` does not apply to integer properties",
            )],
        ),
        (
            "negative minLength",
            json!({"type": "string", "validators": [{"type": "minLength", "config": {"value": -1}}]}),
            vec![(
                "propertySchema.p.validators[0].config.value",
                "must be a non-negative integer",
            )],
        ),
        (
            "fractional maxItems",
            json!({"type": "array", "items": {"type": "string"}, "validators": [{"type": "maxItems", "config": {"value": 1.5}}]}),
            vec![(
                "propertySchema.p.validators[0].config.value",
                "must be a non-negative integer",
            )],
        ),
        (
            "maxLength without value",
            json!({"type": "string", "validators": [{"type": "maxLength"}]}),
            vec![("propertySchema.p.validators[0].config.value", "is required")],
        ),
        (
            "min with a string",
            json!({"type": "number", "validators": [{"type": "min", "config": {"value": "1"}}]}),
            vec![(
                "propertySchema.p.validators[0].config.value",
                "must be a number",
            )],
        ),
        (
            "bad regex",
            json!({"type": "string", "validators": [{"type": "pattern", "config": {"pattern": "[a-"}}]}),
            vec![(
                "propertySchema.p.validators[0].config.pattern",
                "`[a-` is not a valid regular expression",
            )],
        ),
        (
            "pattern missing",
            json!({"type": "string", "validators": [{"type": "pattern", "config": {}}]}),
            vec![(
                "propertySchema.p.validators[0].config.pattern",
                "is required",
            )],
        ),
        (
            "empty enum",
            json!({"type": "string", "validators": [{"type": "enum", "config": {"values": []}}]}),
            vec![(
                "propertySchema.p.validators[0].config.values",
                "must not be empty",
            )],
        ),
        (
            "enum option of the wrong type",
            json!({"type": "integer", "validators": [{"type": "enum", "config": {"values": [1, "two", 2.5]}}]}),
            vec![
                (
                    "propertySchema.p.validators[0].config.values[1]",
                    "must be an integer",
                ),
                (
                    "propertySchema.p.validators[0].config.values[2]",
                    "must be an integer",
                ),
            ],
        ),
        (
            "null enum option",
            json!({"type": "json", "validators": [{"type": "enum", "config": {"values": [null]}}]}),
            vec![(
                "propertySchema.p.validators[0].config.values[0]",
                "must not be null",
            )],
        ),
        (
            "uniqueItems not boolean",
            json!({"type": "array", "items": {"type": "string"}, "validators": [{"type": "uniqueItems", "config": {"value": "yes"}}]}),
            vec![(
                "propertySchema.p.validators[0].config.value",
                "must be a boolean",
            )],
        ),
        (
            "min above max",
            json!({"type": "integer", "validators": [{"type": "min", "config": {"value": 10}}, {"type": "max", "config": {"value": 5}}]}),
            vec![(
                "propertySchema.p.validators[1]",
                "min 10 is greater than max 5",
            )],
        ),
        (
            "minLength above maxLength, max declared first",
            json!({"type": "string", "validators": [{"type": "maxLength", "config": {"value": 2}}, {"type": "minLength", "config": {"value": 3}}]}),
            vec![(
                "propertySchema.p.validators[1]",
                "minLength 3 is greater than maxLength 2",
            )],
        ),
        (
            "minItems above maxItems",
            json!({"type": "array", "items": {"type": "string"}, "validators": [{"type": "minItems", "config": {"value": 4}}, {"type": "maxItems", "config": {"value": 1}}]}),
            vec![(
                "propertySchema.p.validators[1]",
                "minItems 4 is greater than maxItems 1",
            )],
        ),
        (
            "duplicate validator",
            json!({"type": "integer", "validators": [{"type": "min", "config": {"value": 1}}, {"type": "min", "config": {"value": 2}}]}),
            vec![(
                "propertySchema.p.validators[1]",
                "duplicate `min` validator",
            )],
        ),
        (
            "serviceReference with empty types",
            json!({"type": "uuid", "validators": [{"type": "serviceReference", "config": {"types": []}}]}),
            vec![(
                "propertySchema.p.validators[0].config.types",
                "must not be empty",
            )],
        ),
        (
            "serviceReference with unknown origin",
            json!({"type": "uuid", "validators": [{"type": "serviceReference", "config": {"origin": "provider"}}]}),
            vec![(
                "propertySchema.p.validators[0].config.origin",
                "must be consumer or group",
            )],
        ),
        (
            "serviceOption without option type",
            json!({"type": "string", "validators": [{"type": "serviceOption", "config": {"value": ""}}]}),
            vec![(
                "propertySchema.p.validators[0].config.value",
                "must be a non-empty string (a service option type)",
            )],
        ),
    ];
    for (name, definition, expected) in cases {
        assert_eq!(
            refused_property(definition),
            pairs(&expected),
            "case: {name}"
        );
    }
}

#[test]
fn broken_authorizers_are_refused() {
    let cases: Vec<Case> = vec![
        (
            "unknown authorizer",
            json!([{"type": "role", "config": {}}]),
            vec![(
                "propertySchema.p.authorizers[0]",
                "unknown authorizer `role`; expected actor or state",
            )],
        ),
        (
            "unknown actor",
            json!([{"type": "actor", "config": {"actors": ["user", "robot"]}}]),
            vec![(
                "propertySchema.p.authorizers[0].config.actors[1]",
                "unknown actor `robot`; expected user, agent or system",
            )],
        ),
        (
            "no actors",
            json!([{"type": "actor", "config": {"actors": []}}]),
            vec![(
                "propertySchema.p.authorizers[0].config.actors",
                "must not be empty",
            )],
        ),
        (
            "actors missing",
            json!([{"type": "actor"}]),
            vec![(
                "propertySchema.p.authorizers[0].config.actors",
                "is required",
            )],
        ),
        (
            "allowed states not a list",
            json!([{"type": "state", "config": {"allowedStates": "Stopped"}}]),
            vec![(
                "propertySchema.p.authorizers[0].config.allowedStates",
                "must be an array",
            )],
        ),
        (
            "allowed state not a string",
            json!([{"type": "state", "config": {"allowedStates": ["Stopped", 3]}}]),
            vec![(
                "propertySchema.p.authorizers[0].config.allowedStates[1]",
                "must be a non-empty string",
            )],
        ),
    ];
    for (name, authorizers, expected) in cases {
        let definition = json!({"type": "string", "authorizers": authorizers});
        assert_eq!(
            refused_property(definition),
            pairs(&expected),
            "case: {name}"
        );
    }
}

#[test]
fn default_that_breaks_its_own_validator_is_refused() {
    let cases: Vec<Case> = vec![
        (
            "below min",
            json!({"type": "integer", "default": 0, "validators": [{"type": "min", "config": {"value": 1}}]}),
            vec![(
                "propertySchema.p.default",
                "default value must be at least 1",
            )],
        ),
        (
            "wrong type",
            json!({"type": "integer", "default": "two"}),
            vec![(
                "propertySchema.p.default",
                "default value must be an integer",
            )],
        ),
        (
            "not in enum",
            json!({"type": "string", "default": "xl", "validators": [{"type": "enum", "config": {"values": ["s", "m"]}}]}),
            vec![(
                "propertySchema.p.default",
                "default value must be one of [\"s\", \"m\"]",
            )],
        ),
        (
            "object default missing a required key",
            json!({"type": "object", "default": {}, "properties": {"owner": {"type": "string", "required": true}}}),
            vec![(
                "propertySchema.p.default",
                "default value at owner: is required",
            )],
        ),
        (
            "object default with an undeclared key",
            json!({"type": "object", "default": {"x": 1}, "properties": {"owner": {"type": "string"}}}),
            vec![(
                "propertySchema.p.default",
                "default value at x: unknown property",
            )],
        ),
        (
            "array default with a bad item",
            json!({"type": "array", "default": [1, 99], "items": {"type": "integer", "validators": [{"type": "max", "config": {"value": 10}}]}}),
            vec![(
                "propertySchema.p.default",
                "default value at [1]: must be at most 10",
            )],
        ),
        (
            "secret default given as a vault reference",
            json!({"type": "string", "default": "vault://abc", "secret": {"type": "persistent"}}),
            vec![(
                "propertySchema.p.default",
                "default value must be the secret value itself, not a vault reference",
            )],
        ),
    ];
    for (name, definition, expected) in cases {
        assert_eq!(
            refused_property(definition),
            pairs(&expected),
            "case: {name}"
        );
    }
}

#[test]
fn document_level_problems_are_refused() {
    let cases: Vec<Case> = vec![
        (
            "not an object",
            json!([]),
            vec![("propertySchema", "must be an object")],
        ),
        (
            "no properties",
            json!({}),
            vec![("propertySchema.properties", "is required")],
        ),
        (
            "properties not an object",
            json!({"properties": []}),
            vec![("propertySchema.properties", "must be an object")],
        ),
        (
            "no property declared",
            json!({"properties": {}}),
            vec![(
                "propertySchema.properties",
                "must declare at least one property",
            )],
        ),
        (
            "empty property name",
            json!({"properties": {"": {"type": "string"}}}),
            vec![(
                "propertySchema.properties",
                "property names must not be empty",
            )],
        ),
        (
            "unknown schema validator",
            json!({"properties": {"a": {"type": "string"}}, "validators": [{"type": "atLeastOne"}]}),
            vec![(
                "propertySchema.validators[0]",
                "unknown schema validator `atLeastOne`",
            )],
        ),
        (
            "exactlyOne naming one property",
            json!({"properties": {"a": {"type": "string"}}, "validators": [{"type": "exactlyOne", "config": {"properties": ["a"]}}]}),
            vec![(
                "propertySchema.validators[0].config.properties",
                "must name at least two properties",
            )],
        ),
        (
            "exactlyOne naming an undeclared property",
            json!({"properties": {"a": {"type": "string"}}, "validators": [{"type": "exactlyOne", "config": {"properties": ["a", "b"]}}]}),
            vec![(
                "propertySchema.validators[0].config.properties[1]",
                "unknown property `b`",
            )],
        ),
    ];
    for (name, document, expected) in cases {
        assert_eq!(refused(document), pairs(&expected), "case: {name}");
    }
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let errors = refused(json!({"properties": {
        "a": {"type": "integer", "validators": [{"type": "pattern", "config": {"pattern": "x"}}]},
        "b": {"type": "strin"},
        "c": {"type": "string", "secret": {"type": "temp"}, "required": 1}
    }}));
    let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "propertySchema.a.validators[0]",
            "propertySchema.b.type",
            "propertySchema.c.required",
            "propertySchema.c.secret.type",
        ]
    );
}

#[test]
fn configuration_schema_has_no_authorizers_or_lookups() {
    let errors = PropertySchema::parse_configuration(&json!({
        "properties": {
            "a": {"type": "string", "authorizers": [{"type": "actor", "config": {"actors": ["user"]}}]},
            "b": {"type": "uuid", "validators": [{"type": "serviceReference"}]},
            "c": {"type": "string", "validators": [{"type": "serviceOption", "config": {"value": "os"}}]}
        },
        "validators": [{"type": "uniqueValues", "config": {"properties": ["a", "c"]}}]
    }))
    .expect_err("configuration schema must be refused");
    assert_eq!(
        errors,
        vec![
            PropertyError::new(
                "configurationSchema.a.authorizers",
                "are not supported in configurationSchema"
            ),
            PropertyError::new(
                "configurationSchema.b.validators[0]",
                "validator `serviceReference` is not available in configurationSchema"
            ),
            PropertyError::new(
                "configurationSchema.c.validators[0]",
                "validator `serviceOption` is not available in configurationSchema"
            ),
            PropertyError::new(
                "configurationSchema.validators[0]",
                "unknown schema validator `uniqueValues`"
            ),
        ]
    );
}

#[test]
fn configuration_schema_accepts_the_shared_format() {
    let schema = PropertySchema::parse_configuration(&json!({
        "properties": {
            "endpoint": {"type": "string", "required": true, "validators": [{"type": "pattern", "config": {"pattern": "^https://"}}]},
            "subnet": {"type": "string", "generator": {"type": "pool", "config": {"poolType": "subnet"}}},
            "token": {"type": "string", "secret": {"type": "persistent"}}
        },
        "validators": [{"type": "exactlyOne", "config": {"properties": ["endpoint", "subnet"]}}]
    }))
    .expect("valid configuration schema");
    assert_eq!(schema.kind(), SchemaKind::AgentConfiguration);
}

#[test]
fn generated_paths_lists_every_property_a_pool_fills() {
    let pool = |pool_type: &str| json!({"type": "pool", "config": {"poolType": pool_type}});
    let schema = PropertySchema::parse_configuration(&json!({
        "properties": {
            "region": {"type": "string"},
            "publicIp": {"type": "string", "generator": pool("public_ip")},
            "network": {"type": "object", "properties": {
                "vlan": {"type": "integer", "generator": pool("vlan")},
                "mtu": {"type": "integer"}
            }},
            "disks": {"type": "array", "items": {"type": "string"}}
        }
    }))
    .expect("valid configuration schema");
    let paths: Vec<String> = schema
        .generated_paths()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(paths, ["network.vlan", "publicIp"]);
    let plain =
        PropertySchema::parse_configuration(&json!({"properties": {"region": {"type": "string"}}}))
            .expect("valid configuration schema");
    assert!(plain.generated_paths().is_empty());
}

#[test]
fn valid_schema_is_typed() {
    let schema = PropertySchema::example_vm();
    let cpu = schema.property("cpu").expect("cpu declared");
    assert_eq!(cpu.property_type(), PropertyType::Integer);
    assert!(cpu.is_required());
    assert!(matches!(cpu.validators(), [Validator::Enum(values)] if values.len() == 5));
    let password = schema
        .property("rootPassword")
        .expect("rootPassword declared");
    assert_eq!(password.secret(), Some(SecretKind::Persistent));
    assert_eq!(
        schema.property("diskSize").and_then(|d| d.default_value()),
        Some(&json!(20))
    );
}

#[test]
fn whole_number_default_is_stored_as_integer() {
    let schema =
        PropertySchema::parse(&json!({"properties": {"n": {"type": "integer", "default": 3.0}}}))
            .expect("valid schema");
    assert_eq!(
        schema.property("n").and_then(|d| d.default_value()),
        Some(&json!(3))
    );
}

#[test]
fn schema_round_trips_through_json() {
    let documents = [
        serde_json::from_str::<Value>(EXAMPLE_VM_PROPERTY_SCHEMA).expect("example is JSON"),
        json!({
            "properties": {
                "ports": {"type": "array", "label": "Ports", "items": {"type": "integer", "validators": [{"type": "min", "config": {"value": 1}}]},
                          "validators": [{"type": "uniqueItems", "config": {"value": true}}, {"type": "maxItems", "config": {"value": 4}}]},
                "meta": {"type": "object", "properties": {"owner": {"type": "string", "required": true}, "tier": {"type": "number", "default": 1.5}}},
                "disk": {"type": "uuid", "validators": [{"type": "serviceReference", "config": {"types": ["disk"], "origin": "group"}}]},
                "os": {"type": "json", "validators": [{"type": "serviceOption", "config": {"value": "os"}}]},
                "ip": {"type": "string", "immutable": true, "authorizers": [{"type": "actor", "config": {"actors": ["system"]}}],
                       "generator": {"type": "pool", "config": {"poolType": "public_ip", "extra": 1}}}
            },
            "validators": [{"type": "uniqueValues", "config": {"properties": ["os", "ip"]}}]
        }),
    ];
    for document in documents {
        let schema = PropertySchema::parse(&document).expect("valid schema");
        let again = PropertySchema::parse(&schema.to_json()).expect("serialized schema parses");
        assert_eq!(again, schema);
        assert_eq!(again.to_json(), schema.to_json());
        let via_serde: PropertySchema =
            serde_json::from_value(serde_json::to_value(&schema).expect("serializes"))
                .expect("deserializes");
        assert_eq!(via_serde, schema);
    }
}

#[test]
fn serialized_schema_uses_the_reference_layout() {
    let schema = PropertySchema::parse(&json!({"properties": {"n": {"type": "integer", "validators": [{"type": "min", "config": {"value": 1}}]}}}))
        .expect("valid schema");
    assert_eq!(
        schema.to_json(),
        json!({"properties": {"n": {
            "type": "integer", "label": "", "required": false, "immutable": false,
            "validators": [{"type": "min", "config": {"value": 1}}]
        }}})
    );
}

#[test]
fn deserializing_an_invalid_schema_reports_every_error() {
    let error = serde_json::from_value::<PropertySchema>(
        json!({"properties": {"a": {}, "b": {"type": "x"}}}),
    )
    .expect_err("invalid schema");
    let text = error.to_string();
    assert!(
        text.contains("propertySchema.a.type: is required"),
        "{text}"
    );
    assert!(
        text.contains("propertySchema.b.type: unknown type `x`"),
        "{text}"
    );
}

#[test]
fn absurdly_deep_schema_is_refused_not_overflowed() {
    let mut definition = json!({"type": "string"});
    for _ in 0..200 {
        definition = json!({"type": "array", "items": definition});
    }
    let errors = refused(json!({"properties": {"deep": definition}}));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].1.starts_with("is nested too deeply"),
        "{errors:?}"
    );
}

#[test]
fn state_authorizers_naming_states_outside_the_lifecycle_are_reported() {
    use federa_domain::lifecycle::LifecycleSchema;

    let lifecycle = LifecycleSchema::example_vm();
    assert!(PropertySchema::example_vm()
        .unknown_states(|s| lifecycle.has_state(s))
        .is_empty());

    let schema = PropertySchema::parse(&json!({"properties": {
        "cpu": {"type": "integer", "authorizers": [
            {"type": "actor", "config": {"actors": ["user"]}},
            {"type": "state", "config": {"allowedStates": ["Stopped", "Paused"]}}
        ]},
        "disks": {"type": "array", "items": {"type": "object", "properties": {
            "size": {"type": "integer", "authorizers": [{"type": "state", "config": {"allowedStates": ["Off"]}}]}
        }}}
    }}))
    .expect("valid schema");
    assert_eq!(
        schema.unknown_states(|s| lifecycle.has_state(s)),
        vec![
            PropertyError::new(
                "propertySchema.cpu.authorizers[1].config.allowedStates[1]",
                "unknown state `Paused`"
            ),
            PropertyError::new(
                "propertySchema.disks.items.size.authorizers[0].config.allowedStates[0]",
                "unknown state `Off`"
            ),
        ]
    );
}

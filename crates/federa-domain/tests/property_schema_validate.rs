//! Validating property documents: types, validators, defaults, authorizers,
//! immutability, secrets, generators, nesting and the external checks.

use federa_domain::property_schema::{
    Actor, GeneratorKind, PropertyError, PropertyPath, PropertySchema, PropertyType,
    ReferenceFailure, ReferenceOrigin, ReferenceTarget, SecretKind, Validated, ValidationContext,
    EXAMPLE_VM_PROPERTIES,
};
use serde_json::{json, Map, Value};
use uuid::Uuid;

fn schema(properties: Value) -> PropertySchema {
    PropertySchema::parse(&json!({ "properties": properties }))
        .unwrap_or_else(|errors| panic!("schema refused: {errors:?}"))
}

fn map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn create(
    schema: &PropertySchema,
    actor: Actor,
    input: Value,
) -> Result<Validated, Vec<PropertyError>> {
    schema.validate(&map(input), &ValidationContext::create(actor))
}

fn update(
    schema: &PropertySchema,
    actor: Actor,
    current: Value,
    status: &str,
    input: Value,
) -> Result<Validated, Vec<PropertyError>> {
    let current = map(current);
    schema.validate(
        &map(input),
        &ValidationContext::update(actor, &current, status),
    )
}

fn errors(result: Result<Validated, Vec<PropertyError>>) -> Vec<(String, String)> {
    match result {
        Ok(validated) => panic!("accepted: {:?}", validated.properties),
        Err(errors) => errors.into_iter().map(|e| (e.path, e.message)).collect(),
    }
}

fn accepted(result: Result<Validated, Vec<PropertyError>>) -> Validated {
    result.unwrap_or_else(|errors| panic!("refused: {errors:?}"))
}

fn one(path: &str, message: &str) -> Vec<(String, String)> {
    vec![(path.to_owned(), message.to_owned())]
}

#[test]
fn each_type_accepts_its_values_and_refuses_others() {
    let uuid = "550e8400-e29b-41d4-a716-446655440000";
    let cases: Vec<(&str, Value, Value, Option<&str>)> = vec![
        ("string", json!("x"), json!("x"), None),
        ("string", json!(1), json!(null), Some("must be a string")),
        ("integer", json!(4), json!(4), None),
        ("integer", json!(2.0), json!(2), None),
        ("integer", json!(-3), json!(-3), None),
        (
            "integer",
            json!(2.5),
            json!(null),
            Some("must be an integer"),
        ),
        (
            "integer",
            json!("2"),
            json!(null),
            Some("must be an integer"),
        ),
        ("number", json!(2.5), json!(2.5), None),
        ("number", json!(2), json!(2), None),
        ("number", json!(true), json!(null), Some("must be a number")),
        ("boolean", json!(false), json!(false), None),
        (
            "boolean",
            json!("true"),
            json!(null),
            Some("must be a boolean"),
        ),
        ("uuid", json!(uuid), json!(uuid), None),
        (
            "uuid",
            json!("not-a-uuid"),
            json!(null),
            Some("must be a valid UUID"),
        ),
        ("uuid", json!(12), json!(null), Some("must be a valid UUID")),
        (
            "json",
            json!({"any": [1, "two"]}),
            json!({"any": [1, "two"]}),
            None,
        ),
        ("json", json!("text"), json!("text"), None),
    ];
    for (type_name, input, stored, failure) in cases {
        let schema = schema(json!({ "v": { "type": type_name } }));
        let result = create(&schema, Actor::User, json!({ "v": input }));
        match failure {
            None => assert_eq!(
                accepted(result).properties,
                map(json!({ "v": stored })),
                "{type_name} {input}"
            ),
            Some(message) => assert_eq!(errors(result), one("v", message), "{type_name} {input}"),
        }
    }
}

#[test]
fn each_validator_reports_its_rule() {
    let cases: Vec<(Value, Value, Option<&str>)> = vec![
        (
            json!({"type": "string", "validators": [{"type": "minLength", "config": {"value": 3}}]}),
            json!("ab"),
            Some("must be at least 3 characters"),
        ),
        (
            json!({"type": "string", "validators": [{"type": "minLength", "config": {"value": 1}}]}),
            json!(""),
            Some("must be at least 1 character"),
        ),
        (
            json!({"type": "string", "validators": [{"type": "minLength", "config": {"value": 3}}]}),
            json!("äöü"),
            None,
        ),
        (
            json!({"type": "string", "validators": [{"type": "maxLength", "config": {"value": 2}}]}),
            json!("abc"),
            Some("must be at most 2 characters"),
        ),
        (
            json!({"type": "string", "validators": [{"type": "pattern", "config": {"pattern": "^[a-z]+$"}}]}),
            json!("Abc"),
            Some("must match pattern ^[a-z]+$"),
        ),
        (
            json!({"type": "string", "validators": [{"type": "pattern", "config": {"pattern": "b"}}]}),
            json!("abc"),
            None,
        ),
        (
            json!({"type": "integer", "validators": [{"type": "enum", "config": {"values": [1, 2, 4]}}]}),
            json!(3),
            Some("must be one of [1, 2, 4]"),
        ),
        (
            json!({"type": "integer", "validators": [{"type": "enum", "config": {"values": [1, 2, 4]}}]}),
            json!(4.0),
            None,
        ),
        (
            json!({"type": "string", "validators": [{"type": "enum", "config": {"values": ["dev", "prod"]}}]}),
            json!("qa"),
            Some("must be one of [\"dev\", \"prod\"]"),
        ),
        (
            json!({"type": "json", "validators": [{"type": "enum", "config": {"values": [{"a": 1}]}}]}),
            json!({"a": 1.0}),
            None,
        ),
        (
            json!({"type": "integer", "validators": [{"type": "min", "config": {"value": 1}}]}),
            json!(0),
            Some("must be at least 1"),
        ),
        (
            json!({"type": "number", "validators": [{"type": "min", "config": {"value": 0.5}}]}),
            json!(0.25),
            Some("must be at least 0.5"),
        ),
        (
            json!({"type": "integer", "validators": [{"type": "max", "config": {"value": 10}}]}),
            json!(11),
            Some("must be at most 10"),
        ),
        (
            json!({"type": "integer", "validators": [{"type": "max", "config": {"value": 10}}]}),
            json!(10),
            None,
        ),
        (
            json!({"type": "array", "items": {"type": "string"}, "validators": [{"type": "minItems", "config": {"value": 2}}]}),
            json!(["a"]),
            Some("must contain at least 2 items"),
        ),
        (
            json!({"type": "array", "items": {"type": "string"}, "validators": [{"type": "maxItems", "config": {"value": 1}}]}),
            json!(["a", "b"]),
            Some("must contain at most 1 item"),
        ),
        (
            json!({"type": "array", "items": {"type": "integer"}, "validators": [{"type": "uniqueItems", "config": {"value": true}}]}),
            json!([1, 2, 1.0]),
            Some("must not contain duplicate items"),
        ),
        (
            json!({"type": "array", "items": {"type": "integer"}, "validators": [{"type": "uniqueItems", "config": {"value": false}}]}),
            json!([1, 1]),
            None,
        ),
        (
            json!({"type": "string", "validators": [{"type": "serviceReference"}]}),
            json!("nope"),
            Some("must be a valid UUID"),
        ),
    ];
    for (definition, input, failure) in cases {
        let schema = schema(json!({ "v": definition }));
        let result = create(&schema, Actor::User, json!({ "v": input }));
        match failure {
            None => {
                accepted(result);
            }
            Some(message) => assert_eq!(
                errors(result),
                one("v", message),
                "{definition} with {input}"
            ),
        }
    }
}

#[test]
fn every_failing_rule_and_path_is_reported_together() {
    let schema = schema(json!({
        "name": {"type": "string", "required": true},
        "size": {"type": "integer", "validators": [{"type": "min", "config": {"value": 10}}]},
        "slug": {"type": "string", "validators": [
            {"type": "minLength", "config": {"value": 5}},
            {"type": "pattern", "config": {"pattern": "^[a-z]+$"}}
        ]}
    }));
    assert_eq!(
        errors(create(
            &schema,
            Actor::User,
            json!({"size": 2, "slug": "A1"})
        )),
        vec![
            ("name".to_owned(), "is required".to_owned()),
            ("size".to_owned(), "must be at least 10".to_owned()),
            (
                "slug".to_owned(),
                "must be at least 5 characters".to_owned()
            ),
            ("slug".to_owned(), "must match pattern ^[a-z]+$".to_owned()),
        ]
    );
}

#[test]
fn null_counts_as_absent() {
    let schema =
        schema(json!({"name": {"type": "string", "required": true}, "note": {"type": "string"}}));
    assert_eq!(
        errors(create(&schema, Actor::User, json!({"name": null}))),
        one("name", "is required")
    );
    let validated = accepted(create(
        &schema,
        Actor::User,
        json!({"name": "a", "note": null}),
    ));
    assert_eq!(validated.properties, map(json!({"name": "a"})));
}

#[test]
fn defaults_fill_absent_properties_at_every_level() {
    let schema = schema(json!({
        "size": {"type": "integer", "default": 20},
        "tier": {"type": "string", "default": "basic"},
        "net": {"type": "object", "default": {}, "properties": {
            "mtu": {"type": "integer", "default": 1500},
            "name": {"type": "string"}
        }}
    }));
    let validated = accepted(create(
        &schema,
        Actor::User,
        json!({"tier": "gold", "net": {"name": "lan"}}),
    ));
    assert_eq!(
        validated.properties,
        map(json!({"size": 20, "tier": "gold", "net": {"mtu": 1500, "name": "lan"}}))
    );
    let empty = accepted(create(&schema, Actor::User, json!({})));
    assert_eq!(
        empty.properties,
        map(json!({"size": 20, "tier": "basic", "net": {"mtu": 1500}}))
    );
}

#[test]
fn defaults_also_fill_properties_missing_from_stored_documents() {
    let schema = schema(json!({"a": {"type": "string"}, "b": {"type": "integer", "default": 1}}));
    let validated = accepted(update(
        &schema,
        Actor::User,
        json!({"a": "x"}),
        "Stopped",
        json!({}),
    ));
    assert_eq!(validated.properties, map(json!({"a": "x", "b": 1})));
}

#[test]
fn update_merges_partial_input_over_current_properties() {
    let schema = schema(json!({
        "name": {"type": "string", "required": true},
        "cpu": {"type": "integer"},
        "tags": {"type": "object", "properties": {"env": {"type": "string"}, "owner": {"type": "string"}}},
        "ports": {"type": "array", "items": {"type": "integer"}}
    }));
    let validated = accepted(update(
        &schema,
        Actor::User,
        json!({"name": "vm", "cpu": 2, "tags": {"env": "dev", "owner": "ann"}, "ports": [22, 80]}),
        "Stopped",
        json!({"cpu": 4, "tags": {"owner": "bob"}, "ports": [443]}),
    ));
    assert_eq!(
        validated.properties,
        map(
            json!({"name": "vm", "cpu": 4, "tags": {"env": "dev", "owner": "bob"}, "ports": [443]})
        )
    );
}

#[test]
fn update_revalidates_the_merged_result() {
    let schema = schema(json!({
        "a": {"type": "integer", "validators": [{"type": "max", "config": {"value": 5}}]},
        "b": {"type": "integer", "required": true}
    }));
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            json!({"a": 9}),
            "Stopped",
            json!({"b": 1})
        )),
        one("a", "must be at most 5")
    );
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            json!({"a": 1}),
            "Stopped",
            json!({"a": 2})
        )),
        one("b", "is required")
    );
}

#[test]
fn changing_an_immutable_property_is_refused_but_resending_it_is_fine() {
    let schema = schema(json!({
        "name": {"type": "string", "immutable": true},
        "spec": {"type": "object", "immutable": true, "properties": {"size": {"type": "integer"}}}
    }));
    let current = json!({"name": "vm", "spec": {"size": 1}});
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            current.clone(),
            "Stopped",
            json!({"name": "other"})
        )),
        one("name", "is immutable and cannot be changed")
    );
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            current.clone(),
            "Stopped",
            json!({"spec": {"size": 2}})
        )),
        one("spec", "is immutable and cannot be changed")
    );
    accepted(update(
        &schema,
        Actor::User,
        current.clone(),
        "Stopped",
        json!({"name": "vm", "spec": {"size": 1.0}}),
    ));
    // Setting an immutable property that was never set is not a change of it.
    accepted(update(
        &schema,
        Actor::User,
        json!({}),
        "Stopped",
        json!({"name": "late"}),
    ));
    accepted(create(&schema, Actor::User, json!({"name": "vm"})));
}

#[test]
fn actor_authorizer_limits_who_may_write() {
    let schema = schema(json!({
        "ip": {"type": "string", "authorizers": [{"type": "actor", "config": {"actors": ["agent"]}}]},
        "host": {"type": "string", "authorizers": [{"type": "actor", "config": {"actors": ["user", "agent"]}}]},
        "free": {"type": "string"}
    }));
    assert_eq!(
        errors(create(&schema, Actor::User, json!({"ip": "10.0.0.1"}))),
        one("ip", "may not be set by user")
    );
    assert_eq!(
        errors(create(&schema, Actor::System, json!({"host": "h"}))),
        one("host", "may not be set by system")
    );
    accepted(create(
        &schema,
        Actor::Agent,
        json!({"ip": "10.0.0.1", "host": "h"}),
    ));
    for actor in [Actor::User, Actor::Agent, Actor::System] {
        accepted(create(&schema, actor, json!({"free": "anyone"})));
    }
    // A user sending the agent's value back unchanged is not writing it.
    accepted(update(
        &schema,
        Actor::User,
        json!({"ip": "10.0.0.1"}),
        "Started",
        json!({"ip": "10.0.0.1", "free": "x"}),
    ));
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            json!({"ip": "10.0.0.1"}),
            "Started",
            json!({"ip": "10.0.0.2"})
        )),
        one("ip", "may not be set by user")
    );
}

#[test]
fn state_authorizer_limits_when_updates_happen() {
    let schema = schema(json!({
        "cpu": {"type": "integer", "authorizers": [{"type": "state", "config": {"allowedStates": ["Stopped"]}}]}
    }));
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            json!({"cpu": 1}),
            "Started",
            json!({"cpu": 2})
        )),
        one("cpu", "cannot be updated in state Started")
    );
    accepted(update(
        &schema,
        Actor::User,
        json!({"cpu": 1}),
        "Stopped",
        json!({"cpu": 2}),
    ));
    accepted(update(
        &schema,
        Actor::User,
        json!({"cpu": 1}),
        "Started",
        json!({"cpu": 1}),
    ));
    // Creation has no state yet, so the rule does not apply.
    accepted(create(&schema, Actor::User, json!({"cpu": 2})));
}

#[test]
fn all_authorizers_must_pass() {
    let schema = schema(json!({
        "size": {"type": "integer", "authorizers": [
            {"type": "actor", "config": {"actors": ["agent"]}},
            {"type": "state", "config": {"allowedStates": ["Stopped"]}}
        ]}
    }));
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            json!({}),
            "Started",
            json!({"size": 1})
        )),
        vec![
            ("size".to_owned(), "may not be set by user".to_owned()),
            (
                "size".to_owned(),
                "cannot be updated in state Started".to_owned()
            ),
        ]
    );
    assert_eq!(
        errors(update(
            &schema,
            Actor::Agent,
            json!({}),
            "Started",
            json!({"size": 1})
        )),
        one("size", "cannot be updated in state Started")
    );
    accepted(update(
        &schema,
        Actor::Agent,
        json!({}),
        "Stopped",
        json!({"size": 1}),
    ));
}

#[test]
fn secrets_are_reported_for_the_vault_and_stay_plain_in_the_result() {
    let schema = schema(json!({
        "apiKey": {"type": "string", "secret": {"type": "persistent"}},
        "setup": {"type": "string", "secret": {"type": "ephemeral"}},
        "users": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"},
            "password": {"type": "string", "secret": {"type": "ephemeral"}}
        }}}
    }));
    let validated = accepted(create(
        &schema,
        Actor::User,
        json!({"apiKey": "k-123", "setup": "s", "users": [{"name": "root", "password": "pw"}]}),
    ));
    let found: Vec<(String, SecretKind, Value)> = validated
        .secrets
        .iter()
        .map(|s| (s.path.to_string(), s.kind, s.value.clone()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("apiKey".to_owned(), SecretKind::Persistent, json!("k-123")),
            ("setup".to_owned(), SecretKind::Ephemeral, json!("s")),
            (
                "users[0].password".to_owned(),
                SecretKind::Ephemeral,
                json!("pw")
            ),
        ]
    );
    assert_eq!(validated.properties["apiKey"], json!("k-123"));
    let debug = format!("{:?}", validated.secrets);
    assert!(
        !debug.contains("k-123"),
        "secret leaked into Debug: {debug}"
    );
}

#[test]
fn stored_vault_references_are_kept_and_rotations_are_reported() {
    let schema = schema(json!({
        "apiKey": {"type": "string", "secret": {"type": "persistent"}, "validators": [{"type": "minLength", "config": {"value": 10}}]},
        "other": {"type": "string"}
    }));
    let current = json!({"apiKey": "vault://ref-1", "other": "a"});
    let kept = accepted(update(
        &schema,
        Actor::User,
        current.clone(),
        "Stopped",
        json!({"other": "b"}),
    ));
    assert!(kept.secrets.is_empty());
    assert_eq!(kept.properties["apiKey"], json!("vault://ref-1"));
    let echoed = accepted(update(
        &schema,
        Actor::User,
        current.clone(),
        "Stopped",
        json!({"apiKey": "vault://ref-1"}),
    ));
    assert!(echoed.secrets.is_empty());

    let rotated = accepted(update(
        &schema,
        Actor::User,
        current.clone(),
        "Stopped",
        json!({"apiKey": "new-secret-value"}),
    ));
    assert_eq!(rotated.secrets.len(), 1);
    assert_eq!(rotated.secrets[0].replaces.as_deref(), Some("ref-1"));
    assert_eq!(rotated.secrets[0].value, json!("new-secret-value"));

    let mut rotated = rotated;
    let path = rotated.secrets[0].path.clone();
    assert!(rotated.set(&path, json!("vault://ref-2")));
    assert_eq!(rotated.properties["apiKey"], json!("vault://ref-2"));
}

#[test]
fn a_foreign_vault_reference_is_refused() {
    let schema = schema(json!({"apiKey": {"type": "string", "secret": {"type": "persistent"}}}));
    assert_eq!(
        errors(create(
            &schema,
            Actor::User,
            json!({"apiKey": "vault://someone-elses"})
        )),
        one(
            "apiKey",
            "must be the secret value itself, not a vault reference"
        )
    );
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            json!({"apiKey": "vault://mine"}),
            "Stopped",
            json!({"apiKey": "vault://theirs"})
        )),
        one(
            "apiKey",
            "must be the secret value itself, not a vault reference"
        )
    );
}

#[test]
fn secret_values_never_appear_in_error_messages() {
    let schema = schema(
        json!({"pin": {"type": "string", "secret": {"type": "ephemeral"}, "validators": [
            {"type": "pattern", "config": {"pattern": "^[0-9]{4}$"}},
            {"type": "enum", "config": {"values": ["0000"]}}
        ]}}),
    );
    let found = errors(create(&schema, Actor::User, json!({"pin": "hunter2"})));
    assert!(
        found
            .iter()
            .all(|(_, message)| !message.contains("hunter2")),
        "{found:?}"
    );
}

#[test]
fn stored_secrets_are_found_for_cleanup() {
    let schema = schema(json!({
        "apiKey": {"type": "string", "secret": {"type": "persistent"}},
        "db": {"type": "object", "properties": {"password": {"type": "string", "secret": {"type": "ephemeral"}}}}
    }));
    let stored = map(json!({"apiKey": "vault://a", "db": {"password": "vault://b"}}));
    let found: Vec<(String, SecretKind, Option<&str>)> = schema
        .stored_secrets(&stored)
        .into_iter()
        .map(|s| (s.path.to_string(), s.kind, s.reference))
        .collect();
    assert_eq!(
        found,
        vec![
            ("apiKey".to_owned(), SecretKind::Persistent, Some("a")),
            ("db.password".to_owned(), SecretKind::Ephemeral, Some("b")),
        ]
    );
}

#[test]
fn absent_generated_properties_are_requested_from_the_caller() {
    let schema = schema(json!({
        "publicIp": {"type": "string", "immutable": true,
            "authorizers": [{"type": "actor", "config": {"actors": ["system"]}}],
            "generator": {"type": "pool", "config": {"poolType": "public_ip"}}},
        "name": {"type": "string"}
    }));
    let mut validated = accepted(create(&schema, Actor::User, json!({"name": "vm"})));
    assert_eq!(validated.generators.len(), 1);
    let request = validated.generators[0].clone();
    assert_eq!(request.path.to_string(), "publicIp");
    assert_eq!(request.property_type, PropertyType::String);
    assert_eq!(
        request.generator.kind,
        GeneratorKind::Pool {
            pool_type: "public_ip".to_owned()
        }
    );
    assert_eq!(
        request.generator.config,
        map(json!({"poolType": "public_ip"}))
    );
    assert!(!validated.properties.contains_key("publicIp"));

    assert_eq!(
        schema.check_generated(&request, &json!(7)),
        Err(vec![PropertyError::new("publicIp", "must be a string")])
    );
    let value = schema
        .check_generated(&request, &json!("185.1.2.3"))
        .expect("valid generated value");
    assert!(validated.set(&request.path, value));
    assert_eq!(validated.properties["publicIp"], json!("185.1.2.3"));

    // Already allocated: nothing to generate on update.
    let later = accepted(update(
        &schema,
        Actor::User,
        json!({"publicIp": "185.1.2.3"}),
        "Started",
        json!({"name": "x"}),
    ));
    assert!(later.generators.is_empty());
    // Users cannot pick the value themselves.
    assert_eq!(
        errors(create(&schema, Actor::User, json!({"publicIp": "1.1.1.1"}))),
        one("publicIp", "may not be set by user")
    );
}

#[test]
fn required_generated_property_is_not_reported_missing() {
    let schema = schema(json!({
        "ip": {"type": "string", "required": true, "generator": {"type": "pool", "config": {"poolType": "ip"}}}
    }));
    let validated = accepted(create(&schema, Actor::User, json!({})));
    assert_eq!(validated.generators.len(), 1);
}

#[test]
fn nested_errors_name_the_full_path() {
    let schema = schema(json!({
        "db": {"type": "object", "required": true, "properties": {
            "host": {"type": "string", "required": true},
            "port": {"type": "integer", "validators": [{"type": "max", "config": {"value": 65535}}]},
            "replicas": {"type": "array", "items": {"type": "object", "properties": {
                "zone": {"type": "string", "validators": [{"type": "enum", "config": {"values": ["a", "b"]}}]}
            }}}
        }},
        "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}
    }));
    assert_eq!(
        errors(create(
            &schema,
            Actor::User,
            json!({"db": {"port": 70000, "replicas": [{"zone": "a"}, {"zone": "c"}]}, "matrix": [[1], [2, "x"], 3]})
        )),
        vec![
            ("db.host".to_owned(), "is required".to_owned()),
            ("db.port".to_owned(), "must be at most 65535".to_owned()),
            (
                "db.replicas[1].zone".to_owned(),
                "must be one of [\"a\", \"b\"]".to_owned()
            ),
            ("matrix[1][1]".to_owned(), "must be an integer".to_owned()),
            ("matrix[2]".to_owned(), "must be an array".to_owned()),
        ]
    );
    assert_eq!(
        errors(create(&schema, Actor::User, json!({"db": "localhost"}))),
        one("db", "must be an object")
    );
    assert_eq!(
        errors(create(
            &schema,
            Actor::User,
            json!({"db": {"host": "h"}, "matrix": [null]})
        )),
        one("matrix[0]", "must not be null")
    );
}

#[test]
fn nested_authorizers_and_immutability_apply_inside_objects() {
    let schema = schema(json!({
        "vm": {"type": "object", "properties": {
            "id": {"type": "string", "immutable": true, "authorizers": [{"type": "actor", "config": {"actors": ["agent"]}}]},
            "size": {"type": "integer"}
        }}
    }));
    let current = json!({"vm": {"id": "i-1", "size": 1}});
    accepted(update(
        &schema,
        Actor::User,
        current.clone(),
        "Started",
        json!({"vm": {"size": 2}}),
    ));
    assert_eq!(
        errors(update(
            &schema,
            Actor::Agent,
            current.clone(),
            "Started",
            json!({"vm": {"id": "i-2"}})
        )),
        one("vm.id", "is immutable and cannot be changed")
    );
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            json!({}),
            "Started",
            json!({"vm": {"id": "i-9"}})
        )),
        one("vm.id", "may not be set by user")
    );
}

#[test]
fn undeclared_properties_are_dropped_like_fulcrum_core_or_rejected_on_request() {
    let schema = schema(
        json!({"name": {"type": "string"}, "meta": {"type": "object", "properties": {"a": {"type": "string"}}}}),
    );
    let input = json!({"name": "x", "color": "red", "meta": {"a": "1", "b": "2"}});
    let validated = accepted(create(&schema, Actor::User, input.clone()));
    assert_eq!(
        validated.properties,
        map(json!({"name": "x", "meta": {"a": "1"}}))
    );
    let dropped: Vec<String> = validated.dropped.iter().map(ToString::to_string).collect();
    assert_eq!(dropped, vec!["color", "meta.b"]);

    let strict = ValidationContext::create(Actor::User).rejecting_unknown();
    assert_eq!(
        errors(schema.validate(&map(input), &strict)),
        vec![
            ("color".to_owned(), "unknown property".to_owned()),
            ("meta.b".to_owned(), "unknown property".to_owned()),
        ]
    );

    // Stored keys the schema no longer declares go away without an error.
    let current = map(json!({"name": "x", "legacy": 1}));
    let ctx = ValidationContext::update(Actor::User, &current, "Stopped").rejecting_unknown();
    let validated = accepted(schema.validate(&map(json!({})), &ctx));
    assert_eq!(validated.properties, map(json!({"name": "x"})));
    assert_eq!(validated.dropped, vec![PropertyPath::root().key("legacy")]);
}

#[test]
fn service_references_become_checks_the_caller_runs() {
    let schema = schema(json!({
        "disk": {"type": "uuid", "validators": [{"type": "serviceReference", "config": {"types": ["disk", "nfs"], "origin": "group"}}]},
        "name": {"type": "string"}
    }));
    let id = Uuid::new_v4();
    let validated = accepted(create(
        &schema,
        Actor::User,
        json!({"disk": id.to_string()}),
    ));
    assert_eq!(validated.references.len(), 1);
    let check = validated.references[0].clone();
    assert_eq!(check.path.to_string(), "disk");
    assert_eq!(check.service_id, id);
    assert_eq!(check.config.types, vec!["disk", "nfs"]);
    assert_eq!(check.config.origin, Some(ReferenceOrigin::Group));

    let fine = ReferenceTarget {
        service_type: "disk",
        same_consumer: false,
        same_group: true,
    };
    assert_eq!(check.evaluate(Some(fine)), Ok(()));
    let cases: Vec<(Option<ReferenceTarget<'_>>, String)> = vec![
        (
            None,
            format!("references service {id} which does not exist"),
        ),
        (
            Some(ReferenceTarget {
                service_type: "vm",
                ..fine
            }),
            "must reference a service of type [disk, nfs], not vm".to_owned(),
        ),
        (
            Some(ReferenceTarget {
                same_group: false,
                ..fine
            }),
            "must reference a service in the same service group".to_owned(),
        ),
    ];
    for (target, message) in cases {
        assert_eq!(
            check.evaluate(target),
            Err(PropertyError::new("disk", message))
        );
    }
    assert_eq!(
        check.failure(ReferenceFailure::OtherConsumer).message,
        "must reference a service of the same consumer"
    );

    let failures = vec![check.failure(ReferenceFailure::NotFound)];
    assert_eq!(validated.clone().finish(failures.clone()), Err(failures));
    assert!(validated.finish(Vec::new()).is_ok());

    // An unchanged reference is not looked up again on update.
    let later = accepted(update(
        &schema,
        Actor::User,
        json!({"disk": id.to_string()}),
        "Stopped",
        json!({"name": "n"}),
    ));
    assert!(later.references.is_empty());
}

#[test]
fn service_options_become_checks_the_caller_runs() {
    let schema = schema(json!({
        "os": {"type": "string", "validators": [{"type": "serviceOption", "config": {"value": "os"}}]},
        "disk": {"type": "json", "validators": [{"type": "serviceOption", "config": {"value": "disk_type"}}]}
    }));
    let validated = accepted(create(
        &schema,
        Actor::User,
        json!({"os": "ubuntu-22.04", "disk": {"type": "ssd", "size": 100}}),
    ));
    let checks: Vec<(String, String, Value)> = validated
        .options
        .iter()
        .map(|c| (c.path.to_string(), c.option_type.clone(), c.value.clone()))
        .collect();
    assert_eq!(
        checks,
        vec![
            (
                "disk".to_owned(),
                "disk_type".to_owned(),
                json!({"type": "ssd", "size": 100})
            ),
            ("os".to_owned(), "os".to_owned(), json!("ubuntu-22.04")),
        ]
    );
    let disk = &validated.options[0];
    assert_eq!(
        disk.evaluate(&[json!({"size": 100.0, "type": "ssd"})]),
        Ok(())
    );
    let os = &validated.options[1];
    assert_eq!(
        os.evaluate(&[json!("debian-12")]),
        Err(PropertyError::new(
            "os",
            "must be one of the enabled service options of type os"
        ))
    );
}

#[test]
fn exactly_one_rule_needs_a_single_value() {
    let schema = PropertySchema::parse(&json!({
        "properties": {"image": {"type": "string"}, "snapshot": {"type": "string"}},
        "validators": [{"type": "exactlyOne", "config": {"properties": ["image", "snapshot"]}}]
    }))
    .expect("valid schema");
    accepted(create(&schema, Actor::User, json!({"image": "a"})));
    assert_eq!(
        errors(create(&schema, Actor::User, json!({}))),
        one("", "exactly one of [image, snapshot] must be provided")
    );
    assert_eq!(
        errors(create(
            &schema,
            Actor::User,
            json!({"image": "a", "snapshot": "b"})
        )),
        one(
            "",
            "only one of [image, snapshot] may be provided, got [image, snapshot]"
        )
    );
}

#[test]
fn unique_values_rule_refuses_repeated_values() {
    let schema = PropertySchema::parse(&json!({
        "properties": {"primary": {"type": "string"}, "backup": {"type": "string"}, "third": {"type": "string"}},
        "validators": [{"type": "uniqueValues", "config": {"properties": ["primary", "backup", "third"]}}]
    }))
    .expect("valid schema");
    accepted(create(
        &schema,
        Actor::User,
        json!({"primary": "a", "backup": "b"}),
    ));
    assert_eq!(
        errors(create(
            &schema,
            Actor::User,
            json!({"primary": "a", "backup": "b", "third": "a"})
        )),
        one("third", "must differ from primary")
    );
}

#[test]
fn example_vm_schema_accepts_its_example_properties() {
    let schema = PropertySchema::example_vm();
    let input: Value = serde_json::from_str(EXAMPLE_VM_PROPERTIES).expect("example is JSON");
    let validated = accepted(create(&schema, Actor::User, input.clone()));
    assert_eq!(validated.properties["diskSize"], json!(20));
    assert!(validated.secrets.is_empty() && validated.generators.is_empty());

    let stored = Value::Object(validated.properties);
    let agent_report = accepted(update(
        &schema,
        Actor::Agent,
        stored.clone(),
        "Started",
        json!({"ipAddress": "10.0.0.7"}),
    ));
    assert_eq!(agent_report.properties["ipAddress"], json!("10.0.0.7"));
    assert_eq!(
        errors(update(
            &schema,
            Actor::User,
            stored,
            "Started",
            json!({"cpu": 4, "name": "web-02", "ipAddress": "1.2.3.4"})
        )),
        vec![
            (
                "cpu".to_owned(),
                "cannot be updated in state Started".to_owned()
            ),
            ("ipAddress".to_owned(), "may not be set by user".to_owned()),
            (
                "name".to_owned(),
                "is immutable and cannot be changed".to_owned()
            ),
        ]
    );
}

#[test]
fn property_errors_serialize_as_path_and_message() {
    let error = PropertyError::new("cpu", "must be at least 1");
    assert_eq!(
        serde_json::to_value(&error).expect("serializes"),
        json!({"path": "cpu", "message": "must be at least 1"})
    );
    assert_eq!(error.to_string(), "cpu: must be at least 1");
}

#[test]
fn paths_render_for_people_and_as_json_pointers() {
    let path = PropertyPath::root().key("users").index(2).key("a/b~c");
    assert_eq!(path.to_string(), "users[2].a/b~c");
    assert_eq!(path.to_pointer(), "/users/2/a~1b~0c");
    let document = map(json!({"users": [{}, {}, {"a/b~c": 5}]}));
    assert_eq!(path.lookup(&document), Some(&json!(5)));
    assert_eq!(
        Value::Object(document.clone()).pointer(&path.to_pointer()),
        Some(&json!(5))
    );
    let mut document = document;
    assert!(!PropertyPath::root()
        .key("missing")
        .key("x")
        .store(&mut document, json!(1)));
    assert!(!PropertyPath::root().store(&mut document, json!(1)));
}

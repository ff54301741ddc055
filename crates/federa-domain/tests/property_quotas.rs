//! A property schema's `quota` attribute: which integer properties count
//! towards which quota, kept through a round trip, and refused anywhere
//! else.

use federa_domain::property_schema::PropertySchema;
use serde_json::{json, Map, Value};

fn schema(cpu: Value) -> Value {
    json!({"properties": {
        "name": {"type": "string"},
        "cpu": cpu,
        "disk": {"type": "integer", "quota": "storageGiB"},
    }})
}

#[test]
fn integer_properties_count_towards_named_quotas_and_keep_the_attribute() {
    let parsed =
        PropertySchema::parse(&schema(json!({"type": "integer", "quota": "vcpus"}))).unwrap();
    assert_eq!(
        parsed.quota_properties(),
        [
            ("vcpus".to_string(), "cpu".to_string()),
            ("storageGiB".to_string(), "disk".to_string())
        ]
    );
    let again = PropertySchema::parse(&parsed.to_json()).unwrap();
    assert_eq!(again, parsed);
    let properties: Map<String, Value> =
        serde_json::from_value(json!({"name": "a", "cpu": 4, "disk": 0})).unwrap();
    // A property at zero adds nothing to its quota.
    assert_eq!(
        parsed.quota_amounts(&properties),
        [("vcpus".to_string(), 4)]
    );
}

#[test]
fn a_quota_is_refused_on_other_types_nested_properties_and_bad_names() {
    for (cpu, path) in [
        (json!({"type": "string", "quota": "vcpus"}), "cpu.quota"),
        (json!({"type": "integer", "quota": "2cpus"}), "cpu.quota"),
        (json!({"type": "integer", "quota": 4}), "cpu.quota"),
        (
            json!({"type": "object", "properties": {"cores": {"type": "integer", "quota": "vcpus"}}}),
            "cores.quota",
        ),
    ] {
        let errors = PropertySchema::parse(&schema(cpu.clone())).unwrap_err();
        assert!(
            errors.iter().any(|error| error.path.ends_with(path)),
            "{cpu}: {errors:?}"
        );
    }
}

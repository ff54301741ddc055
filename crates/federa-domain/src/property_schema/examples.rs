//! A realistic VM property schema, shared by tests across the workspace.
//!
//! Kept as JSON text so HTTP-level tests can send exactly the same document
//! that the domain tests parse.

use super::PropertySchema;

/// A VM service type's `propertySchema`.
///
/// - `name`: required, immutable, 3–63 chars, lowercase DNS-like label;
/// - `cpu`: required integer from a fixed set, changeable only when Stopped;
/// - `memory`: required integer MiB in 512..=65536, changeable only when Stopped;
/// - `image`: required, immutable, lowercase image slug;
/// - `diskSize`: integer GB in 10..=2048, defaults to 20;
/// - `ipAddress`: reported by the agent only;
/// - `rootPassword`: optional persistent secret of at least 8 characters.
pub const EXAMPLE_VM_PROPERTY_SCHEMA: &str = r#"{
  "properties": {
    "name": {
      "type": "string",
      "label": "Instance Name",
      "required": true,
      "immutable": true,
      "validators": [
        { "type": "minLength", "config": { "value": 3 } },
        { "type": "maxLength", "config": { "value": 63 } },
        { "type": "pattern", "config": { "pattern": "^[a-z][a-z0-9-]*$" } }
      ]
    },
    "cpu": {
      "type": "integer",
      "label": "CPU Cores",
      "required": true,
      "authorizers": [
        { "type": "state", "config": { "allowedStates": ["Stopped"] } }
      ],
      "validators": [
        { "type": "enum", "config": { "values": [1, 2, 4, 8, 16] } }
      ]
    },
    "memory": {
      "type": "integer",
      "label": "Memory (MiB)",
      "required": true,
      "authorizers": [
        { "type": "state", "config": { "allowedStates": ["Stopped"] } }
      ],
      "validators": [
        { "type": "min", "config": { "value": 512 } },
        { "type": "max", "config": { "value": 65536 } }
      ]
    },
    "image": {
      "type": "string",
      "label": "Image",
      "required": true,
      "immutable": true,
      "validators": [
        { "type": "pattern", "config": { "pattern": "^[a-z0-9]+([.-][a-z0-9]+)*$" } }
      ]
    },
    "diskSize": {
      "type": "integer",
      "label": "Disk Size (GB)",
      "default": 20,
      "validators": [
        { "type": "min", "config": { "value": 10 } },
        { "type": "max", "config": { "value": 2048 } }
      ]
    },
    "ipAddress": {
      "type": "string",
      "label": "IP Address",
      "authorizers": [
        { "type": "actor", "config": { "actors": ["agent"] } }
      ]
    },
    "rootPassword": {
      "type": "string",
      "label": "Root Password",
      "secret": { "type": "persistent" },
      "validators": [
        { "type": "minLength", "config": { "value": 8 } }
      ]
    }
  }
}"#;

/// Properties a user can send to create a VM under
/// [`EXAMPLE_VM_PROPERTY_SCHEMA`] without any error.
pub const EXAMPLE_VM_PROPERTIES: &str = r#"{
  "name": "web-01",
  "cpu": 2,
  "memory": 2048,
  "image": "ubuntu-22.04"
}"#;

impl PropertySchema {
    /// [`EXAMPLE_VM_PROPERTY_SCHEMA`], parsed.
    pub fn example_vm() -> PropertySchema {
        let document =
            serde_json::from_str(EXAMPLE_VM_PROPERTY_SCHEMA).unwrap_or(serde_json::Value::Null);
        match PropertySchema::parse(&document) {
            Ok(schema) => schema,
            // The constant is covered by tests; reaching this is a build defect.
            Err(errors) => panic!("example VM property schema is invalid: {errors:?}"),
        }
    }
}

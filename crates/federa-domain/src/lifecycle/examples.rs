//! A VM-like lifecycle, shared by tests across the workspace.
//!
//! Kept as JSON text so HTTP-level tests can send exactly the same document
//! that the domain tests parse.

use super::LifecycleSchema;

/// `New --create--> Stopped <--start/stop--> Started`, `update` in place,
/// `delete` to the terminal `Deleted`. Failures go to `Failed`, except a
/// quota error on `start`, which leaves the VM `Stopped`.
pub const EXAMPLE_VM_LIFECYCLE: &str = r#"{
  "states": [
    { "name": "New" },
    { "name": "Stopped" },
    { "name": "Started" },
    { "name": "Failed" },
    { "name": "Deleted" }
  ],
  "actions": [
    {
      "name": "create",
      "requestSchemaType": "properties",
      "transitions": [
        { "from": "New", "to": "Stopped" },
        { "from": "New", "to": "Failed", "onError": true }
      ]
    },
    {
      "name": "start",
      "transitions": [
        { "from": "Stopped", "to": "Started" },
        { "from": "Stopped", "to": "Stopped", "onError": true, "onErrorRegexp": "quota.*exceeded" },
        { "from": "Stopped", "to": "Failed", "onError": true }
      ]
    },
    {
      "name": "stop",
      "transitions": [
        { "from": "Started", "to": "Stopped" },
        { "from": "Started", "to": "Failed", "onError": true }
      ]
    },
    {
      "name": "update",
      "requestSchemaType": "properties",
      "transitions": [
        { "from": "Stopped", "to": "Stopped" },
        { "from": "Started", "to": "Started" },
        { "from": "Stopped", "to": "Stopped", "onError": true },
        { "from": "Started", "to": "Started", "onError": true }
      ]
    },
    {
      "name": "delete",
      "transitions": [
        { "from": "Stopped", "to": "Deleted" },
        { "from": "Started", "to": "Deleted" },
        { "from": "Failed", "to": "Deleted" },
        { "from": "Stopped", "to": "Failed", "onError": true },
        { "from": "Started", "to": "Failed", "onError": true }
      ]
    }
  ],
  "initialState": "New",
  "terminalStates": ["Deleted"],
  "runningStates": ["Started"]
}"#;

impl LifecycleSchema {
    /// [`EXAMPLE_VM_LIFECYCLE`], parsed.
    pub fn example_vm() -> LifecycleSchema {
        let document =
            serde_json::from_str(EXAMPLE_VM_LIFECYCLE).unwrap_or(serde_json::Value::Null);
        match LifecycleSchema::parse(&document) {
            Ok(schema) => schema,
            // The constant is covered by tests; reaching this is a build defect.
            Err(errors) => panic!("example VM lifecycle is invalid: {errors:?}"),
        }
    }
}

//! RFC 6902 JSON Patch between two versions of an entity, carried by
//! `*.updated` events as `properties.diff` in the shape Fulcrum's event log
//! uses: every `replace` and `remove` is preceded by a `test` of the old
//! value, so the patch can be checked against, and inverted into, the
//! version it was taken from.

use serde_json::{json, Map, Value};

/// The operations that turn `before` into `after`, objects compared member
/// by member and anything else (arrays included) replaced whole. Equal
/// values give an empty array.
pub fn diff(before: &Value, after: &Value) -> Value {
    let mut operations = Vec::new();
    compare("", before, after, &mut operations);
    Value::Array(operations)
}

fn compare(path: &str, before: &Value, after: &Value, operations: &mut Vec<Value>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => compare_members(path, old, new, operations),
        _ => {
            operations.push(json!({"op": "test", "path": path, "value": before}));
            operations.push(json!({"op": "replace", "path": path, "value": after}));
        }
    }
}

fn compare_members(
    path: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    operations: &mut Vec<Value>,
) {
    for (key, old_value) in old {
        let member = format!("{path}/{}", escape(key));
        match new.get(key) {
            Some(new_value) => compare(&member, old_value, new_value, operations),
            None => {
                operations.push(json!({"op": "test", "path": member, "value": old_value}));
                operations.push(json!({"op": "remove", "path": member}));
            }
        }
    }
    for (key, new_value) in new {
        if !old.contains_key(key) {
            let member = format!("{path}/{}", escape(key));
            operations.push(json!({"op": "add", "path": member, "value": new_value}));
        }
    }
}

/// A member name as one RFC 6901 reference token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_member_is_tested_then_replaced() {
        let patch = diff(
            &json!({"status": "Disconnected", "name": "a"}),
            &json!({"status": "Connected", "name": "a"}),
        );
        assert_eq!(
            patch,
            json!([
                {"op": "test", "path": "/status", "value": "Disconnected"},
                {"op": "replace", "path": "/status", "value": "Connected"}
            ])
        );
    }

    #[test]
    fn members_are_added_removed_and_nested_paths_escaped() {
        let patch = diff(
            &json!({"config": {"a/b": 1, "gone": true}}),
            &json!({"config": {"a/b": 2, "m~n": null}}),
        );
        assert_eq!(
            patch,
            json!([
                {"op": "test", "path": "/config/a~1b", "value": 1},
                {"op": "replace", "path": "/config/a~1b", "value": 2},
                {"op": "test", "path": "/config/gone", "value": true},
                {"op": "remove", "path": "/config/gone"},
                {"op": "add", "path": "/config/m~0n", "value": null}
            ])
        );
    }

    #[test]
    fn arrays_are_replaced_whole_and_equal_values_give_nothing() {
        assert_eq!(
            diff(&json!({"tags": ["a"]}), &json!({"tags": ["a", "b"]})),
            json!([
                {"op": "test", "path": "/tags", "value": ["a"]},
                {"op": "replace", "path": "/tags", "value": ["a", "b"]}
            ])
        );
        assert_eq!(diff(&json!({"x": [1]}), &json!({"x": [1]})), json!([]));
        assert_eq!(
            diff(&json!(1), &json!("1")),
            json!([
                {"op": "test", "path": "", "value": 1},
                {"op": "replace", "path": "", "value": "1"}
            ])
        );
    }
}

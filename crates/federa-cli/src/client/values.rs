//! `key=value` arguments into JSON: values that parse as JSON (numbers,
//! booleans, arrays, objects, quoted strings) keep their type, anything
//! else is a string; dotted keys build nested objects.

use serde_json::{Map, Value};

pub fn parse_pairs(pairs: &[String]) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for pair in pairs {
        let (key, raw) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} must have the form key=value"))?;
        if key.is_empty() {
            return Err(format!("{pair:?} has an empty key"));
        }
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
        insert(&mut out, key, value)?;
    }
    Ok(out)
}

fn insert(map: &mut Map<String, Value>, key: &str, value: Value) -> Result<(), String> {
    match key.split_once('.') {
        None => {
            map.insert(key.to_string(), value);
            Ok(())
        }
        Some((head, rest)) => {
            let entry = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(inner) = entry else {
                return Err(format!("{head} is both a value and an object"));
            };
            insert(inner, rest, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_keep_their_json_type_and_keys_nest() {
        let pairs = [
            "cpu=2",
            "name=web-01",
            "tags=[\"a\"]",
            "db.port=5432",
            "db.host=x",
            "flag=true",
            "id=\"007\"",
        ]
        .map(String::from);
        assert_eq!(
            Value::Object(parse_pairs(&pairs).unwrap()),
            json!({"cpu": 2, "name": "web-01", "tags": ["a"], "db": {"port": 5432, "host": "x"}, "flag": true, "id": "007"})
        );
        assert!(parse_pairs(&["novalue".to_string()]).is_err());
        assert!(parse_pairs(&["a=1".to_string(), "a.b=2".to_string()]).is_err());
    }
}

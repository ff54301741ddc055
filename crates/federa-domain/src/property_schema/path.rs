//! Addresses of values inside a property document.
//!
//! Errors and hooks (secrets, generators, external checks) must tell the
//! caller exactly which value they concern. A structured path renders both
//! the human form used in messages (`disks[1].size`) and the JSON Pointer
//! (`/disks/1/size`) a caller needs to write a value back.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// One step into a document: an object key or an array position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the root of a property map to one value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PropertyPath(Vec<Segment>);

impl PropertyPath {
    /// The document itself.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by an object key.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Self(segments)
    }

    /// This path extended by an array position.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// RFC 6901 JSON Pointer, usable with `serde_json::Value::pointer`.
    pub fn to_pointer(&self) -> String {
        let mut out = String::new();
        for segment in &self.0 {
            out.push('/');
            match segment {
                Segment::Key(key) => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
                Segment::Index(index) => out.push_str(&index.to_string()),
            }
        }
        out
    }

    /// The value at this path inside `map`, if every step exists.
    pub fn lookup<'a>(&self, map: &'a Map<String, Value>) -> Option<&'a Value> {
        let (first, rest) = self.0.split_first()?;
        let Segment::Key(key) = first else {
            return None;
        };
        let mut current = map.get(key)?;
        for segment in rest {
            current = match segment {
                Segment::Key(key) => current.as_object()?.get(key)?,
                Segment::Index(index) => current.as_array()?.get(*index)?,
            };
        }
        Some(current)
    }

    /// Writes `value` at this path inside `map`.
    ///
    /// The last step may create a missing object key; every earlier step must
    /// already exist. Returns `false` (and changes nothing) when it does not.
    pub fn store(&self, map: &mut Map<String, Value>, value: Value) -> bool {
        let Some((last, parents)) = self.0.split_last() else {
            return false;
        };
        let target = match parents.split_first() {
            None => return store_in_map(map, last, value),
            Some((Segment::Key(key), rest)) => {
                let Some(mut current) = map.get_mut(key) else {
                    return false;
                };
                for segment in rest {
                    let next = match segment {
                        Segment::Key(key) => current.as_object_mut().and_then(|m| m.get_mut(key)),
                        Segment::Index(index) => {
                            current.as_array_mut().and_then(|a| a.get_mut(*index))
                        }
                    };
                    let Some(next) = next else {
                        return false;
                    };
                    current = next;
                }
                current
            }
            Some((Segment::Index(_), _)) => return false,
        };
        match (target, last) {
            (Value::Object(object), last) => store_in_map(object, last, value),
            (Value::Array(items), Segment::Index(index)) => match items.get_mut(*index) {
                Some(slot) => {
                    *slot = value;
                    true
                }
                None => false,
            },
            _ => false,
        }
    }
}

fn store_in_map(map: &mut Map<String, Value>, segment: &Segment, value: Value) -> bool {
    match segment {
        Segment::Key(key) => {
            map.insert(key.clone(), value);
            true
        }
        Segment::Index(_) => false,
    }
}

impl fmt::Display for PropertyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if position == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for PropertyPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

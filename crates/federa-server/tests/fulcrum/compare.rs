//! Recording a scenario's answers and finding where two servers, or a
//! server and Fulcrum's expected answer, differ; the allow-list that names
//! the deliberate differences and the README sentence documenting each.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::shapes::{Kind, Shape, PAGE};

/// What Fulcrum answers to a step.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// One object of this shape.
    One(Shape),
    /// A page envelope of items of this shape.
    Page(Shape),
    /// A bare JSON array of items of this shape.
    Array(Shape),
    /// An error envelope with this `status` text.
    Error(&'static str),
    /// No JSON body (204, or a non-JSON document).
    Empty,
}

#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub status: u16,
    pub answer: Answer,
}

/// One step's answer from one server.
#[derive(Debug, Clone)]
pub struct Observation {
    pub step: String,
    pub status: u16,
    pub body: Value,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub step: String,
    /// `status`, `envelope`, `missingKey`, `extraKey`, `type`, `eventType`,
    /// `extraEventType` or `value`.
    pub kind: &'static str,
    /// The member or event type concerned, if any.
    pub detail: String,
    pub fulcrum: String,
    pub federa: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}: Fulcrum {} / Federa {}",
            self.step, self.kind, self.detail, self.fulcrum, self.federa
        )
    }
}

fn difference(
    step: &str,
    kind: &'static str,
    detail: &str,
    fulcrum: String,
    federa: String,
) -> Difference {
    Difference {
        step: step.to_string(),
        kind,
        detail: detail.to_string(),
        fulcrum,
        federa,
    }
}

fn status_difference(step: &str, fulcrum: u16, federa: u16) -> Option<Difference> {
    (fulcrum != federa)
        .then(|| difference(step, "status", "", fulcrum.to_string(), federa.to_string()))
}

/// Where Federa's answer departs from what Fulcrum's source answers.
pub fn against_expectation(observation: &Observation) -> Vec<Difference> {
    let step = observation.step.as_str();
    let expect = observation.expect;
    if let Some(status) = status_difference(step, expect.status, observation.status) {
        return vec![status];
    }
    let mut found = Vec::new();
    let body = &observation.body;
    match expect.answer {
        Answer::One(shape) => missing_members(step, "", shape, body, &mut found),
        Answer::Page(shape) => {
            missing_members(step, "", PAGE, body, &mut found);
            for item in body["items"].as_array().into_iter().flatten() {
                missing_members(step, "items[].", shape, item, &mut found);
            }
        }
        Answer::Array(shape) => match body.as_array() {
            Some(items) => {
                for item in items {
                    missing_members(step, "[].", shape, item, &mut found);
                }
            }
            None => found.push(difference(
                step,
                "type",
                "",
                "array".into(),
                Kind::of(body).into(),
            )),
        },
        Answer::Error(text) => {
            let status = body["status"].as_str().unwrap_or("");
            if status != text {
                found.push(difference(
                    step,
                    "envelope",
                    "status",
                    text.into(),
                    status.into(),
                ));
            }
        }
        Answer::Empty => {}
    }
    dedup(found)
}

fn missing_members(
    step: &str,
    prefix: &str,
    shape: Shape,
    body: &Value,
    found: &mut Vec<Difference>,
) {
    for (member, kind) in shape {
        let path = format!("{prefix}{member}");
        match body.get(member) {
            None => found.push(difference(
                step,
                "missingKey",
                &path,
                kind.name().into(),
                "absent".into(),
            )),
            Some(value) if !kind.admits(value) => found.push(difference(
                step,
                "type",
                &path,
                kind.name().into(),
                Kind::of(value).into(),
            )),
            Some(_) => {}
        }
    }
}

/// Members whose content is the caller's own data, compared by presence only.
const OPAQUE: &[&str] = &[
    "properties",
    "configuration",
    "params",
    "agentInstanceData",
    "propertySchema",
    "lifecycleSchema",
    "configurationSchema",
    "generatorConfig",
    "value",
    "data",
    "diff",
];

/// Every member path of `value` with its JSON type; arrays as `[]` with
/// their elements' members merged.
fn members(value: &Value, prefix: &str, into: &mut BTreeMap<String, &'static str>) {
    match value {
        Value::Object(map) => {
            for (name, member) in map {
                let path = format!("{prefix}{name}");
                into.insert(path.clone(), Kind::of(member));
                if !OPAQUE.contains(&name.as_str()) {
                    members(member, &format!("{path}."), into);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                members(item, &format!("{prefix}[]."), into);
            }
        }
        _ => {}
    }
}

/// Where Federa's answer to a step departs from Fulcrum's answer to it.
pub fn between(fulcrum: &Observation, federa: &Observation) -> Vec<Difference> {
    let step = fulcrum.step.as_str();
    if let Some(status) = status_difference(step, fulcrum.status, federa.status) {
        return vec![status];
    }
    let mut found = Vec::new();
    if fulcrum.status >= 400 {
        let (theirs, ours) = (&fulcrum.body["status"], &federa.body["status"]);
        if theirs != ours {
            found.push(difference(
                step,
                "envelope",
                "status",
                theirs.to_string(),
                ours.to_string(),
            ));
        }
    }
    let (mut theirs, mut ours) = (BTreeMap::new(), BTreeMap::new());
    members(&fulcrum.body, "", &mut theirs);
    members(&federa.body, "", &mut ours);
    for (path, kind) in &theirs {
        match ours.get(path) {
            None => found.push(difference(
                step,
                "missingKey",
                path,
                (*kind).into(),
                "absent".into(),
            )),
            // A null on one side is an empty value, not another type.
            Some(other) if other != kind && *other != "null" && *kind != "null" => found.push(
                difference(step, "type", path, (*kind).into(), (*other).into()),
            ),
            Some(_) => {}
        }
    }
    for (path, kind) in &ours {
        if !theirs.contains_key(path) {
            found.push(difference(
                step,
                "extraKey",
                path,
                "absent".into(),
                (*kind).into(),
            ));
        }
    }
    dedup(found)
}

fn dedup(mut found: Vec<Difference>) -> Vec<Difference> {
    found.dedup();
    found
}

/// One deliberate difference and the README sentence that documents it.
#[derive(Debug, Deserialize)]
pub struct Allowed {
    pub kind: String,
    /// A step name, or `*` for every step.
    pub step: String,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub fulcrum: Option<String>,
    #[serde(default)]
    pub federa: Option<String>,
    pub readme: String,
}

impl Allowed {
    pub fn covers(&self, difference: &Difference) -> bool {
        let matches = |pattern: &Option<String>, value: &str| {
            pattern.as_deref().is_none_or(|p| {
                p == "*" || p == value || p.trim_matches('"') == value.trim_matches('"')
            })
        };
        self.kind == difference.kind
            && (self.step == "*" || self.step == difference.step)
            && matches(&self.detail, &difference.detail)
            && matches(&self.fulcrum, &difference.fulcrum)
            && matches(&self.federa, &difference.federa)
    }
}

/// The allow-list, each entry's README sentence checked to be in the README.
pub fn allow_list(text: &str, readme: &str) -> Vec<Allowed> {
    let entries: Vec<Allowed> = serde_json::from_str(text).expect("the allow-list is JSON");
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let readme = flat(readme);
    for entry in &entries {
        assert!(
            readme.contains(&flat(&entry.readme)),
            "allow-list entry {entry:?} cites a sentence the README does not contain"
        );
    }
    entries
}

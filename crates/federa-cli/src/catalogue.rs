//! Catalogue files: service types, their lifecycles, metric types and agent
//! types kept as JSON under a directory (the repository's `catalogue/`), and
//! `federa catalogue apply DIR`, which makes the exchange's catalogue match
//! them. Applying twice changes nothing the second time.
//!
//! Each `*.json` file, at any depth, is one of:
//! - a service type: an object with `name` and `propertySchema` or
//!   `lifecycleSchema`, as `POST /service-types` takes it; either schema may
//!   instead be the name of a file beside it holding the schema;
//! - a lifecycle or property schema only referenced that way;
//! - an agent type: an object with `configurationSchema`, as
//!   `POST /agent-types` takes it, naming its service types in
//!   `serviceTypes` rather than by id;
//! - metric types: an array of objects with `name` and `entityType`.
//!
//! Other files (READMEs, manifests for the platform) are left alone.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use federa_client::api::PageRes;
use federa_client::{Client, Sent};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// One file's text and its path relative to the catalogue's directory.
pub struct CatalogueFile {
    pub path: PathBuf,
    pub text: String,
}

/// Every `*.json` file under `dir`, in path order.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<CatalogueFile>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let entries = std::fs::read_dir(&directory)
            .with_context(|| format!("cannot read {}", directory.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                files.push(CatalogueFile {
                    path: relative,
                    text,
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// What the files describe, each object as the API takes it.
#[derive(Default)]
pub struct Catalogue {
    pub metric_types: Vec<Value>,
    pub service_types: Vec<Value>,
    pub agent_types: Vec<Value>,
}

/// Sorts the files into a catalogue, reading referenced schema files.
pub fn parse(files: &[CatalogueFile]) -> anyhow::Result<Catalogue> {
    let documents: BTreeMap<&Path, Value> = files
        .iter()
        .map(|file| {
            serde_json::from_str(&file.text)
                .with_context(|| format!("{}: not JSON", file.path.display()))
                .map(|value| (file.path.as_path(), value))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut referenced = HashSet::new();
    let mut catalogue = Catalogue::default();
    for (path, document) in &documents {
        match document {
            Value::Array(items) => {
                for item in items {
                    if item.get("name").is_none() || item.get("entityType").is_none() {
                        bail!(
                            "{}: an array holds metric types, each with name and entityType",
                            path.display()
                        );
                    }
                    catalogue.metric_types.push(item.clone());
                }
            }
            Value::Object(object) if object.contains_key("configurationSchema") => {
                catalogue.agent_types.push(document.clone());
            }
            Value::Object(object)
                if object.contains_key("name")
                    && (object.contains_key("propertySchema")
                        || object.contains_key("lifecycleSchema")) =>
            {
                let mut service_type = object.clone();
                for field in ["propertySchema", "lifecycleSchema"] {
                    if let Some(Value::String(name)) = service_type.get(field) {
                        let target = path.parent().unwrap_or(Path::new("")).join(name);
                        let schema = documents.get(target.as_path()).with_context(|| {
                            format!(
                                "{}: {field} names {}, which is not among the files",
                                path.display(),
                                target.display()
                            )
                        })?;
                        referenced.insert(target);
                        service_type.insert(field.into(), schema.clone());
                    }
                }
                catalogue.service_types.push(Value::Object(service_type));
            }
            Value::Object(_) => {}
            _ => bail!("{}: neither an object nor an array", path.display()),
        }
    }
    // A file that is neither referenced nor a known kind is a mistake.
    for (path, document) in &documents {
        let known = matches!(document, Value::Array(_))
            || document.get("configurationSchema").is_some()
            || (document.get("name").is_some()
                && (document.get("propertySchema").is_some()
                    || document.get("lifecycleSchema").is_some()));
        if !known && !referenced.contains(*path) {
            bail!(
                "{}: not a service type, agent type or list of metric types, and no service type refers to it",
                path.display()
            );
        }
    }
    Ok(catalogue)
}

/// What applying did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Unchanged,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => "unchanged",
        })
    }
}

/// The outcome of an apply: each object's kind, name, change and id.
#[derive(Default)]
pub struct Applied {
    pub objects: Vec<(&'static str, String, Change, String)>,
}

impl Applied {
    /// The id of the object of `kind` named `name`.
    pub fn id(&self, kind: &str, name: &str) -> Option<&str> {
        self.objects
            .iter()
            .find(|(k, n, _, _)| *k == kind && n == name)
            .map(|(_, _, _, id)| id.as_str())
    }
}

/// Makes the exchange's catalogue hold `catalogue`: objects are found by
/// name, created when missing and changed where they differ.
pub async fn apply(client: &Client, catalogue: &Catalogue) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    for metric_type in &catalogue.metric_types {
        put(
            client,
            &mut applied,
            "metric type",
            "/metric-types",
            metric_type,
        )
        .await?;
    }
    for service_type in &catalogue.service_types {
        put(
            client,
            &mut applied,
            "service type",
            "/service-types",
            service_type,
        )
        .await?;
    }
    for agent_type in &catalogue.agent_types {
        let mut body = agent_type.as_object().cloned().unwrap_or_default();
        if let Some(names) = body.remove("serviceTypes") {
            let mut ids = Vec::new();
            for name in names.as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                let id = match applied.id("service type", name) {
                    Some(id) => id.to_string(),
                    None => find(client, "/service-types", name)
                        .await?
                        .and_then(|found| found.id)
                        .map(|id| id.to_string())
                        .with_context(|| {
                            format!(
                                "agent type {}: no service type is named {name:?}",
                                body["name"]
                            )
                        })?,
                };
                ids.push(Value::String(id));
            }
            body.insert("serviceTypeIds".into(), Value::Array(ids));
        }
        put(
            client,
            &mut applied,
            "agent type",
            "/agent-types",
            &Value::Object(body),
        )
        .await?;
    }
    Ok(applied)
}

/// The object of `collection` named exactly `name`.
async fn find(
    client: &Client,
    collection: &str,
    name: &str,
) -> anyhow::Result<Option<Sent<Catalogued>>> {
    let mut page = 1;
    loop {
        let answer: PageRes<Sent<Catalogued>> = client
            .get(&format!("{collection}?pageSize=100&page={page}"))
            .await?
            .into_json()?;
        let has_next = answer.has_next;
        let found = answer
            .items
            .into_iter()
            .find(|item| item.name.as_deref() == Some(name));
        if found.is_some() || !has_next {
            return Ok(found);
        }
        page += 1;
    }
}

/// An object of the catalogue as the exchange answers with it: read for
/// its id and name, and compared with its file as a document.
#[derive(Deserialize)]
struct Catalogued {
    #[serde(default)]
    id: Option<Uuid>,
    #[serde(default)]
    name: Option<String>,
}

/// Whether `existing` already holds every field of `wanted`; id lists
/// compare as sets.
fn holds(existing: &Value, wanted: &Map<String, Value>) -> bool {
    wanted
        .iter()
        .all(|(field, value)| match (existing.get(field), value) {
            (Some(Value::Array(have)), Value::Array(want)) if field.ends_with("Ids") => {
                have.len() == want.len() && want.iter().all(|id| have.contains(id))
            }
            (Some(have), want) => have == want,
            (None, Value::Null) => true,
            (None, _) => false,
        })
}

async fn put(
    client: &Client,
    applied: &mut Applied,
    kind: &'static str,
    collection: &str,
    wanted: &Value,
) -> anyhow::Result<()> {
    let name = wanted["name"]
        .as_str()
        .with_context(|| format!("a {kind} without a name: {wanted}"))?
        .to_string();
    let fields = wanted.as_object().cloned().unwrap_or_default();
    let (change, id) = match find(client, collection, &name).await? {
        None => {
            let created: Catalogued = client
                .post(collection, wanted)
                .await?
                .into_json()
                .with_context(|| format!("{kind} {name}"))?;
            (Change::Created, id_text(created.id))
        }
        Some(existing) => {
            let id = id_text(existing.id);
            if holds(&existing.document, &fields) {
                (Change::Unchanged, id)
            } else {
                client
                    .patch(&format!("{collection}/{id}"), &json!(fields))
                    .await?
                    .into_ok()
                    .with_context(|| format!("{kind} {name}"))?;
                (Change::Updated, id)
            }
        }
    };
    applied.objects.push((kind, name, change, id));
    Ok(())
}

fn id_text(id: Option<Uuid>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> CatalogueFile {
        CatalogueFile {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_repositorys_demo_catalogue_parses_with_its_lifecycle_read_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/demo");
        let catalogue = parse(&read_dir(&dir).unwrap()).unwrap();
        let names: Vec<&str> = catalogue
            .service_types
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Key-value store", "Static website"]);
        for service_type in &catalogue.service_types {
            assert!(service_type["lifecycleSchema"]["states"].is_array());
        }
        assert_eq!(catalogue.metric_types.len(), 3);
        assert_eq!(catalogue.agent_types[0]["name"], "Federa process agent");
    }

    #[test]
    fn a_file_of_no_known_kind_or_a_missing_reference_is_named() {
        let stray = parse(&[file("x/stray.json", r#"{"states": []}"#)])
            .err()
            .unwrap();
        assert!(stray.to_string().starts_with("x/stray.json:"), "{stray}");
        let missing = parse(&[file(
            "a.json",
            r#"{"name": "A", "lifecycleSchema": "gone.json"}"#,
        )])
        .err()
        .unwrap();
        assert!(missing.to_string().contains("gone.json"), "{missing}");
        let broken = parse(&[file("b.json", "{")]).err().unwrap();
        assert!(
            broken.to_string().starts_with("b.json: not JSON"),
            "{broken}"
        );
    }
}

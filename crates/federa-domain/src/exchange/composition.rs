//! Compositions: several services ordered together, with dependencies,
//! placement relations between them, and outputs of one service wired into
//! properties of another (say, a database's address into a web server's
//! configuration).
//!
//! This module decides what may be asked and in which order things happen:
//! [`CompositionSpec::validate`] refuses unknown references and cycles,
//! [`CompositionSpec::provisioning_order`] gives the order services are
//! created in (deletion runs it backwards), [`wire_inputs`] fills a
//! component's properties from its dependencies' outputs, and
//! [`CompositionSpec::peer_placements`] hands the relations between
//! components to the placement of the next one ([`provider_conflicts`] and
//! [`narrow_for_peers`] answer the same questions outside a placement).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::placement::{PeerPlacement, PlacementRequest};
use super::problems::Problems;
use super::profile::is_region_code;
use crate::listing::FieldError;

/// The most components one composition may have.
pub const MAX_COMPONENTS: usize = 100;

/// What a consumer submits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompositionSpec {
    pub name: String,
    pub components: Vec<Component>,
    #[serde(default)]
    pub relations: Vec<PeerRelation>,
    #[serde(default)]
    pub on_failure: OnFailure,
}

/// One service of a composition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Names the component within the composition, e.g. `db`; same
    /// characters as a region code.
    pub key: String,
    /// The service's name.
    pub name: String,
    pub service_type_id: Uuid,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub placement: PlacementRequest,
    /// Components that must be provisioned first. Every component an input
    /// reads from is a dependency too, named here or not.
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// The only offering its placement may choose: the one an accepted
    /// order's quote named for it, or one the consumer names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offering_id: Option<Uuid>,
}

/// A property of this component taken from an output of another: a
/// top-level property of the other service once it is provisioned (agents
/// report such values when they complete a job, e.g. `ipAddress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub property: String,
    pub from: String,
    pub output: String,
}

/// How two components' placements must relate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PeerRelation {
    pub components: [String; 2],
    pub rule: PeerRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum PeerRule {
    SameProvider,
    DifferentProviders,
    DifferentCountries,
}

/// What happens to the services already created when one fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum OnFailure {
    /// Delete them, in reverse order.
    #[default]
    Rollback,
    /// Leave them as they are for the consumer to look at.
    Stop,
}

/// Where a component already placed runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedPeer {
    pub participant_id: Uuid,
    pub country: String,
}

impl Component {
    /// Indexes of the components this one waits for, in declaration order.
    fn dependencies(&self, keys: &HashMap<&str, usize>) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .depends_on
            .iter()
            .map(String::as_str)
            .chain(self.inputs.iter().map(|input| input.from.as_str()))
            .filter_map(|key| keys.get(key).copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

impl CompositionSpec {
    fn keys(&self) -> HashMap<&str, usize> {
        let mut keys = HashMap::new();
        for (index, component) in self.components.iter().enumerate() {
            keys.entry(component.key.as_str()).or_insert(index);
        }
        keys
    }

    /// Every problem with the composition, each with its path: malformed or
    /// repeated keys, references to unknown components, and cycles.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Problems::default();
        if self.components.is_empty() {
            problems.push("components", "must list at least one component");
        }
        if self.components.len() > MAX_COMPONENTS {
            problems.push(
                "components",
                format!("must list at most {MAX_COMPONENTS} components"),
            );
            // Ordering is quadratic in the components: judge no further.
            return Err(problems.into_result().err().unwrap_or_default());
        }
        let keys = self.keys();
        for (index, component) in self.components.iter().enumerate() {
            let path = format!("components[{index}]");
            if !is_region_code(&component.key) {
                problems.push(
                    format!("{path}.key"),
                    "must be 1 to 64 characters among a-z, 0-9 and -",
                );
            } else if keys.get(component.key.as_str()) != Some(&index) {
                problems.push(
                    format!("{path}.key"),
                    format!("repeats the key `{}`", component.key),
                );
            }
            for (position, key) in component.depends_on.iter().enumerate() {
                check_reference(
                    &mut problems,
                    &keys,
                    &component.key,
                    key,
                    format!("{path}.dependsOn[{position}]"),
                );
            }
            for (position, input) in component.inputs.iter().enumerate() {
                let input_path = format!("{path}.inputs[{position}]");
                check_reference(
                    &mut problems,
                    &keys,
                    &component.key,
                    &input.from,
                    format!("{input_path}.from"),
                );
                if input.property.is_empty() {
                    problems.push(format!("{input_path}.property"), "must not be empty");
                }
                if input.output.is_empty() {
                    problems.push(format!("{input_path}.output"), "must not be empty");
                }
            }
        }
        for (index, relation) in self.relations.iter().enumerate() {
            let [first, second] = &relation.components;
            for (position, key) in [first, second].into_iter().enumerate() {
                if !keys.contains_key(key.as_str()) {
                    problems.push(
                        format!("relations[{index}].components[{position}]"),
                        format!("names no component of the composition (`{key}`)"),
                    );
                }
            }
            if first == second {
                problems.push(
                    format!("relations[{index}].components"),
                    "must name two different components",
                );
            }
        }
        let mut errors = problems.into_result().err().unwrap_or_default();
        if errors.is_empty() {
            if let Err(cycle) = self.provisioning_order() {
                errors.push(cycle);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Component indexes in the order they are provisioned: each after
    /// every component it depends on, and otherwise in declaration order.
    /// Deleting runs the order backwards. A cycle is refused, naming it.
    pub fn provisioning_order(&self) -> Result<Vec<usize>, FieldError> {
        let keys = self.keys();
        let dependencies: Vec<Vec<usize>> = self
            .components
            .iter()
            .map(|component| component.dependencies(&keys))
            .collect();
        let mut done = vec![false; self.components.len()];
        let mut order = Vec::with_capacity(self.components.len());
        while order.len() < self.components.len() {
            let next = (0..self.components.len())
                .find(|&index| !done[index] && dependencies[index].iter().all(|&d| done[d]));
            match next {
                Some(index) => {
                    done[index] = true;
                    order.push(index);
                }
                None => return Err(self.cycle_error(&dependencies, &done)),
            }
        }
        Ok(order)
    }

    /// The error for a cycle among the components not yet `done`: every
    /// one of them waits for another, so following the first unfinished
    /// dependency from any of them must come back round.
    fn cycle_error(&self, dependencies: &[Vec<usize>], done: &[bool]) -> FieldError {
        let start = done.iter().position(|finished| !finished).unwrap_or(0);
        let mut path = vec![start];
        let mut current = start;
        while let Some(&next) = dependencies[current].iter().find(|&&d| !done[d]) {
            if let Some(seen) = path.iter().position(|&index| index == next) {
                path.drain(..seen);
                path.push(next);
                break;
            }
            path.push(next);
            current = next;
        }
        let names: Vec<&str> = path
            .iter()
            .map(|&index| self.components[index].key.as_str())
            .collect();
        FieldError::new(
            format!("components[{}].dependsOn", path[0]),
            format!("forms a dependency cycle: {}", names.join(" → ")),
        )
    }

    /// Indexes of the components the one at `index` waits for.
    pub fn dependencies_of(&self, index: usize) -> Vec<usize> {
        self.components
            .get(index)
            .map(|component| component.dependencies(&self.keys()))
            .unwrap_or_default()
    }

    /// The relations of component `key` to the components already
    /// `placed`, as placement keeps them.
    pub fn peer_placements(
        &self,
        key: &str,
        placed: &HashMap<String, PlacedPeer>,
    ) -> Vec<PeerPlacement> {
        self.relations_of(key)
            .filter_map(|(peer, rule)| {
                placed.get(peer).map(|found| PeerPlacement {
                    name: peer.to_owned(),
                    rule,
                    participant_id: found.participant_id,
                    country: found.country.clone(),
                })
            })
            .collect()
    }

    /// The relations that involve `key`, each with the other component.
    pub fn relations_of<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (&'a str, PeerRule)> {
        self.relations.iter().filter_map(move |relation| {
            let [first, second] = &relation.components;
            if first == key {
                Some((second.as_str(), relation.rule))
            } else if second == key {
                Some((first.as_str(), relation.rule))
            } else {
                None
            }
        })
    }
}

fn check_reference(
    problems: &mut Problems,
    keys: &HashMap<&str, usize>,
    own: &str,
    key: &str,
    path: String,
) {
    if key == own {
        problems.push(path, "must not name the component itself");
    } else if !keys.contains_key(key) {
        problems.push(
            path,
            format!("names no component of the composition (`{key}`)"),
        );
    }
}

/// `component`'s properties with each input filled from `outputs`, the
/// properties of the provisioned services by component key. An output
/// that is not there yet is an error naming the input.
pub fn wire_inputs(
    component: &Component,
    outputs: &HashMap<String, Map<String, Value>>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut properties = component.properties.clone();
    let mut problems = Problems::default();
    for (index, input) in component.inputs.iter().enumerate() {
        match outputs
            .get(&input.from)
            .and_then(|provided| provided.get(&input.output))
        {
            Some(value) => {
                properties.insert(input.property.clone(), value.clone());
            }
            None => problems.push(
                format!("inputs[{index}]"),
                format!(
                    "`{}` has no output `{}` to give to `{}`",
                    input.from, input.output, input.property
                ),
            ),
        }
    }
    problems.into_result().map(|()| properties)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::exchange::placement::provider_conflict;

    fn component(key: &str, depends_on: &[&str]) -> Component {
        Component {
            key: key.into(),
            name: format!("{key}-service"),
            service_type_id: Uuid::from_u128(1),
            properties: Map::new(),
            placement: PlacementRequest::default(),
            depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
            inputs: Vec::new(),
            offering_id: None,
        }
    }

    fn spec(components: Vec<Component>) -> CompositionSpec {
        CompositionSpec {
            name: "shop".into(),
            components,
            relations: Vec::new(),
            on_failure: OnFailure::Rollback,
        }
    }

    fn keys(spec: &CompositionSpec, order: &[usize]) -> Vec<String> {
        order
            .iter()
            .map(|&index| spec.components[index].key.clone())
            .collect()
    }

    #[test]
    fn dependencies_come_first_and_declaration_order_breaks_ties() {
        let mut web = component("web", &["cache"]);
        web.inputs.push(Input {
            property: "databaseUrl".into(),
            from: "db".into(),
            output: "address".into(),
        });
        let shop = spec(vec![
            web,
            component("cache", &[]),
            component("db", &[]),
            component("metrics", &[]),
        ]);
        assert_eq!(shop.validate(), Ok(()));
        let order = shop.provisioning_order().expect("no cycle");
        assert_eq!(keys(&shop, &order), ["cache", "db", "web", "metrics"]);
    }

    #[test]
    fn cycles_are_refused_and_named() {
        let shop = spec(vec![
            component("lb", &["web"]),
            component("web", &["db"]),
            component("db", &["web"]),
        ]);
        let error = shop.provisioning_order().expect_err("cycle");
        assert_eq!(error.path, "components[1].dependsOn");
        assert_eq!(error.message, "forms a dependency cycle: web → db → web");
        assert_eq!(shop.validate(), Err(vec![error]));

        let mut wired = component("db", &[]);
        wired.inputs.push(Input {
            property: "peer".into(),
            from: "replica".into(),
            output: "address".into(),
        });
        let through_inputs = spec(vec![wired, component("replica", &["db"])]);
        let error = through_inputs.provisioning_order().expect_err("cycle");
        assert_eq!(error.message, "forms a dependency cycle: db → replica → db");
    }

    #[test]
    fn unknown_references_and_bad_keys_are_reported_with_their_paths() {
        let mut web = component("web", &["web", "nosql"]);
        web.inputs.push(Input {
            property: String::new(),
            from: "db".into(),
            output: "address".into(),
        });
        let mut shop = spec(vec![web, component("Web App", &[]), component("web", &[])]);
        shop.relations.push(PeerRelation {
            components: ["web".into(), "web".into()],
            rule: PeerRule::DifferentProviders,
        });
        let errors = shop.validate().expect_err("invalid");
        let paths: Vec<&str> = errors.iter().map(|error| error.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "components[0].dependsOn[0]",
                "components[0].dependsOn[1]",
                "components[0].inputs[0].from",
                "components[0].inputs[0].property",
                "components[1].key",
                "components[2].key",
                "relations[0].components",
            ]
        );
        assert_eq!(
            spec(Vec::new()).validate().expect_err("empty")[0].path,
            "components"
        );
    }

    #[test]
    fn too_many_components_are_refused_before_ordering_them() {
        let many = spec(
            (0..=MAX_COMPONENTS)
                .map(|n| component(&format!("c{n}"), &[]))
                .collect(),
        );
        let errors = many.validate().expect_err("too many");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "components");
        assert_eq!(errors[0].message, "must list at most 100 components");
    }

    #[test]
    fn inputs_are_wired_from_their_dependencies_outputs() {
        let mut web = component("web", &[]);
        web.properties.insert("port".into(), json!(8080));
        web.inputs.push(Input {
            property: "databaseUrl".into(),
            from: "db".into(),
            output: "address".into(),
        });
        let mut outputs = HashMap::new();
        let mut db = Map::new();
        db.insert("address".into(), json!("10.0.0.7:5432"));
        outputs.insert("db".to_owned(), db);
        let wired = wire_inputs(&web, &outputs).expect("wired");
        assert_eq!(
            Value::Object(wired),
            json!({"port": 8080, "databaseUrl": "10.0.0.7:5432"})
        );
        outputs.clear();
        let errors = wire_inputs(&web, &outputs).expect_err("missing");
        assert_eq!(errors[0].path, "inputs[0]");
        assert_eq!(
            errors[0].message,
            "`db` has no output `address` to give to `databaseUrl`"
        );
    }

    #[test]
    fn relations_judge_the_later_component_against_placed_peers() {
        let mut shop = spec(vec![
            component("db", &[]),
            component("web", &["db"]),
            component("backup", &["db"]),
        ]);
        shop.relations = vec![
            PeerRelation {
                components: ["db".into(), "web".into()],
                rule: PeerRule::SameProvider,
            },
            PeerRelation {
                components: ["backup".into(), "db".into()],
                rule: PeerRule::DifferentProviders,
            },
            PeerRelation {
                components: ["backup".into(), "db".into()],
                rule: PeerRule::DifferentCountries,
            },
        ];
        let provider = Uuid::from_u128(7);
        let other = Uuid::from_u128(8);
        // What placement judges a provider by: the component's relations
        // to peers already placed.
        let conflicts = |key: &str, participant_id: Uuid, placed: &HashMap<String, PlacedPeer>| {
            shop.peer_placements(key, placed)
                .iter()
                .filter_map(|peer| provider_conflict(peer, participant_id))
                .collect::<Vec<_>>()
        };
        let mut placed = HashMap::new();
        assert!(
            conflicts("web", other, &placed).is_empty(),
            "no peer placed yet"
        );
        placed.insert(
            "db".to_owned(),
            PlacedPeer {
                participant_id: provider,
                country: "FR".into(),
            },
        );
        assert!(conflicts("web", provider, &placed).is_empty());
        assert_eq!(
            conflicts("web", other, &placed),
            ["`db` runs with another provider"]
        );
        assert_eq!(
            conflicts("backup", provider, &placed),
            ["`db` already runs with this provider"]
        );
        let backup_peers = shop.peer_placements("backup", &placed);
        assert!(backup_peers.contains(&PeerPlacement {
            name: "db".into(),
            rule: PeerRule::DifferentCountries,
            participant_id: provider,
            country: "FR".into(),
        }));
        assert!(
            shop.peer_placements("web", &placed)
                .iter()
                .all(|peer| peer.rule != PeerRule::DifferentCountries),
            "web has no country relation"
        );
    }
}

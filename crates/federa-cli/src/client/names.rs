//! Names for the ids the exchange answers with, so that tables and
//! explanations read as names: each id is looked up once, through what the
//! caller may read; an id that cannot be named stays an id.

use std::collections::HashMap;

use federa_client::{Client, ProviderProfiles, ServiceTypes};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::Failure;

/// What an id names, and so where its name is found.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Kind {
    /// A providing participant: named by its public profile, which any
    /// participant may read, or else by the participant itself.
    Provider,
    /// An object of the collection at this path (`/services`), named by
    /// its `name`.
    In(&'static str),
}

pub const PARTICIPANT: Kind = Kind::In("/participants");
pub const SERVICE: Kind = Kind::In("/services");
pub const SERVICE_TYPE: Kind = Kind::In("/service-types");
pub const AGENT: Kind = Kind::In("/agents");
pub const TOKEN: Kind = Kind::In("/tokens");
pub const PLACEMENT_POLICY: Kind = Kind::In("/placement-policies");

pub struct Names<'a> {
    client: &'a Client,
    known: HashMap<(Kind, String), Option<String>>,
}

impl<'a> Names<'a> {
    pub fn new(client: &'a Client) -> Names<'a> {
        Names {
            client,
            known: HashMap::new(),
        }
    }

    /// Records a name seen elsewhere (an event's properties, say).
    pub fn learn(&mut self, kind: Kind, id: &str, name: &str) {
        self.known
            .insert((kind, id.to_string()), Some(name.to_string()));
    }

    /// The name of `id`, when the caller may read it.
    pub async fn find(&mut self, kind: Kind, id: &str) -> Option<String> {
        // Not an id (`system`, `admin`): nothing to look up.
        if Uuid::parse_str(id).is_err() {
            return None;
        }
        let key = (kind, id.to_string());
        if let Some(known) = self.known.get(&key) {
            return known.clone();
        }
        let name = match kind {
            Kind::Provider => match self.profile_name(id).await {
                Some(name) => Some(name),
                None => self.own_name(PARTICIPANT, id).await,
            },
            Kind::In(_) => self.own_name(kind, id).await,
        };
        self.known.insert(key, name.clone());
        name
    }

    /// The name of `id`, or the id itself.
    pub async fn or_id(&mut self, kind: Kind, id: &str) -> String {
        self.find(kind, id).await.unwrap_or_else(|| id.to_string())
    }

    async fn profile_name(&self, id: &str) -> Option<String> {
        let page = self
            .client
            .list::<ProviderProfiles>(&format!("participantId={}", super::encode(id)))
            .await
            .ok()?;
        Some(page.items.into_iter().next()?.participant_name)
    }

    /// A refusal only means no name.
    async fn own_name(&self, kind: Kind, id: &str) -> Option<String> {
        let Kind::In(collection) = kind else {
            return None;
        };
        let reply = self.client.get(&format!("{collection}/{id}")).await.ok()?;
        reply.into_json::<Named>().ok()?.name
    }
}

/// A record of any named collection, read for its name.
#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    name: Option<String>,
}

/// Replaces, in table rows, the ids of `named` fields by their names.
pub async fn name_rows(names: &mut Names<'_>, named: &[(&str, Kind)], rows: &mut [Value]) {
    for row in rows.iter_mut() {
        for (field, kind) in named {
            let Some(id) = row[*field].as_str().map(str::to_string) else {
                continue;
            };
            if let Some(name) = names.find(*kind, &id).await {
                row[*field] = Value::String(name);
            }
        }
    }
}

/// A service type id from a name or an id.
pub(super) async fn service_type_id(client: &Client, name_or_id: &str) -> Result<Uuid, Failure> {
    if let Ok(id) = name_or_id.parse() {
        return Ok(id);
    }
    let page = client
        .list::<ServiceTypes>(&format!("pageSize=100&name={}", super::encode(name_or_id)))
        .await?;
    page.items
        .into_iter()
        .find(|service_type| service_type.name.eq_ignore_ascii_case(name_or_id))
        .map(|service_type| service_type.id)
        .ok_or_else(|| Failure {
            code: 1,
            message: format!("no service type is named {name_or_id:?}"),
        })
}

//! What the suite needs to know about each pool family: its paths and wire
//! names, how the provider makes a list pool of it, and how a holder (an
//! ordered service, a created agent) takes a value and ends.

use federa_testkit::{Federation, Response, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// The pooled property every holder of the suite fills.
pub const PROPERTY: &str = "publicIp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Service,
    Config,
}

impl Family {
    pub fn pools(self) -> &'static str {
        match self {
            Family::Service => "/api/v1/service-pools",
            Family::Config => "/api/v1/config-pools",
        }
    }

    pub fn values(self) -> &'static str {
        match self {
            Family::Service => "/api/v1/service-pool-values",
            Family::Config => "/api/v1/config-pool-values",
        }
    }

    pub fn pool_id_field(self) -> &'static str {
        match self {
            Family::Service => "servicePoolId",
            Family::Config => "configPoolId",
        }
    }

    pub fn holder_field(self) -> &'static str {
        match self {
            Family::Service => "serviceId",
            Family::Config => "agentId",
        }
    }

    /// The holder's field the pooled property is filled into.
    pub fn filled(self) -> &'static str {
        match self {
            Family::Service => "properties",
            Family::Config => "configuration",
        }
    }

    /// The prefix of the event kinds of pools and of values.
    pub fn event_prefixes(self) -> (&'static str, &'static str) {
        match self {
            Family::Service => ("service_pool", "service_pool_value"),
            Family::Config => ("config_pool", "config_pool_value"),
        }
    }

    /// Whether the provider's agent may read the values of its provider's
    /// pools: service pool values yes, config pool values no.
    pub fn agent_reads_values(self) -> bool {
        self == Family::Service
    }

    /// A server with a federation whose holders of this family take
    /// [`PROPERTY`] from the provider's pool of `pool_type`.
    pub async fn start(self, pool_type: &str) -> Kit {
        let server = TestServer::start().await;
        let (f, holder_type, set) = match self {
            Family::Service => {
                let f = Federation::create_with(&server, &pooled_service_type(pool_type)).await;
                let set = attached_set(&server, &f).await;
                let service_type = f.service_type_id.clone();
                (f, service_type, Some(set))
            }
            Family::Config => {
                let f = Federation::create(&server).await;
                let agent_type = pooled_agent_type(&server, pool_type).await;
                (f, agent_type, None)
            }
        };
        Kit {
            family: self,
            server,
            f,
            holder_type,
            set,
        }
    }
}

/// A running server, its federation and where one family's holders draw.
pub struct Kit {
    pub family: Family,
    pub server: TestServer,
    pub f: Federation,
    /// The service type or agent type whose holders take a value.
    pub holder_type: String,
    /// The service pool set the provider's agent draws from.
    pub set: Option<String>,
}

impl Kit {
    /// The body creating a provider's list pool of `pool_type` of strings.
    pub fn pool_body(&self, name: &str, pool_type: &str) -> Value {
        let mut body = json!({"name": name, "type": pool_type, "propertyType": "string", "generatorType": "list"});
        match self.family {
            Family::Service => body["servicePoolSetId"] = json!(self.set),
            Family::Config => body["participantId"] = json!(self.f.provider_id),
        }
        body
    }

    /// A provider's list pool of `pool_type` holding `values`, oldest first.
    pub async fn provider_pool(&self, pool_type: &str, values: &[&str]) -> String {
        let pool = id(&self
            .server
            .post(
                self.family.pools(),
                &self.f.provider_token,
                &self.pool_body(&format!("{pool_type} pool"), pool_type),
            )
            .await);
        for (n, value) in values.iter().enumerate() {
            id(&self
                .add_value(&pool, &format!("value-{n}"), json!(value))
                .await);
        }
        pool
    }

    pub async fn add_value(&self, pool: &str, name: &str, value: Value) -> Response {
        let field = self.family.pool_id_field();
        self.server
            .post(
                self.family.values(),
                &self.f.provider_token,
                &json!({field: pool, "name": name, "value": value}),
            )
            .await
    }

    /// Writes one holder that takes a value: an order, or a new agent.
    pub async fn take(&self, name: &str) -> Response {
        match self.family {
            Family::Service => {
                self.server
                    .post("/api/v1/services", &self.f.consumer_token, &order(&self.f, name))
                    .await
            }
            Family::Config => {
                self.server
                    .post(
                        "/api/v1/agents",
                        &self.f.provider_token,
                        &json!({"name": name, "providerId": self.f.provider_id, "agentTypeId": self.holder_type}),
                    )
                    .await
            }
        }
    }

    /// The value a written holder took.
    pub fn taken<'a>(&self, holder: &'a Value) -> &'a Value {
        &holder[self.family.filled()][PROPERTY]
    }

    /// Ends a holder, which gives its values back: a service is created and
    /// deleted, an agent deleted.
    pub async fn end(&self, holder: &str) {
        match self.family {
            Family::Service => {
                let (server, f) = (&self.server, &self.f);
                server.run_job(&f.agent_token, "create").await;
                let deleted = server
                    .delete(&format!("/api/v1/services/{holder}"), &f.consumer_token)
                    .await;
                assert_eq!(deleted.status, 204, "{:?}", deleted.body);
                server.run_job(&f.agent_token, "delete").await;
            }
            Family::Config => {
                let deleted = self
                    .server
                    .delete(&format!("/api/v1/agents/{holder}"), &self.f.provider_token)
                    .await;
                assert_eq!(deleted.status, 204, "{:?}", deleted.body);
            }
        }
    }

    /// How many holders of the suite's type exist.
    pub async fn holders(&self) -> u64 {
        let path = match self.family {
            Family::Service => "/api/v1/services?pageSize=1".to_string(),
            Family::Config => format!("/api/v1/agents?agentTypeId={}&pageSize=1", self.holder_type),
        };
        total(&self.server, &path).await
    }

    /// Every value of `pool`.
    pub async fn values_of(&self, pool: &str) -> Vec<Value> {
        let path = format!(
            "{}?{}={pool}&pageSize=100",
            self.family.values(),
            self.family.pool_id_field()
        );
        let page = self.server.get(&path, ADMIN_TOKEN).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        page.body["items"].as_array().expect("items").clone()
    }

    /// How many events of `kind` the log holds.
    pub async fn events(&self, kind: &str) -> u64 {
        total(&self.server, &format!("/api/v1/events?type={kind}")).await
    }
}

pub fn id(response: &Response) -> String {
    assert!(
        (200..300).contains(&response.status),
        "{} {:?}",
        response.status,
        response.body
    );
    response.body["id"].as_str().expect("id").to_string()
}

pub fn error(body: &Value) -> String {
    body["error"].as_str().unwrap_or_default().to_string()
}

pub fn names(page: &Response) -> Vec<String> {
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub async fn total(server: &TestServer, path: &str) -> u64 {
    let page = server.get(path, ADMIN_TOKEN).await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body["totalItems"].as_u64().expect("totalItems")
}

/// A lifecycle where both a failed create and a delete end the service.
const ENDING_LIFECYCLE: &str = r#"{
  "states": [{"name": "New"}, {"name": "Running"}, {"name": "Failed"}, {"name": "Deleted"}],
  "actions": [
    {"name": "create", "transitions": [
      {"from": "New", "to": "Running"},
      {"from": "New", "to": "Failed", "onError": true}
    ]},
    {"name": "delete", "transitions": [{"from": "Running", "to": "Deleted"}]}
  ],
  "initialState": "New",
  "terminalStates": ["Failed", "Deleted"],
  "runningStates": ["Running"]
}"#;

/// A service type whose properties named in `pooled` (property, poolType,
/// type) are filled from pools.
pub fn pooled_type(pooled: &[(&str, &str, &str)]) -> Value {
    let mut properties = json!({"hostname": {"type": "string", "required": true}});
    for (property, pool_type, kind) in pooled {
        properties[*property] = json!({
            "type": kind,
            "generator": {"type": "pool", "config": {"poolType": pool_type}},
        });
    }
    json!({
        "name": "Pooled VM",
        "propertySchema": {"properties": properties},
        "lifecycleSchema": serde_json::from_str::<Value>(ENDING_LIFECYCLE).unwrap(),
    })
}

fn pooled_service_type(pool_type: &str) -> Value {
    pooled_type(&[(PROPERTY, pool_type, "string")])
}

pub fn order(federation: &Federation, name: &str) -> Value {
    json!({
        "name": name,
        "serviceTypeId": federation.service_type_id,
        "groupId": federation.group_id,
        "properties": {"hostname": name},
    })
}

/// A pool set of the provider that its agent draws from.
pub async fn attached_set(server: &TestServer, federation: &Federation) -> String {
    let set = id(&server
        .post(
            "/api/v1/service-pool-sets",
            &federation.provider_token,
            &json!({"name": "Production", "providerId": federation.provider_id}),
        )
        .await);
    let attached = server
        .patch(
            &format!("/api/v1/agents/{}", federation.agent_id),
            &federation.provider_token,
            &json!({"servicePoolSetId": set}),
        )
        .await;
    assert_eq!(attached.status, 200, "{:?}", attached.body);
    set
}

/// An agent type whose configuration takes [`PROPERTY`] from the pool of
/// `pool_type`.
pub async fn pooled_agent_type(server: &TestServer, pool_type: &str) -> String {
    id(&server
        .post(
            "/api/v1/agent-types",
            ADMIN_TOKEN,
            &json!({
                "name": format!("Edge router {pool_type}"),
                "configurationSchema": {"properties": {
                    "region": {"type": "string"},
                    PROPERTY: {"type": "string", "generator": {"type": "pool", "config": {"poolType": pool_type}}},
                }},
            }),
        )
        .await)
}

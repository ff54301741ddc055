//! A small federation built through the API: the catalogue, one provider
//! with an agent, one consumer with a service group, and their tokens.

use serde_json::{json, Value};

use crate::api::Api;
use crate::server::ADMIN_TOKEN;

pub use federa_domain::lifecycle::EXAMPLE_VM_LIFECYCLE;
pub use federa_domain::property_schema::{EXAMPLE_VM_PROPERTIES, EXAMPLE_VM_PROPERTY_SCHEMA};

/// Ids and tokens of a federation made by [`Federation::create`].
pub struct Federation {
    pub service_type_id: String,
    pub agent_type_id: String,
    pub provider_id: String,
    pub provider_token: String,
    pub agent_id: String,
    pub agent_token: String,
    pub consumer_id: String,
    pub consumer_token: String,
    pub group_id: String,
}

fn id_of(response: &crate::Response) -> String {
    assert!(
        (200..300).contains(&response.status),
        "{} {:?}",
        response.status,
        response.body
    );
    response.body["id"].as_str().expect("id").to_string()
}

impl Federation {
    /// A VM service type (the domain's example schemas), an agent type
    /// offering it, a provider with one agent, and a consumer with a group.
    pub async fn create(server: &Api) -> Federation {
        let vm = json!({
            "name": "VM",
            "propertySchema": serde_json::from_str::<Value>(EXAMPLE_VM_PROPERTY_SCHEMA).unwrap(),
            "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
        });
        Federation::create_with(server, &vm).await
    }

    /// The same federation around another service type (a create body).
    pub async fn create_with(server: &Api, service_type: &Value) -> Federation {
        let service_type_id = id_of(
            &server
                .post("/api/v1/service-types", ADMIN_TOKEN, service_type)
                .await,
        );
        let agent_type_id = id_of(
            &server
                .post(
                    "/api/v1/agent-types",
                    ADMIN_TOKEN,
                    &json!({
                        "name": "Hypervisor",
                        "serviceTypeIds": [service_type_id],
                        "configurationSchema": {"properties": {"region": {"type": "string"}}},
                    }),
                )
                .await,
        );
        let provider_id = server.participant("Provider").await;
        let provider_token = server.token("participant", Some(&provider_id)).await;
        let consumer_id = server.participant("Consumer").await;
        let consumer_token = server.token("participant", Some(&consumer_id)).await;
        let mut federation = Federation {
            service_type_id,
            agent_type_id,
            provider_id,
            provider_token,
            agent_id: String::new(),
            agent_token: String::new(),
            consumer_id,
            consumer_token,
            group_id: String::new(),
        };
        let (agent_id, agent_token) = federation.agent(server, "agent-1", &[]).await;
        federation.agent_id = agent_id;
        federation.agent_token = agent_token;
        federation.group_id = federation.group(server, "web").await;
        federation
    }

    /// Another agent of the provider, with its token.
    pub async fn agent(&self, server: &Api, name: &str, tags: &[&str]) -> (String, String) {
        let agent_id = id_of(
            &server
                .post(
                    "/api/v1/agents",
                    &self.provider_token,
                    &json!({"name": name, "providerId": self.provider_id, "agentTypeId": self.agent_type_id, "tags": tags}),
                )
                .await,
        );
        let agent_token = server.token("agent", Some(&agent_id)).await;
        (agent_id, agent_token)
    }

    /// Another service group of the consumer.
    pub async fn group(&self, server: &Api, name: &str) -> String {
        id_of(
            &server
                .post(
                    "/api/v1/service-groups",
                    &self.consumer_token,
                    &json!({"name": name, "consumerId": self.consumer_id}),
                )
                .await,
        )
    }

    /// The body of a valid order for a VM named `name` in the default group.
    pub fn order(&self, name: &str) -> Value {
        let mut properties: Value = serde_json::from_str(EXAMPLE_VM_PROPERTIES).unwrap();
        properties["name"] = json!(name);
        json!({
            "name": name,
            "serviceTypeId": self.service_type_id,
            "groupId": self.group_id,
            "properties": properties,
        })
    }

    /// Orders a VM as the consumer and returns the service id.
    pub async fn order_service(&self, server: &Api, name: &str) -> String {
        id_of(
            &server
                .post("/api/v1/services", &self.consumer_token, &self.order(name))
                .await,
        )
    }
}

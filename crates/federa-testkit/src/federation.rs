//! A small federation built through the API: the catalogue, one provider
//! with an agent, one consumer with a service group, and their tokens.

use federa_client::api::agent_types::AgentTypeCreateReq;
use federa_client::api::agents::AgentCreateReq;
use federa_client::api::placement::OrderedServiceRes;
use federa_client::api::service_groups::ServiceGroupCreateReq;
use federa_client::api::service_types::ServiceTypeRes;
use federa_client::{AgentTypes, Agents, Method, ServiceGroups};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::api::Api;

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

/// An id this federation holds, as the typed requests take it.
fn uuid(id: &str) -> Uuid {
    id.parse().expect("an id the exchange gave")
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
        let created: ServiceTypeRes = server
            .admin
            .submit(Method::POST, "/service-types", service_type)
            .await
            .expect("service type created");
        let agent_type = AgentTypeCreateReq {
            name: "Hypervisor".to_string(),
            service_type_ids: vec![created.id],
            configuration_schema: json!({"properties": {"region": {"type": "string"}}}),
            config_template: None,
            cmd_template: None,
            config_content_type: None,
        };
        let agent_type = server.admin.create::<AgentTypes>(&agent_type).await;
        let agent_type_id = agent_type.expect("agent type created").id.to_string();
        let service_type_id = created.id.to_string();
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
        let request = AgentCreateReq {
            name: name.to_string(),
            provider_id: uuid(&self.provider_id),
            agent_type_id: uuid(&self.agent_type_id),
            tags: tags.iter().map(|tag| tag.to_string()).collect(),
            configuration: None,
            service_pool_set_id: None,
        };
        let created = server
            .client(&self.provider_token)
            .create::<Agents>(&request)
            .await;
        let agent_id = created.expect("agent created").id.to_string();
        let agent_token = server.token("agent", Some(&agent_id)).await;
        (agent_id, agent_token)
    }

    /// Another service group of the consumer.
    pub async fn group(&self, server: &Api, name: &str) -> String {
        let request = ServiceGroupCreateReq {
            name: name.to_string(),
            consumer_id: uuid(&self.consumer_id),
            project_id: None,
        };
        let created = server
            .client(&self.consumer_token)
            .create::<ServiceGroups>(&request)
            .await;
        created.expect("service group created").id.to_string()
    }

    /// The body of a valid order for a VM named `name` in the default group.
    pub fn order(&self, name: &str) -> Value {
        let mut properties: serde_json::Map<String, Value> =
            serde_json::from_str(EXAMPLE_VM_PROPERTIES).unwrap();
        properties.insert("name".to_string(), json!(name));
        json!({
            "name": name,
            "serviceTypeId": self.service_type_id,
            "groupId": self.group_id,
            "properties": properties,
        })
    }

    /// Orders a VM as the consumer and returns the service id.
    pub async fn order_service(&self, server: &Api, name: &str) -> String {
        let ordered: OrderedServiceRes = server
            .client(&self.consumer_token)
            .submit(Method::POST, "/services", &self.order(name))
            .await
            .expect("service ordered");
        ordered.service.id.to_string()
    }
}

//! The resources that are lists of records with the same five verbs: list
//! a page, create, read, update (PATCH) and delete. Each is a marker type
//! naming its path and its wire types, so one set of methods serves them
//! all: `client.create::<Participants>(&request)`.

use federa_api::{
    agent_types, agents, metric_types, offerings, participants, people, placement_policies,
    projects, provider_profiles, service_groups, service_option_types, service_options,
    service_pool_sets, service_types, services, tokens, PageRes,
};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::{Client, ClientError};

/// A collection of records under `/api/v1`.
pub trait Collection {
    /// Its path, e.g. `/participants`.
    const PATH: &'static str;
    /// A record as the exchange answers with it.
    type Record: DeserializeOwned;
    type Create: Serialize + ?Sized;
    type Update: Serialize + ?Sized;
}

macro_rules! collections {
    ($($(#[$doc:meta])* $name:ident = $path:literal, $record:ty, $create:ty, $update:ty;)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl Collection for $name {
            const PATH: &'static str = $path;
            type Record = $record;
            type Create = $create;
            type Update = $update;
        }
    )*};
}

collections! {
    Participants = "/participants", participants::ParticipantRes, participants::ParticipantCreateReq, participants::ParticipantUpdateReq;
    Tokens = "/tokens", tokens::TokenRes, tokens::TokenCreateReq, tokens::TokenUpdateReq;
    Agents = "/agents", agents::AgentRes, agents::AgentCreateReq, agents::AgentUpdateReq;
    AgentTypes = "/agent-types", agent_types::AgentTypeRes, agent_types::AgentTypeCreateReq, agent_types::AgentTypeUpdateReq;
    ServiceTypes = "/service-types", service_types::ServiceTypeRes, service_types::ServiceTypeCreateReq, service_types::ServiceTypeUpdateReq;
    ServiceGroups = "/service-groups", service_groups::ServiceGroupRes, service_groups::ServiceGroupCreateReq, service_groups::ServiceGroupUpdateReq;
    Projects = "/projects", projects::ProjectRes, projects::ProjectCreateReq, projects::ProjectUpdateReq;
    Users = "/users", people::UserRes, people::UserCreateReq, people::UserUpdateReq;
    Memberships = "/memberships", people::MembershipRes, people::MembershipCreateReq, people::MembershipUpdateReq;
    /// Creating a service orders it: see [`Client::order_service`] for the
    /// answer with its placement.
    Services = "/services", services::ServiceRes, services::ServiceCreateReq, services::ServiceUpdateReq;
    MetricTypes = "/metric-types", metric_types::MetricTypeRes, metric_types::MetricTypeCreateReq, metric_types::MetricTypeUpdateReq;
    Offerings = "/offerings", offerings::OfferingRes, offerings::OfferingCreateReq, offerings::OfferingUpdateReq;
    ProviderProfiles = "/provider-profiles", provider_profiles::ProviderProfileRes, provider_profiles::ProviderProfileCreateReq, provider_profiles::ProviderProfileUpdateReq;
    PlacementPolicies = "/placement-policies", placement_policies::PlacementPolicyRes, placement_policies::PlacementPolicyCreateReq, placement_policies::PlacementPolicyUpdateReq;
    ServiceOptionTypes = "/service-option-types", service_option_types::ServiceOptionTypeRes, service_option_types::ServiceOptionTypeCreateReq, service_option_types::ServiceOptionTypeUpdateReq;
    ServiceOptions = "/service-options", service_options::ServiceOptionRes, service_options::ServiceOptionCreateReq, service_options::ServiceOptionUpdateReq;
    ServicePoolSets = "/service-pool-sets", service_pool_sets::ServicePoolSetRes, service_pool_sets::ServicePoolSetCreateReq, service_pool_sets::ServicePoolSetUpdateReq;
}

impl Client {
    /// A page of `C`; `query` is a URL query (`pageSize=100&name=web`),
    /// already encoded.
    pub async fn list<C: Collection>(
        &self,
        query: &str,
    ) -> Result<PageRes<C::Record>, ClientError> {
        self.fetch(&format!("{}?{query}", C::PATH)).await
    }

    /// Creates a record of `C`.
    pub async fn create<C: Collection>(
        &self,
        request: &C::Create,
    ) -> Result<C::Record, ClientError> {
        self.submit(Method::POST, C::PATH, request).await
    }

    /// One record of `C`.
    pub async fn read<C: Collection>(&self, id: Uuid) -> Result<C::Record, ClientError> {
        self.fetch(&format!("{}/{id}", C::PATH)).await
    }

    /// Changes a record of `C`: what `change` leaves out stays as it is.
    pub async fn update<C: Collection>(
        &self,
        id: Uuid,
        change: &C::Update,
    ) -> Result<C::Record, ClientError> {
        self.submit(Method::PATCH, &format!("{}/{id}", C::PATH), change)
            .await
    }

    /// Deletes a record of `C`.
    pub async fn remove<C: Collection>(&self, id: Uuid) -> Result<(), ClientError> {
        self.delete(&format!("{}/{id}", C::PATH)).await?.into_ok()
    }
}

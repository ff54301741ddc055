//! The shared catalogue: what can be ordered (service types), what can run
//! it (agent types and the agents of each provider), how consumers group
//! their services, and the option lists providers publish for properties.

pub mod agent;
pub mod agent_install;
pub mod agent_type;
pub mod liveness;
pub mod service_group;
pub mod service_option;
pub mod service_type;
pub mod templates;

pub use agent::{check_tags, Agent, AgentStatus, AGENT_LIST};
pub use agent_install::{AgentInstall, INSTALLED_AGENT_TOKEN_LIFETIME, INSTALL_TTL};
pub use agent_type::{check_agent_type, AgentType, AGENT_TYPE_LIST};
pub use liveness::{revived_by_sign_of_life, Liveness, DEFAULT_AGENT_TIMEOUT};
pub use service_group::{ServiceGroup, SERVICE_GROUP_LIST};
pub use service_option::{
    check_option_type_key, ServiceOption, ServiceOptionType, SERVICE_OPTION_LIST,
    SERVICE_OPTION_TYPE_LIST,
};
pub use service_type::{check_service_type_schemas, ServiceType, SERVICE_TYPE_LIST};

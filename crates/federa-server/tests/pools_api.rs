//! Pools of both families over HTTP, and the values they hand out: service
//! pools to ordered services, config pools to agents' configurations. The
//! shared cases run once per family; what only one family does is a case
//! of its own.

#[path = "pools/config_cases.rs"]
mod config_cases;
#[path = "pools/family.rs"]
mod family;
#[path = "pools/service_cases.rs"]
mod service_cases;
#[path = "pools/shared_cases.rs"]
mod shared_cases;

//! What Fulcrum Core answers, read from its source (`pkg/api/handlers_*.go`
//! at 499230a): the members its response types always carry, with their
//! JSON types. Members Fulcrum leaves out when empty are not listed.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Num,
    Bool,
    Obj,
    Arr,
    /// A value of the caller's own data, of any type.
    Any,
}

impl Kind {
    pub fn of(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Num => "number",
            Kind::Bool => "boolean",
            Kind::Obj => "object",
            Kind::Arr => "array",
            Kind::Any => "any",
        }
    }

    pub fn admits(self, value: &Value) -> bool {
        self == Kind::Any || Kind::of(value) == self.name()
    }
}

pub type Shape = &'static [(&'static str, Kind)];

use Kind::*;

pub const PARTICIPANT: Shape = &[
    ("id", Str),
    ("name", Str),
    ("status", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const TOKEN: Shape = &[
    ("id", Str),
    ("name", Str),
    ("role", Str),
    ("expireAt", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const SERVICE_TYPE: Shape = &[
    ("id", Str),
    ("name", Str),
    ("propertySchema", Obj),
    ("lifecycleSchema", Obj),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const AGENT_TYPE: Shape = &[
    ("id", Str),
    ("name", Str),
    ("serviceTypeIds", Arr),
    ("configurationSchema", Obj),
    ("configTemplate", Str),
    ("cmdTemplate", Str),
    ("configContentType", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const AGENT: Shape = &[
    ("id", Str),
    ("name", Str),
    ("status", Str),
    ("providerId", Str),
    ("agentTypeId", Str),
    ("tags", Arr),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const SERVICE_GROUP: Shape = &[
    ("id", Str),
    ("name", Str),
    ("consumerId", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const SERVICE: Shape = &[
    ("id", Str),
    ("providerId", Str),
    ("consumerId", Str),
    ("agentId", Str),
    ("serviceTypeId", Str),
    ("groupId", Str),
    ("name", Str),
    ("status", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const JOB: Shape = &[
    ("id", Str),
    ("providerId", Str),
    ("consumerId", Str),
    ("agentId", Str),
    ("serviceId", Str),
    ("action", Str),
    ("status", Str),
    ("priority", Num),
    ("createdAt", Str),
    ("updatedAt", Str),
    ("service", Obj),
];
pub const METRIC_TYPE: Shape = &[
    ("id", Str),
    ("name", Str),
    ("entityType", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const METRIC_ENTRY: Shape = &[
    ("id", Str),
    ("providerId", Str),
    ("consumerId", Str),
    ("agentId", Str),
    ("serviceId", Str),
    ("resourceId", Str),
    ("value", Num),
    ("typeId", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const AGGREGATE: Shape = &[
    ("data", Arr),
    ("aggregate", Str),
    ("bucket", Str),
    ("start", Str),
    ("end", Str),
];
pub const POOL_SET: Shape = &[
    ("id", Str),
    ("name", Str),
    ("providerID", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const POOL: Shape = &[
    ("id", Str),
    ("name", Str),
    ("type", Str),
    ("propertyType", Str),
    ("generatorType", Str),
    ("servicePoolSetId", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const POOL_VALUE: Shape = &[
    ("id", Str),
    ("name", Str),
    ("value", Any),
    ("servicePoolId", Str),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const SECRET: Shape = &[("value", Any)];
pub const EVENT: Shape = &[
    ("id", Str),
    ("sequenceNumber", Num),
    ("initiatorType", Str),
    ("initiatorId", Str),
    ("type", Str),
    ("properties", Obj),
    ("createdAt", Str),
    ("updatedAt", Str),
];
pub const LEASE: Shape = &[
    ("events", Arr),
    ("leaseExpiresAt", Str),
    ("lastEventSequenceProcessed", Num),
];
pub const ACK: Shape = &[("lastEventSequenceProcessed", Num)];
pub const INSTALL_COMMAND: Shape = &[("installCommand", Str), ("url", Str), ("expiresAt", Str)];
pub const INSTALL_META: Shape = &[("id", Str), ("expiresAt", Str), ("createdAt", Str)];
pub const PAGE: Shape = &[
    ("items", Arr),
    ("totalItems", Num),
    ("totalPages", Num),
    ("currentPage", Num),
    ("hasNext", Bool),
    ("hasPrev", Bool),
];

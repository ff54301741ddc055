use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// The most entries one batch may carry.
pub const MAX_BATCH_ENTRIES: usize = 5000;
pub const MAX_RESOURCE_ID_CHARS: usize = 255;
/// The largest magnitude a reported value may have. Up to here `f64`
/// still counts whole units exactly (2^53 is about 9e15), and any sum an
/// invoice makes of such values stays far inside what its decimal money
/// can hold, so no accepted value can drop out of a bill.
pub const MAX_ABS_VALUE: f64 = 1e15;
/// How far ahead of the exchange's clock a reported timestamp may be: enough
/// for an agent host whose clock drifts, too little to plant data in the
/// future of every chart.
pub const MAX_FUTURE_SKEW: TimeDelta = TimeDelta::minutes(5);

/// The service an entry is about, as the reporter named it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServiceRef {
    Id(Uuid),
    /// The id the agent's infrastructure gave the service; unique per agent
    /// only, so it names a service only together with the reporting agent.
    AgentInstance {
        agent_id: Uuid,
        instance_id: String,
    },
}

/// One measurement as reported, before anything about it is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    pub service_id: Option<Uuid>,
    pub agent_instance_id: Option<String>,
    pub resource_id: String,
    pub type_name: String,
    pub value: f64,
    pub timestamp: Option<DateTime<Utc>>,
}

/// A measurement whose fields are sound; its service and type are still
/// names to look up.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEntry {
    pub service: ServiceRef,
    pub resource_id: String,
    pub type_name: String,
    pub value: f64,
    pub measured_at: DateTime<Utc>,
}

/// Checks one reported entry. `prefix` locates it in the request
/// (`entries[3]`, or empty for a lone entry) so every error names the exact
/// field. `reporter_agent` is the calling agent, the only one an
/// `agentInstanceId` can be resolved against. A `serviceId`, when given,
/// wins over an `agentInstanceId`, as in Fulcrum.
pub fn check_entry(
    prefix: &str,
    draft: EntryDraft,
    reporter_agent: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<ValidEntry, Vec<FieldError>> {
    let mut errors = Vec::new();
    let instance_text = draft.agent_instance_id.clone();

    let service = match (draft.service_id, draft.agent_instance_id, reporter_agent) {
        (Some(id), _, _) => Some(ServiceRef::Id(id)),
        (None, Some(instance), Some(agent_id)) if !instance.trim().is_empty() => {
            Some(ServiceRef::AgentInstance {
                agent_id,
                instance_id: instance,
            })
        }
        (None, Some(_), Some(_)) => {
            errors.push(FieldError::new("agentInstanceId", "must not be empty").under(prefix));
            None
        }
        (None, Some(_), None) => {
            errors.push(
                FieldError::new(
                    "serviceId",
                    "is required: only an agent can name its service by agentInstanceId",
                )
                .under(prefix),
            );
            None
        }
        (None, None, _) => {
            errors.push(
                FieldError::new(
                    "serviceId",
                    "is required (an agent may give agentInstanceId instead)",
                )
                .under(prefix),
            );
            None
        }
    };

    if draft.resource_id.trim().is_empty() {
        errors.push(FieldError::new("resourceId", "must not be empty").under(prefix));
    } else if draft.resource_id.chars().count() > MAX_RESOURCE_ID_CHARS {
        errors.push(
            FieldError::new(
                "resourceId",
                format!("must be at most {MAX_RESOURCE_ID_CHARS} characters"),
            )
            .under(prefix),
        );
    }

    if draft.type_name.trim().is_empty() {
        errors.push(FieldError::new("typeName", "must not be empty").under(prefix));
    }

    if !draft.value.is_finite() || draft.value.abs() > MAX_ABS_VALUE {
        errors.push(
            FieldError::new("value", "must be a finite number from -1e15 to 1e15").under(prefix),
        );
    }
    // PostgreSQL cannot store U+0000 in text; refused on every backend.
    for (field, text) in [
        ("resourceId", Some(draft.resource_id.as_str())),
        ("typeName", Some(draft.type_name.as_str())),
        ("agentInstanceId", instance_text.as_deref()),
    ] {
        if text.is_some_and(|text| text.contains('\0')) {
            errors.push(
                FieldError::new(field, "must not contain the NUL character (U+0000)").under(prefix),
            );
        }
    }

    let measured_at = draft.timestamp.unwrap_or(now);
    if measured_at > now + MAX_FUTURE_SKEW {
        errors.push(
            FieldError::new(
                "timestamp",
                format!(
                    "must not be more than {} minutes ahead of the exchange's clock",
                    MAX_FUTURE_SKEW.num_minutes()
                ),
            )
            .under(prefix),
        );
    }

    match service {
        Some(service) if errors.is_empty() => Ok(ValidEntry {
            service,
            resource_id: draft.resource_id,
            type_name: draft.type_name.trim().to_string(),
            value: draft.value,
            // Both databases keep microseconds; truncating here makes the
            // stored value the one answered.
            measured_at: measured_at
                .duration_trunc(TimeDelta::microseconds(1))
                .unwrap_or(measured_at),
        }),
        _ => Err(errors),
    }
}

/// What an entry needs to know about its service: who runs, provides and
/// consumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricTarget {
    pub service_id: Uuid,
    pub agent_id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub agent_instance_id: Option<String>,
}

impl MetricTarget {
    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id)
            .with_consumer(self.consumer_id)
            .with_agent(Some(self.agent_id))
    }
}

/// One stored measurement. It carries its service's agent, provider and
/// consumer so listing by any of them needs no join.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricEntry {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub service_id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub resource_id: String,
    pub type_id: Uuid,
    pub value: f64,
    /// When the value was measured: the reported timestamp, else the time
    /// the exchange received it.
    pub created_at: DateTime<Utc>,
}

impl MetricEntry {
    pub fn record(
        id: Uuid,
        entry: ValidEntry,
        target: &MetricTarget,
        type_id: Uuid,
    ) -> MetricEntry {
        MetricEntry {
            id,
            agent_id: target.agent_id,
            service_id: target.service_id,
            provider_id: target.provider_id,
            consumer_id: target.consumer_id,
            resource_id: entry.resource_id,
            type_id,
            value: entry.value,
            created_at: entry.measured_at,
        }
    }

    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id)
            .with_consumer(self.consumer_id)
            .with_agent(Some(self.agent_id))
    }
}

/// Fulcrum's filters, plus `since`/`until` on the measurement time.
pub const METRIC_ENTRY_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("agentId", "agent_id", FilterKind::Uuid),
        FilterSpec::new("serviceId", "service_id", FilterKind::Uuid),
        FilterSpec::new("typeId", "type_id", FilterKind::Uuid),
        FilterSpec::new("resourceId", "resource_id", FilterKind::Contains),
        FilterSpec::new("since", "created_at", FilterKind::Since),
        FilterSpec::new("until", "created_at", FilterKind::Until),
    ],
    sorts: &[("createdAt", "created_at"), ("value", "value")],
    default_sort: ("created_at", false),
};

/// The distinct resource ids of the entries the same filters select.
pub const RESOURCE_ID_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("agentId", "agent_id", FilterKind::Uuid),
        FilterSpec::new("serviceId", "service_id", FilterKind::Uuid),
        FilterSpec::new("typeId", "type_id", FilterKind::Uuid),
        FilterSpec::new("resourceId", "resource_id", FilterKind::Contains),
    ],
    sorts: &[("resourceId", "resource_id")],
    default_sort: ("resource_id", false),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2025-03-01T12:00:00Z".parse().unwrap()
    }

    fn draft() -> EntryDraft {
        EntryDraft {
            service_id: Some(Uuid::nil()),
            agent_instance_id: None,
            resource_id: "cpu-1".into(),
            type_name: "cpu.usage".into(),
            value: 78.5,
            timestamp: None,
        }
    }

    fn paths(result: Result<ValidEntry, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.path).collect()
    }

    #[test]
    fn a_sound_entry_is_measured_now_unless_it_says_when() {
        let entry = check_entry("", draft(), None, now()).unwrap();
        assert_eq!(entry.measured_at, now());
        assert_eq!(entry.service, ServiceRef::Id(Uuid::nil()));

        let earlier: DateTime<Utc> = "2025-02-01T00:00:00.123456789Z".parse().unwrap();
        let dated = EntryDraft {
            timestamp: Some(earlier),
            ..draft()
        };
        let entry = check_entry("", dated, None, now()).unwrap();
        assert_eq!(
            entry.measured_at.to_rfc3339(),
            "2025-02-01T00:00:00.123456+00:00"
        );
    }

    #[test]
    fn every_bad_field_is_named_under_the_entry_prefix() {
        let bad = EntryDraft {
            service_id: None,
            agent_instance_id: None,
            resource_id: " ".into(),
            type_name: String::new(),
            value: f64::NAN,
            timestamp: Some(now() + TimeDelta::minutes(6)),
        };
        assert_eq!(
            paths(check_entry("entries[3]", bad, None, now())),
            [
                "entries[3].serviceId",
                "entries[3].resourceId",
                "entries[3].typeName",
                "entries[3].value",
                "entries[3].timestamp",
            ]
        );
    }

    #[test]
    fn values_must_be_finite() {
        for value in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e308, -1.5e15] {
            let bad = EntryDraft { value, ..draft() };
            assert_eq!(paths(check_entry("", bad, None, now())), ["value"]);
        }
        let negative = EntryDraft {
            value: -1.5,
            ..draft()
        };
        assert!(check_entry("", negative, None, now()).is_ok());
    }

    #[test]
    fn resource_ids_are_at_most_255_characters() {
        let longest = EntryDraft {
            resource_id: "é".repeat(255),
            ..draft()
        };
        assert!(check_entry("", longest, None, now()).is_ok());
        let too_long = EntryDraft {
            resource_id: "x".repeat(256),
            ..draft()
        };
        assert_eq!(
            paths(check_entry("", too_long, None, now())),
            ["resourceId"]
        );
    }

    #[test]
    fn timestamps_may_run_ahead_by_five_minutes_only() {
        let at_limit = EntryDraft {
            timestamp: Some(now() + TimeDelta::minutes(5)),
            ..draft()
        };
        assert!(check_entry("", at_limit, None, now()).is_ok());
        let beyond = EntryDraft {
            timestamp: Some(now() + TimeDelta::minutes(5) + TimeDelta::seconds(1)),
            ..draft()
        };
        assert_eq!(paths(check_entry("", beyond, None, now())), ["timestamp"]);
    }

    #[test]
    fn an_instance_id_names_a_service_only_for_an_agent() {
        let by_instance = EntryDraft {
            service_id: None,
            agent_instance_id: Some("i-123".into()),
            ..draft()
        };
        let agent = Uuid::from_u128(7);
        let entry = check_entry("", by_instance.clone(), Some(agent), now()).unwrap();
        assert_eq!(
            entry.service,
            ServiceRef::AgentInstance {
                agent_id: agent,
                instance_id: "i-123".into()
            }
        );
        assert_eq!(
            paths(check_entry("", by_instance, None, now())),
            ["serviceId"]
        );
    }

    #[test]
    fn a_service_id_wins_over_an_instance_id() {
        let both = EntryDraft {
            agent_instance_id: Some("i-123".into()),
            ..draft()
        };
        let entry = check_entry("", both, Some(Uuid::from_u128(7)), now()).unwrap();
        assert_eq!(entry.service, ServiceRef::Id(Uuid::nil()));
    }
}

//! An endpoint, its delivery log entries, and the rules its fields follow.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::{Identity, Owners};
use crate::event_kind::EventKind;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// Whether an endpoint is still sent events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointStatus {
    Enabled,
    /// Turned off after its deliveries failed for the whole retry period.
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Enabled => "Enabled",
            EndpointStatus::Disabled => "Disabled",
        }
    }

    pub fn parse(text: &str) -> Option<EndpointStatus> {
        match text {
            "Enabled" => Some(EndpointStatus::Enabled),
            "Disabled" => Some(EndpointStatus::Disabled),
            _ => None,
        }
    }
}

/// A subscribed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: Uuid,
    /// The participant it belongs to; `None` for an admin's endpoint,
    /// which is sent every event.
    pub participant_id: Option<Uuid>,
    pub url: String,
    /// The kinds it is sent; empty means every kind its owner may see.
    pub event_types: Vec<String>,
    pub status: EndpointStatus,
    /// The signing secret sealed by the vault; never the secret itself.
    pub sealed_secret: String,
    /// Every event up to this sequence number has been considered: either
    /// it has a delivery row or the endpoint does not want it.
    pub last_event_sequence: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    pub fn owners(&self) -> Owners {
        self.participant_id.map(Owners::owner).unwrap_or_default()
    }

    /// The caller whose view of the event log the endpoint is sent: the
    /// same rule that decides what `GET /events` shows them.
    pub fn watcher(&self) -> Identity {
        match self.participant_id {
            Some(participant) => Identity::participant(participant),
            None => Identity::admin(),
        }
    }

    /// Whether the endpoint asked for events of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|wanted| wanted == kind)
    }
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// Also the `webhook-id` header, the same on every attempt.
    pub event_id: Uuid,
    pub event_sequence: i64,
    pub event_type: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    /// When the next attempt is due; `None` once delivered.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub const WEBHOOK_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
        FilterSpec::new("status", "status", FilterKind::Exact),
    ],
    sorts: &[("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

pub const WEBHOOK_DELIVERY_LIST: ListSpec = ListSpec {
    filters: &[FilterSpec::new(
        "eventType",
        "event_type",
        FilterKind::Exact,
    )],
    sorts: &[
        ("eventSequence", "event_sequence"),
        ("createdAt", "created_at"),
    ],
    default_sort: ("event_sequence", false),
};

/// The longest URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// An endpoint URL: `https://`, or `http://` to this machine's loopback
/// only, where nothing leaves the host unencrypted.
pub fn check_url(path: &str, text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.chars().count() > MAX_URL_CHARS {
        return Err(FieldError::new(
            path,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let url = url::Url::parse(text)
        .map_err(|error| FieldError::new(path, format!("is not a URL: {error}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FieldError::new(path, "must not carry credentials"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url.to_string()),
        "http" if is_loopback(&url) => Ok(url.to_string()),
        "http" => Err(FieldError::new(
            path,
            "must be https:// (http:// only to a loopback address)",
        )),
        _ => Err(FieldError::new(path, "must be an https:// URL")),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(url::Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

/// The most kinds one endpoint may name.
pub const MAX_EVENT_TYPES: usize = 256;

/// Event kinds to subscribe to: each a kind events carry, each once.
pub fn check_event_types(path: &str, kinds: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    if kinds.len() > MAX_EVENT_TYPES {
        return Err(vec![FieldError::new(
            path,
            format!("must name at most {MAX_EVENT_TYPES} kinds"),
        )]);
    }
    let mut errors = Vec::new();
    let mut accepted: Vec<String> = Vec::new();
    for (index, kind) in kinds.iter().enumerate() {
        let at = format!("{path}[{index}]");
        if EventKind::parse(kind).is_none() {
            errors.push(FieldError::new(at, "is not a known event type"));
        } else if accepted.contains(kind) {
            errors.push(FieldError::new(at, "is named twice"));
        } else {
            accepted.push(kind.clone());
        }
    }
    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        for good in [
            "https://hooks.example.com/in",
            "http://127.0.0.1:8080/hook",
            "http://127.9.9.9/",
            "http://[::1]:9000/x",
            "http://localhost/x",
        ] {
            assert!(check_url("url", good).is_ok(), "{good}");
        }
        for bad in [
            "http://hooks.example.com/in",
            "http://10.0.0.1/",
            "http://[::2]/",
            "ftp://127.0.0.1/",
            "https://user:pw@example.com/",
            "not a url",
            "",
        ] {
            let error = check_url("url", bad).unwrap_err();
            assert_eq!(error.path, "url", "{bad}");
        }
    }

    #[test]
    fn each_unknown_or_repeated_kind_is_named() {
        let kinds = [
            "service.created".to_string(),
            "nope".to_string(),
            "service.created".to_string(),
        ];
        let errors = check_event_types("eventTypes", &kinds).unwrap_err();
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["eventTypes[1]", "eventTypes[2]"]);
        assert_eq!(
            check_event_types("eventTypes", &kinds[..1]).unwrap(),
            ["service.created"]
        );
    }

    #[test]
    fn an_empty_filter_wants_every_kind_and_owners_follow_the_participant() {
        let mut endpoint = WebhookEndpoint {
            id: Uuid::now_v7(),
            participant_id: None,
            url: "https://example.com/".into(),
            event_types: Vec::new(),
            status: EndpointStatus::Enabled,
            sealed_secret: String::new(),
            last_event_sequence: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(endpoint.wants("job.failed"));
        assert!(endpoint.watcher().is_admin());
        let participant = Uuid::now_v7();
        endpoint.participant_id = Some(participant);
        endpoint.event_types = vec!["service.created".into()];
        assert!(endpoint.wants("service.created"));
        assert!(!endpoint.wants("job.failed"));
        assert_eq!(endpoint.owners(), Owners::owner(participant));
        assert_eq!(endpoint.watcher().participant_id(), Some(participant));
    }
}

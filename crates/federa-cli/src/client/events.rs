//! `federa events …`: `list` and `get` the log, and `tail` to follow it.
//! In tables each event names its subject — the kind of object and its
//! name, or its id when it has none the caller may read — and who caused
//! it, by the name of the token (or participant) where it can be read.

use clap::{Args, Subcommand};
use federa_client::api::events::EventRes;
use federa_client::{ClientError, Sent};
use serde::Deserialize;
use uuid::Uuid;

use super::names::{self, Kind, Names};
use super::{connect, output, resources, show_page, Connection, Format, Outcome, ReadVerb, Verb};

#[derive(Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    verb: EventsVerb,
}

#[derive(Subcommand)]
enum EventsVerb {
    #[command(flatten)]
    Generic(ReadVerb),
    /// Follow the log as it grows; Ctrl-C to stop.
    Tail {
        /// Start after this sequence number (default: only new events).
        #[arg(long)]
        after: Option<u64>,
    },
}

/// The columns of an event's line, as [`line`] makes it.
const HEADERS: [&str; 5] = ["SEQ", "TIME", "TYPE", "BY", "SUBJECT"];

/// The widths `tail` pads its columns (all but the last) to, since it
/// cannot measure lines it has not seen; wide enough for every event type.
const TAIL_WIDTHS: &[usize] = &[6, 20, 26, 20];

pub async fn events(connection: &Connection, args: EventsArgs) -> Outcome {
    match args.verb {
        EventsVerb::Generic(ReadVerb::List(list)) => {
            let resource = resources::find("events").expect("events resource");
            let (client, page, connection) = super::list_page(connection, resource, list).await?;
            match connection.output {
                Format::Table => {
                    let events: Vec<EventRes> = page
                        .items
                        .iter()
                        .map(|item| EventRes::deserialize(&item.document))
                        .collect::<Result<_, _>>()
                        .map_err(|e| ClientError::Decode(e.to_string()))?;
                    // Read oldest first, whatever the sort, so that names
                    // learnt from an object's creation serve its later
                    // events (and name what has since been deleted).
                    let mut oldest_first: Vec<usize> = (0..events.len()).collect();
                    oldest_first.sort_by_key(|&i| events[i].sequence_number);
                    let mut lookup = Names::new(&client);
                    let mut lines = vec![Vec::new(); events.len()];
                    for i in oldest_first {
                        lines[i] = line(&mut lookup, &events[i]).await;
                    }
                    println!("{}", output::grid(&HEADERS, lines));
                    super::print_page_count(&page);
                }
                Format::Json | Format::Id => show_page(&connection, resource, &page, &[]),
            }
            Ok(())
        }
        EventsVerb::Generic(verb) => {
            let verb: Verb = verb.into();
            super::resource(connection, "events", super::ResourceArgs { verb }).await
        }
        EventsVerb::Tail { after } => tail(connection, after).await,
    }
}

/// Prints events from the live stream, reconnecting after the last one seen.
async fn tail(connection: &Connection, after: Option<u64>) -> Outcome {
    let client = connect(connection)?;
    let mut lookup = Names::new(&client);
    if connection.output == Format::Table {
        println!(
            "{}",
            output::fixed_row(HEADERS.map(String::from), TAIL_WIDTHS)
        );
    }
    let mut last = after;
    loop {
        let path = match last {
            Some(n) => format!("/events/stream?after={n}"),
            None => "/events/stream".to_string(),
        };
        let mut response = client.open(&path, &[]).await?;
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let message: String = buffer.drain(..end + 2).collect();
                let data: String = message
                    .lines()
                    .filter_map(|line| line.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                let Ok(event) = serde_json::from_str::<Sent<EventRes>>(&data) else {
                    continue;
                };
                last = u64::try_from(event.sequence_number).ok().or(last);
                match connection.output {
                    Format::Json => println!("{}", event.document),
                    Format::Id => println!("{}", event.id),
                    Format::Table => {
                        let line = line(&mut lookup, &event).await;
                        println!("{}", output::fixed_row(line, TAIL_WIDTHS));
                    }
                }
            }
        }
        // The server closes streams after a while; resume after the last.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// An event as a table line: its number, time to the second, type, who
/// caused it and what it is about.
async fn line(lookup: &mut Names<'_>, event: &EventRes) -> Vec<String> {
    vec![
        event.sequence_number.to_string(),
        event.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        event.kind.clone(),
        initiator(lookup, event).await,
        subject(lookup, event).await,
    ]
}

/// Who caused the event: `system`, `admin`, or the token (else the
/// participant or agent) behind the call.
async fn initiator(lookup: &mut Names<'_>, event: &EventRes) -> String {
    let id = event.initiator_id.as_str();
    for kind in [names::TOKEN, names::PARTICIPANT, names::AGENT] {
        if let Some(name) = lookup.find(kind, id).await {
            return name;
        }
    }
    id.to_string()
}

/// What an event's properties say of its subject, where its kind names
/// one: each kind writes properties of its own shape.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SubjectProperties {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    service_id: Option<Uuid>,
    #[serde(default)]
    action: Option<String>,
}

/// What the event is about, e.g. `service web-01 (start job)`,
/// `service type Static website` or `offering of Aurora Cloud Oy`.
async fn subject(lookup: &mut Names<'_>, event: &EventRes) -> String {
    let kind = event.kind.split_once('.').map_or("", |(object, _)| object);
    let properties = SubjectProperties::deserialize(&event.properties).unwrap_or_default();
    // Job and placement events are about the service they serve.
    let (object, id) = match kind {
        "job" => ("service", event.entity_id),
        "placement" => ("service", properties.service_id),
        other => (other, event.entity_id),
    };
    let label = object.replace('_', " ");
    let Some(id) = id.map(|id| id.to_string()) else {
        return label;
    };
    let collection = collection_of(object);
    let name = match (properties.name, collection) {
        (Some(name), Some(collection)) if object == kind => {
            lookup.learn(collection, &id, &name);
            Some(name)
        }
        (Some(name), None) if object == kind => Some(name),
        (_, Some(collection)) => lookup.find(collection, &id).await,
        (_, None) => None,
    };
    let mut subject = match name {
        Some(name) => format!("{label} {name}"),
        // Nameless objects of a provider (its profile, its offerings) are
        // told by whose they are.
        None => match event.provider_id {
            Some(provider) => match lookup.find(Kind::Provider, &provider.to_string()).await {
                Some(provider) => format!("{label} of {provider}"),
                None => format!("{label} {id}"),
            },
            None => format!("{label} {id}"),
        },
    };
    if kind == "job" {
        if let Some(action) = properties.action {
            subject.push_str(&format!(" ({action} job)"));
        }
    }
    subject
}

/// The collection objects of an event kind live in (`service_type` in
/// `/service-types`), when the command line knows it.
fn collection_of(object: &str) -> Option<Kind> {
    let kebab = object.replace('_', "-");
    let plural = match kebab.strip_suffix('y') {
        Some(stem) => format!("/{stem}ies"),
        None => format!("/{kebab}s"),
    };
    resources::RESOURCES
        .iter()
        .find(|resource| resource.path == plural)
        .map(|resource| Kind::In(resource.path))
}

//! `federa events …`: `list` and `get` the log, and `tail` to follow it.
//! In tables each event names its subject — the kind of object and its
//! name, or its id when it has none the caller may read — and who caused
//! it, by the name of the token (or participant) where it can be read.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::names::{self, Kind, Names};
use super::{connect, output, resources, show, Connection, Format, Outcome, ReadVerb, Verb};

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

/// The columns of an event's line, over the fields [`line`] makes.
const COLUMNS: &[(&str, &str)] = &[
    ("SEQ", "sequenceNumber"),
    ("TIME", "time"),
    ("TYPE", "type"),
    ("BY", "initiator"),
    ("SUBJECT", "subject"),
];

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
                    let events = page["items"].as_array().cloned().unwrap_or_default();
                    // Read oldest first, whatever the sort, so that names
                    // learnt from an object's creation serve its later
                    // events (and name what has since been deleted).
                    let mut oldest_first: Vec<usize> = (0..events.len()).collect();
                    oldest_first.sort_by_key(|&i| events[i]["sequenceNumber"].as_u64());
                    let mut lookup = Names::new(&client);
                    let mut lines = vec![Value::Null; events.len()];
                    for i in oldest_first {
                        lines[i] = line(&mut lookup, &events[i]).await;
                    }
                    println!("{}", output::table(COLUMNS, &lines));
                    super::print_page_count(&page);
                }
                Format::Json | Format::Id => show(&connection, resource, &page),
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
            output::fixed_row(
                COLUMNS.iter().map(|(header, _)| header.to_string()),
                TAIL_WIDTHS
            )
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
                let Ok(event) = serde_json::from_str::<Value>(&data) else {
                    continue;
                };
                last = event["sequenceNumber"].as_u64().or(last);
                match connection.output {
                    Format::Json => println!("{event}"),
                    Format::Id => println!("{}", event["id"].as_str().unwrap_or_default()),
                    Format::Table => {
                        let line = line(&mut lookup, &event).await;
                        let cells = COLUMNS.iter().map(|(_, field)| output::cell(&line[*field]));
                        println!("{}", output::fixed_row(cells, TAIL_WIDTHS));
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
async fn line(lookup: &mut Names<'_>, event: &Value) -> Value {
    let created = event["createdAt"].as_str().unwrap_or_default();
    // `2026-12-03T04:22:05.123456Z` to the second.
    let time = match created.get(..19) {
        Some(seconds) => format!("{seconds}Z"),
        None => created.to_string(),
    };
    json!({
        "sequenceNumber": event["sequenceNumber"],
        "time": time,
        "type": event["type"],
        "initiator": initiator(lookup, event).await,
        "subject": subject(lookup, event).await,
    })
}

/// Who caused the event: `system`, `admin`, or the token (else the
/// participant or agent) behind the call.
async fn initiator(lookup: &mut Names<'_>, event: &Value) -> String {
    let id = event["initiatorId"].as_str().unwrap_or_default();
    for kind in [names::TOKEN, names::PARTICIPANT, names::AGENT] {
        if let Some(name) = lookup.find(kind, id).await {
            return name;
        }
    }
    id.to_string()
}

/// What the event is about, e.g. `service web-01 (start job)`,
/// `service type Static website` or `offering of Aurora Cloud Oy`.
async fn subject(lookup: &mut Names<'_>, event: &Value) -> String {
    let kind = event["type"]
        .as_str()
        .and_then(|kind| kind.split_once('.'))
        .map_or("", |(object, _)| object);
    let properties = &event["properties"];
    // Job and placement events are about the service they serve.
    let (object, id) = match kind {
        "job" => ("service", event["entityId"].as_str()),
        "placement" => ("service", properties["serviceId"].as_str()),
        other => (other, event["entityId"].as_str()),
    };
    let label = object.replace('_', " ");
    let Some(id) = id else {
        return label;
    };
    let collection = collection_of(object);
    let name = match (properties["name"].as_str(), collection) {
        (Some(name), Some(collection)) if object == kind => {
            lookup.learn(collection, id, name);
            Some(name.to_string())
        }
        (Some(name), None) if object == kind => Some(name.to_string()),
        (_, Some(collection)) => lookup.find(collection, id).await,
        (_, None) => None,
    };
    let mut subject = match name {
        Some(name) => format!("{label} {name}"),
        // Nameless objects of a provider (its profile, its offerings) are
        // told by whose they are.
        None => match event["providerId"].as_str() {
            Some(provider) => match lookup.find(Kind::Provider, provider).await {
                Some(provider) => format!("{label} of {provider}"),
                None => format!("{label} {id}"),
            },
            None => format!("{label} {id}"),
        },
    };
    if kind == "job" {
        if let Some(action) = properties["action"].as_str() {
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

//! The command-line client: every API resource as `federa <resource> <verb>`.
//!
//! Exit codes scripts can rely on: 0 success, 1 the exchange refused the
//! request (the message names the field and the rule), 2 bad usage, 3 the
//! exchange could not be reached or failed, 4 a waited-for job failed.

mod billing;
mod output;
mod profile;
mod resources;
mod services;
mod values;

use std::process::ExitCode;

use clap::{Args, Subcommand};
use federa_client::{Client, ClientError};
use serde_json::{Map, Value};

pub use billing::{bill, Bill, BillArgs};
pub use output::Format;
use resources::Resource;

#[derive(Args, Clone)]
pub struct Connection {
    /// The exchange, e.g. http://127.0.0.1:3000.
    #[arg(long, env = "FEDERA_URL", global = true)]
    pub url: Option<String>,
    /// Bearer token.
    #[arg(long, env = "FEDERA_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Profile of ~/.config/federa/config.toml.
    #[arg(long, env = "FEDERA_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value = "table", global = true)]
    pub output: Format,
}

#[derive(Args)]
pub struct ResourceArgs {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    verb: EventsVerb,
}

/// Resources the exchange writes itself: they are listed and read only.
#[derive(Args)]
pub struct ReadArgs {
    #[command(subcommand)]
    verb: ReadVerb,
}

#[derive(Subcommand)]
enum ReadVerb {
    /// List, with filters as `--filter key=value` or `--key value`.
    List {
        #[arg(long = "filter", short = 'f')]
        filters: Vec<String>,
        #[arg(long)]
        page: Option<u32>,
        #[arg(long)]
        page_size: Option<u32>,
        /// e.g. `-createdAt`.
        #[arg(long, allow_hyphen_values = true)]
        sort: Option<String>,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        extra: Vec<String>,
    },
    /// Show one.
    Get { id: String },
}

impl From<ReadVerb> for Verb {
    fn from(verb: ReadVerb) -> Verb {
        match verb {
            ReadVerb::List {
                filters,
                page,
                page_size,
                sort,
                extra,
            } => Verb::List {
                filters,
                page,
                page_size,
                sort,
                extra,
            },
            ReadVerb::Get { id } => Verb::Get { id },
        }
    }
}

/// `federa jobs …`: list and get.
pub async fn read_only(connection: &Connection, name: &str, args: ReadArgs) -> Outcome {
    let verb = args.verb.into();
    resource(connection, name, ResourceArgs { verb }).await
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

#[derive(Args)]
pub struct AgentsArgs {
    #[command(subcommand)]
    verb: AgentsVerb,
}

#[derive(Subcommand)]
enum AgentsVerb {
    #[command(flatten)]
    Generic(Verb),
    /// Print the command that installs and starts the agent on its host
    /// (the agent's type needs configTemplate and cmdTemplate). It works
    /// once, for a few minutes.
    InstallCommand {
        id: String,
        /// Replace a live install command instead of refusing.
        #[arg(long)]
        regenerate: bool,
    },
}

/// `federa agents …`: the generic verbs, and `install-command`.
pub async fn agents(connection: &Connection, args: AgentsArgs) -> Outcome {
    let (id, regenerate) = match args.verb {
        AgentsVerb::Generic(verb) => {
            return resource(connection, "agents", ResourceArgs { verb }).await
        }
        AgentsVerb::InstallCommand { id, regenerate } => (id, regenerate),
    };
    let client = connect(connection)?;
    let path = format!("/agents/{id}/install-command");
    let reply = if regenerate {
        // Regenerating needs one to replace; the first time, create it.
        let reply = client
            .post(&format!("{path}/regenerate"), &Value::Null)
            .await?;
        if reply.status == federa_client::StatusCode::NOT_FOUND {
            client.post(&path, &Value::Null).await?
        } else {
            reply
        }
    } else {
        client.post(&path, &Value::Null).await?
    };
    if reply.status == federa_client::StatusCode::CONFLICT {
        return Err(Failure {
            code: 1,
            message: "the agent has a live install command; replace it with --regenerate".into(),
        });
    }
    let answer: Value = reply.into_json()?;
    match connection.output {
        Format::Json => println!("{answer}"),
        Format::Table | Format::Id => {
            println!("{}", answer["installCommand"].as_str().unwrap_or_default());
            eprintln!(
                "Run it on the agent's host before {}; it works once.",
                answer["expiresAt"].as_str().unwrap_or("it expires")
            );
        }
    }
    Ok(())
}

/// `federa events …`: the generic verbs, and `tail`.
pub async fn events(connection: &Connection, args: EventsArgs) -> Outcome {
    match args.verb {
        EventsVerb::Generic(verb) => {
            let verb = verb.into();
            resource(connection, "events", ResourceArgs { verb }).await
        }
        EventsVerb::Tail { after } => tail(connection, after).await,
    }
}

/// Prints events from the live stream, reconnecting after the last one seen.
async fn tail(connection: &Connection, after: Option<u64>) -> Outcome {
    let client = connect(connection)?;
    let resource = resources::find("events").expect("events resource");
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
                    Format::Table | Format::Id => println!(
                        "{}",
                        resource
                            .columns
                            .iter()
                            .map(|(_, field)| match &event[*field] {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join("  ")
                    ),
                }
            }
        }
        // The server closes streams after a while; resume after the last.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[derive(Subcommand)]
enum Verb {
    /// List, with filters as `--filter key=value` or `--key value`.
    List {
        #[arg(long = "filter", short = 'f')]
        filters: Vec<String>,
        #[arg(long)]
        page: Option<u32>,
        #[arg(long)]
        page_size: Option<u32>,
        /// e.g. `name` or `-createdAt`.
        #[arg(long, allow_hyphen_values = true)]
        sort: Option<String>,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        extra: Vec<String>,
    },
    /// Show one.
    Get {
        id: String,
    },
    /// Create from `--set key=value` pairs and/or a `--json` document.
    Create {
        #[arg(long = "set", short = 's')]
        set: Vec<String>,
        #[arg(long)]
        json: Option<String>,
    },
    /// Change fields.
    Update {
        id: String,
        #[arg(long = "set", short = 's')]
        set: Vec<String>,
        #[arg(long)]
        json: Option<String>,
    },
    Delete {
        id: String,
    },
}

/// A failure, with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Failure {
        let code = match error.status() {
            Some(status) if status.is_client_error() => 1,
            _ => 3,
        };
        Failure {
            code,
            message: error.to_string(),
        }
    }
}

pub fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

pub type Outcome = Result<(), Failure>;

/// Runs a client command and turns its outcome into an exit code.
pub async fn finish(result: Outcome) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

pub fn connect(connection: &Connection) -> Result<Client, Failure> {
    let profile = profile::load(connection.profile.as_deref()).map_err(usage)?;
    let url = connection
        .url
        .clone()
        .or(profile.url)
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let token =
        connection.token.clone().or(profile.token).ok_or_else(|| {
            usage("no token: pass --token, set FEDERA_TOKEN or add one to a profile")
        })?;
    Ok(Client::new(&url, &token)?)
}

/// Prints a list page or one object as asked.
pub fn show(connection: &Connection, resource: &Resource, value: &Value) {
    match connection.output {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        Format::Table => match value.get("items").and_then(Value::as_array) {
            Some(items) => {
                println!("{}", output::table(resource.columns, items));
                if let (Some(total), Some(page), Some(pages)) = (
                    value["totalItems"].as_u64(),
                    value["currentPage"].as_u64(),
                    value["totalPages"].as_u64(),
                ) {
                    eprintln!("{total} in all; page {page} of {}", pages.max(1));
                }
            }
            None => println!("{}", output::record(value)),
        },
        Format::Id => match value.get("items").and_then(Value::as_array) {
            Some(items) => items
                .iter()
                .filter_map(|item| item["id"].as_str())
                .for_each(|id| println!("{id}")),
            None => println!("{}", value["id"].as_str().unwrap_or_default()),
        },
    }
}

/// `federa whoami`: the session the token opens.
/// `federa catalogue apply DIR`: one line per object, saying what changed.
pub async fn apply_catalogue(connection: &Connection, dir: &std::path::Path) -> Outcome {
    let client = connect(connection)?;
    let files = crate::catalogue::read_dir(dir).map_err(|e| usage(format!("{e:#}")))?;
    let catalogue = crate::catalogue::parse(&files).map_err(|e| usage(format!("{e:#}")))?;
    let applied = crate::catalogue::apply(&client, &catalogue)
        .await
        .map_err(|error| match error.downcast_ref::<ClientError>() {
            Some(client_error) => Failure {
                code: Failure::from(client_error.clone()).code,
                message: format!("{error:#}"),
            },
            None => Failure {
                code: 1,
                message: format!("{error:#}"),
            },
        })?;
    for (kind, name, change, id) in &applied.objects {
        match connection.output {
            Format::Json => println!(
                "{}",
                serde_json::json!({"kind": kind, "name": name, "change": change.to_string(), "id": id})
            ),
            Format::Table => println!("{change:<9}  {kind:<12}  {name}"),
            Format::Id => println!("{id}"),
        }
    }
    Ok(())
}

pub async fn whoami(connection: &Connection) -> Outcome {
    let session: Value = connect(connection)?.get("/session").await?.into_json()?;
    match connection.output {
        Format::Json => println!("{session}"),
        Format::Table | Format::Id => println!("{}", output::record(&session)),
    }
    Ok(())
}

/// `--set` pairs over a `--json` document.
fn body(set: &[String], json: Option<&str>) -> Result<Value, Failure> {
    let mut map: Map<String, Value> = match json {
        Some(text) => serde_json::from_str(text).map_err(|e| usage(format!("--json: {e}")))?,
        None => Map::new(),
    };
    map.extend(values::parse_pairs(set).map_err(usage)?);
    Ok(Value::Object(map))
}

type Filters = Vec<(String, String)>;

/// `--key value` words after the known flags, as filters; an `-o FORMAT`
/// among them is the output format.
fn extra_filters(extra: &[String]) -> Result<(Filters, Option<Format>), Failure> {
    let mut out = Vec::new();
    let mut format = None;
    let mut words = extra.iter();
    while let Some(word) = words.next() {
        let key = match word.as_str() {
            "-o" => "output",
            other => other
                .strip_prefix("--")
                .ok_or_else(|| usage(format!("unexpected argument {word:?}")))?,
        };
        let value = words
            .next()
            .ok_or_else(|| usage(format!("{word} needs a value")))?;
        if key == "output" {
            format = Some(match value.as_str() {
                "json" => Format::Json,
                "table" => Format::Table,
                "id" => Format::Id,
                other => {
                    return Err(usage(format!(
                        "unknown output format {other:?}; use table, json or id"
                    )))
                }
            });
        } else {
            out.push((key.to_string(), value.clone()));
        }
    }
    Ok((out, format))
}

fn query(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("?{}", encoded.join("&"))
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The generic verbs of any resource.
pub async fn resource(connection: &Connection, name: &str, args: ResourceArgs) -> Outcome {
    let resource =
        resources::find(name).ok_or_else(|| usage(format!("unknown resource {name}")))?;
    let client = connect(connection)?;
    let mut connection = connection.clone();
    let reply = match args.verb {
        Verb::List {
            filters,
            page,
            page_size,
            sort,
            extra,
        } => {
            let mut pairs = Vec::new();
            for filter in &filters {
                let (k, v) = filter
                    .split_once('=')
                    .ok_or_else(|| usage(format!("--filter {filter:?} must be key=value")))?;
                pairs.push((k.to_string(), v.to_string()));
            }
            let (extra, format) = extra_filters(&extra)?;
            pairs.extend(extra);
            if let Some(format) = format {
                connection.output = format;
            }
            pairs.extend(page.map(|p| ("page".to_string(), p.to_string())));
            pairs.extend(page_size.map(|p| ("pageSize".to_string(), p.to_string())));
            pairs.extend(sort.map(|s| ("sort".to_string(), s)));
            client
                .get(&format!("{}{}", resource.path, query(&pairs)))
                .await?
        }
        Verb::Get { id } => client.get(&format!("{}/{id}", resource.path)).await?,
        Verb::Create { set, json } => {
            client
                .post(resource.path, &body(&set, json.as_deref())?)
                .await?
        }
        Verb::Update { id, set, json } => {
            client
                .patch(
                    &format!("{}/{id}", resource.path),
                    &body(&set, json.as_deref())?,
                )
                .await?
        }
        Verb::Delete { id } => {
            client
                .delete(&format!("{}/{id}", resource.path))
                .await?
                .into_ok()?;
            eprintln!("deleted {id}");
            return Ok(());
        }
    };
    let value: Value = reply.into_json()?;
    show(&connection, resource, &value);
    Ok(())
}

pub use services::{services, ServicesArgs, SERVICE_ACTIONS_HELP};

//! The command-line client: every API resource as `federa <resource> <verb>`.
//!
//! Exit codes scripts can rely on: 0 success, 1 the exchange refused the
//! request (the message names the field and the rule), 2 bad usage, 3 the
//! exchange could not be reached or failed, 4 a waited-for job failed.

mod billing;
mod budgets;
mod events;
mod list_query;
mod names;
mod orders;
mod output;
mod placement;
mod profile;
mod resources;
mod services;
mod switches;
mod users;
mod values;
mod webhooks;

use std::process::ExitCode;

use clap::{Args, Subcommand};
use federa_client::api::PageRes;
use federa_client::{Client, ClientError, Sent, StatusCode};
use output::{Page, Record};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use billing::{bill, Bill, BillArgs};
pub use budgets::{budget_holders, BudgetHolderArgs};
pub use events::{events, EventsArgs};
use list_query::ListArgs;
use names::Names;
pub use orders::{orders, OrdersArgs};
pub use output::Format;
pub use placement::{placement, PlacementArgs};
use resources::Resource;
pub use switches::{switches, SwitchesArgs};
pub use users::{users, UsersArgs};
pub use webhooks::{webhooks, WebhooksArgs};

/// The ids of [`Connection`]'s flags.
pub const CLIENT_FLAGS: &[&str] = &["url", "token", "profile", "output"];

#[derive(Args, Clone)]
#[command(next_help_heading = "Client options")]
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

/// Resources the exchange writes itself: they are listed and read only.
#[derive(Args)]
pub struct ReadArgs {
    #[command(subcommand)]
    verb: ReadVerb,
}

#[derive(Subcommand)]
enum ReadVerb {
    /// List, with filters as `--key value` or `--filter key=value`.
    List(ListArgs),
    /// Show one.
    Get { id: String },
}

impl From<ReadVerb> for Verb {
    fn from(verb: ReadVerb) -> Verb {
        match verb {
            ReadVerb::List(list) => Verb::List(list),
            ReadVerb::Get { id } => Verb::Item(ItemVerb::Get { id }),
        }
    }
}

/// `federa jobs …`: list and get.
pub async fn read_only(connection: &Connection, name: &str, args: ReadArgs) -> Outcome {
    let verb = args.verb.into();
    resource(connection, name, ResourceArgs { verb }).await
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
    let id = id_arg(&id)?;
    let answer = match client.agent_install_command(id, regenerate).await {
        // Regenerating needs one to replace; the first time, create it.
        Err(refused) if regenerate && refused.status() == Some(StatusCode::NOT_FOUND) => {
            client.agent_install_command(id, false).await
        }
        answer => answer,
    };
    let answer = match answer {
        Err(refused) if refused.status() == Some(StatusCode::CONFLICT) => {
            return Err(Failure {
                code: 1,
                message: "the agent has a live install command; replace it with --regenerate"
                    .into(),
            })
        }
        answer => answer?,
    };
    match connection.output {
        Format::Json => println!("{}", answer.document),
        Format::Table | Format::Id => {
            println!("{}", answer.install_command);
            eprintln!(
                "Run it on the agent's host before {}; it works once.",
                output::timestamp(&answer.expires_at)
            );
        }
    }
    Ok(())
}

/// An id typed on the command line, for the commands that read the
/// object it names.
fn id_arg(text: &str) -> Result<Uuid, Failure> {
    text.trim()
        .parse()
        .map_err(|_| usage(format!("{text:?} is not an id")))
}

#[derive(Subcommand)]
enum Verb {
    /// List, with filters as `--key value` or `--filter key=value`.
    List(ListArgs),
    #[command(flatten)]
    Item(ItemVerb),
}

/// The verbs on one object, or making one.
#[derive(Subcommand)]
enum ItemVerb {
    /// Show one.
    Get { id: String },
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
    /// Delete one.
    Delete { id: String },
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

/// Prints one record as asked: as the exchange sent it, or its id.
pub fn show(connection: &Connection, document: &Value, id: Option<Uuid>) {
    match connection.output {
        Format::Json => println!("{}", output::pretty(document)),
        Format::Table => println!("{}", output::record(document)),
        Format::Id => println!("{}", id.map(|id| id.to_string()).unwrap_or_default()),
    }
}

/// Prints a page of a list as asked; `rows` are its records as the table
/// shows them.
pub fn show_page(connection: &Connection, resource: &Resource, page: &Page, rows: &[Value]) {
    match connection.output {
        Format::Json => println!("{}", output::pretty(&page.document)),
        Format::Table => {
            println!("{}", output::table(resource.columns, rows));
            print_page_count(page);
        }
        Format::Id => page
            .items
            .iter()
            .filter_map(|item| item.id)
            .for_each(|id| println!("{id}")),
    }
}

/// Where a printed page stands in its list, on stderr, out of the way of
/// the table.
fn print_page_count<T>(page: &PageRes<T>) {
    eprintln!(
        "{} in all; page {} of {}",
        page.total_items,
        page.current_page,
        page.total_pages.max(1)
    );
}

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

/// `federa whoami`: the session the token opens.
pub async fn whoami(connection: &Connection) -> Outcome {
    let session = connect(connection)?.session().await?;
    match connection.output {
        Format::Json => println!("{}", session.document),
        Format::Table | Format::Id => println!("{}", output::record(&session.document)),
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

/// A URL query, without its `?`.
fn query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
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

/// A page of `resource` as `federa RESOURCE list …` asks for it, with the
/// client that read it and the connection with any output format named
/// among the words; the words are checked before the exchange is reached.
async fn list_page(
    connection: &Connection,
    resource: &Resource,
    list: ListArgs,
) -> Result<(Client, Page, Connection), Failure> {
    let asked = list.query(resource.name, (resource.list)())?;
    let client = connect(connection)?;
    let page: Page = client
        .get(&format!("{}?{}", resource.path, query(&asked.pairs)))
        .await?
        .into_json()?;
    let mut connection = connection.clone();
    if let Some(format) = asked.output {
        connection.output = format;
    }
    Ok((client, page, connection))
}

/// The generic verbs of any resource.
pub async fn resource(connection: &Connection, name: &str, args: ResourceArgs) -> Outcome {
    let resource =
        resources::find(name).ok_or_else(|| usage(format!("unknown resource {name}")))?;
    let verb = match args.verb {
        Verb::List(list) => {
            let (client, page, connection) = list_page(connection, resource, list).await?;
            let mut rows: Vec<Value> = page.items.iter().map(|i| i.document.clone()).collect();
            if connection.output == Format::Table {
                names::name_rows(&mut Names::new(&client), resource.named, &mut rows).await;
            }
            show_page(&connection, resource, &page, &rows);
            return Ok(());
        }
        Verb::Item(verb) => verb,
    };
    let client = connect(connection)?;
    let reply = match verb {
        ItemVerb::Get { id } => client.get(&format!("{}/{id}", resource.path)).await?,
        ItemVerb::Create { set, json } => {
            client
                .post(resource.path, &body(&set, json.as_deref())?)
                .await?
        }
        ItemVerb::Update { id, set, json } => {
            client
                .patch(
                    &format!("{}/{id}", resource.path),
                    &body(&set, json.as_deref())?,
                )
                .await?
        }
        ItemVerb::Delete { id } => {
            client
                .delete(&format!("{}/{id}", resource.path))
                .await?
                .into_ok()?;
            eprintln!("deleted {id}");
            return Ok(());
        }
    };
    let record: Sent<Record> = reply.into_json()?;
    show(connection, &record.document, record.id);
    Ok(())
}

pub use services::{services, ServicesArgs, SERVICE_ACTIONS_HELP};

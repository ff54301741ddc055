//! `federa services …`: ordering, changing and acting on services, with
//! `--wait` to follow the job to its end.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::{Args, Subcommand};
use federa_client::api::jobs::JobStatus;
use federa_client::api::placement::{OrderedServiceRes, PlacementRes};
use federa_client::api::services::{ServiceRes, ServiceUpdateReq};
use federa_client::{Client, Sent};
use serde_json::json;

use super::placement::{as_flags, PlacementRules};
use super::{
    connect, list_query::ListArgs, names, show, usage, values, Connection, Failure, Outcome,
    ResourceArgs,
};

/// What `federa services --help` and `federa services ACTION --help` say
/// about lifecycle actions, which are not subcommands of their own.
pub const SERVICE_ACTIONS_HELP: &str = "Lifecycle actions:
  federa services start ID [--wait] [-o FORMAT]   start a Stopped service
  federa services stop ID [--wait] [-o FORMAT]    stop a Started one
  federa services ACTION ID [--wait]              any other action its type's lifecycle names
  --wait-timeout SECONDS                          how long --wait follows a job (default 900)";

/// How long `--wait` follows a job unless told otherwise: long enough for a
/// VM on a slow cloud, short enough that a job no agent takes (its agent
/// down, say) does not hold a script for ever.
const DEFAULT_WAIT_SECONDS: u64 = 900;

/// What ordering a service asks, whether at once (`services create`) or
/// with a quote (`orders create`): its name, type, group and properties.
#[derive(Args)]
pub(super) struct ServiceFields {
    #[arg(long)]
    pub name: String,
    /// Service type name or id.
    #[arg(long = "type")]
    pub service_type: String,
    /// Service group id.
    #[arg(long)]
    pub group: String,
    /// A property as key=value (repeatable).
    #[arg(long = "prop", short = 'p')]
    pub props: Vec<String>,
}

#[derive(Args)]
pub struct ServicesArgs {
    #[command(subcommand)]
    verb: ServiceVerb,
    /// With --wait: seconds to follow the job before giving up (exit 5);
    /// the job itself goes on.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = DEFAULT_WAIT_SECONDS)]
    wait_timeout: u64,
}

#[derive(Subcommand)]
enum ServiceVerb {
    /// List, get or delete as for any resource (`list --status Started`).
    #[command(flatten)]
    Generic(GenericVerb),
    /// Order a service.
    Create {
        #[command(flatten)]
        fields: ServiceFields,
        /// Run it on this agent instead of letting the exchange choose.
        #[arg(long, conflicts_with_all = ["place", "countries", "regions", "jurisdiction",
              "certifications", "max_price", "strategy", "near_country"])]
        agent: Option<String>,
        /// Let the exchange choose a provider's offering, region and agent
        /// (the cheapest unless --strategy says otherwise) and explain the
        /// choice; any placement flag below implies it.
        #[arg(long)]
        place: bool,
        #[command(flatten)]
        rules: PlacementRules,
        /// Only agents with this tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Start it once it is created: an ordered service ends `Stopped`
        /// until started.
        #[arg(long)]
        start: bool,
        /// Wait until the create job (with --start, the start job) finishes.
        #[arg(long)]
        wait: bool,
        /// Print the created service as JSON (as `-o json` does).
        #[arg(long)]
        json: bool,
    },
    /// Rename, or change properties through an update job.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "prop", short = 'p')]
        props: Vec<String>,
        #[arg(long)]
        wait: bool,
    },
    /// Any lifecycle action: `federa services start ID [--wait]`.
    #[command(external_subcommand)]
    Action(Vec<String>),
}

#[derive(Subcommand)]
enum GenericVerb {
    /// List services, with filters as `--status Started`.
    List(ListArgs),
    Get {
        id: String,
    },
    /// Delete: queues the lifecycle's delete action.
    Delete {
        id: String,
        #[arg(long)]
        wait: bool,
    },
}

pub async fn services(connection: &Connection, args: ServicesArgs) -> Outcome {
    // An action's help needs no exchange.
    if let ServiceVerb::Action(words) = &args.verb {
        if words.iter().any(|w| w == "--help" || w == "-h") {
            println!(
                "Usage: federa services {} ID [--wait] [-o FORMAT]\n\n{SERVICE_ACTIONS_HELP}",
                words[0]
            );
            return Ok(());
        }
    }
    let client = connect(connection)?;
    let mut wait_timeout = Duration::from_secs(args.wait_timeout);
    let mut output_override = None;
    // The placement that chose the provider of a service just ordered.
    let mut placed: Option<PlacementRes> = None;
    let (id, wait) = match args.verb {
        ServiceVerb::Generic(GenericVerb::List(list)) => {
            let verb = super::Verb::List(list);
            return super::resource(connection, "services", ResourceArgs { verb }).await;
        }
        ServiceVerb::Generic(GenericVerb::Get { id }) => {
            let service: Sent<ServiceRes> =
                client.get(&format!("/services/{id}")).await?.into_json()?;
            show(connection, &service.document, Some(service.id));
            return Ok(());
        }
        ServiceVerb::Generic(GenericVerb::Delete { id, wait }) => {
            client.delete(&format!("/services/{id}")).await?.into_ok()?;
            (id, wait)
        }
        ServiceVerb::Create {
            fields:
                ServiceFields {
                    name,
                    service_type,
                    group,
                    props,
                },
            agent,
            tags,
            place,
            rules,
            start,
            wait,
            json,
        } => {
            let properties = values::parse_pairs(&props).map_err(usage)?;
            let service_type_id = names::service_type_id(&client, &service_type).await?;
            let placement = (place || rules.any()).then(|| rules.to_request());
            // Sent as typed, for the exchange to check and to name what it
            // refuses.
            let order = json!({"name": name, "serviceTypeId": service_type_id, "groupId": group,
                               "agentId": agent, "agentTags": tags, "properties": properties,
                               "placement": placement});
            let created: OrderedServiceRes = client
                .post("/services", &order)
                .await
                .and_then(|reply| reply.into_json())
                .map_err(as_flags)?;
            let id = created.service.id.to_string();
            placed = created.placement;
            if json {
                output_override = Some(super::Format::Json);
            }
            if start {
                // The lifecycle takes the next action once create is done.
                wait_for_job(&client, &id, wait_timeout).await?;
                client.act_on_service(created.service.id, "start").await?;
            }
            (id, wait)
        }
        ServiceVerb::Update {
            id,
            name,
            props,
            wait,
        } => {
            let properties = match props.is_empty() {
                true => None,
                false => Some(values::parse_pairs(&props).map_err(usage)?),
            };
            let change = ServiceUpdateReq {
                name,
                properties: properties.clone(),
            };
            client
                .patch(&format!("/services/{id}"), &json!(change))
                .await?
                .into_ok()?;
            (id, wait && properties.is_some())
        }
        ServiceVerb::Action(words) => {
            let action = ActionWords::parse(&words)?;
            client
                .post(
                    &format!("/services/{}/{}", action.id, action.name),
                    &json!({}),
                )
                .await?
                .into_ok()?;
            if let Some(format) = action.output {
                output_override = Some(format);
            }
            if let Some(seconds) = action.wait_timeout {
                wait_timeout = Duration::from_secs(seconds);
            }
            (action.id, action.wait)
        }
    };
    if wait {
        wait_for_job(&client, &id, wait_timeout).await?;
    }
    let service: Sent<ServiceRes> = client.get(&format!("/services/{id}")).await?.into_json()?;
    let mut connection = connection.clone();
    if let Some(format) = output_override {
        connection.output = format;
    }
    match (connection.output, placed) {
        (super::Format::Json, Some(placement)) => {
            // The order's answer carried the placement: shown with the
            // service as it now stands, encoded from the same wire type
            // the exchange encoded it from.
            let id = service.id;
            let mut document = service.document;
            if let Some(fields) = document.as_object_mut() {
                fields.insert("placement".to_string(), json!(placement));
            }
            show(&connection, &document, Some(id));
        }
        (super::Format::Table, Some(placement)) => {
            show(&connection, &service.document, Some(service.id));
            println!("\n{}", super::placement::explain(&client, &placement).await);
        }
        _ => show(&connection, &service.document, Some(service.id)),
    }
    Ok(())
}

/// `ACTION ID [--wait] [-o FORMAT]`: an action is any word, so clap hands
/// the words over as they are.
struct ActionWords {
    name: String,
    id: String,
    wait: bool,
    /// `--wait-timeout` given after the action's words, which clap does
    /// not read.
    wait_timeout: Option<u64>,
    output: Option<super::Format>,
}

impl ActionWords {
    fn parse(words: &[String]) -> Result<ActionWords, Failure> {
        let (name, rest) = words
            .split_first()
            .ok_or_else(|| usage("an action is required"))?;
        let mut parsed = ActionWords {
            name: name.clone(),
            id: String::new(),
            wait: false,
            wait_timeout: None,
            output: None,
        };
        let mut rest = rest.iter();
        while let Some(word) = rest.next() {
            match word.as_str() {
                "--wait" => parsed.wait = true,
                "--wait-timeout" => {
                    let value = rest
                        .next()
                        .ok_or_else(|| usage(format!("{word} needs a value")))?;
                    parsed.wait_timeout = Some(seconds(value)?);
                }
                other if other.starts_with("--wait-timeout=") => {
                    parsed.wait_timeout = Some(seconds(&other["--wait-timeout=".len()..])?);
                }
                "-o" | "--output" => {
                    let value = rest
                        .next()
                        .ok_or_else(|| usage(format!("{word} needs a value")))?;
                    parsed.output = Some(super::output::parse_format(value)?);
                }
                other if other.starts_with("--output=") => {
                    parsed.output = Some(super::output::parse_format(&other["--output=".len()..])?);
                }
                other if other.starts_with('-') => {
                    return Err(usage(format!("unexpected argument {other}")))
                }
                other if parsed.id.is_empty() => parsed.id = other.to_string(),
                other => return Err(usage(format!("unexpected argument {other}"))),
            }
        }
        if parsed.id.is_empty() {
            return Err(usage(format!("usage: federa services {name} ID [--wait]")));
        }
        Ok(parsed)
    }
}

fn seconds(value: &str) -> Result<u64, Failure> {
    value
        .parse()
        .map_err(|_| usage(format!("--wait-timeout takes whole seconds, not {value:?}")))
}

/// Follows the service's newest job until it completes (or fails: exit 4),
/// giving up after `timeout` (exit 5) with the job left to go on.
async fn wait_for_job(client: &Client, service_id: &str, timeout: Duration) -> Outcome {
    let spinner = std::io::stderr().is_terminal();
    let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let deadline = tokio::time::Instant::now() + timeout;
    for tick in 0.. {
        let newest = client
            .jobs(&format!(
                "serviceId={}&sort=-createdAt&pageSize=1",
                super::encode(service_id)
            ))
            .await?
            .items
            .into_iter()
            .next();
        let action = newest.as_ref().map_or("job", |job| job.action.as_str());
        match newest.as_ref().map(|job| job.status) {
            Some(JobStatus::Completed) => {
                if spinner {
                    eprint!("\r\x1b[2K");
                }
                eprintln!("{action} completed");
                return Ok(());
            }
            Some(JobStatus::Failed) => {
                if spinner {
                    eprint!("\r\x1b[2K");
                }
                let message = newest
                    .as_ref()
                    .and_then(|job| job.error_message.as_deref())
                    .unwrap_or("no message");
                return Err(Failure {
                    code: 4,
                    message: format!("{action} failed: {message}"),
                });
            }
            status if tokio::time::Instant::now() >= deadline => {
                if spinner {
                    eprint!("\r\x1b[2K");
                }
                let status = status.map_or("Pending", |status| status.as_str());
                return Err(Failure {
                    code: 5,
                    message: format!(
                        "gave up waiting after {} s: {action} is still {status}; it goes on \
                         (is the provider's agent Connected? federa agents list)",
                        timeout.as_secs()
                    ),
                });
            }
            status if spinner => {
                let status = status.map_or("Pending", |status| status.as_str());
                eprint!("\r{} {action} {status}", frames[tick % frames.len()]);
                let _ = std::io::stderr().flush();
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    Ok(())
}

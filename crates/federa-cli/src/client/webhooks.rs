//! `federa webhooks …`: the generic verbs on webhook endpoints (`create`
//! prints the signing secret, the only time it is shown), and
//! `deliveries`, an endpoint's delivery log.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::output::{self, Format};
use super::{connect, resource, Connection, Outcome, ResourceArgs, Verb};

#[derive(Args)]
pub struct WebhooksArgs {
    #[command(subcommand)]
    verb: WebhooksVerb,
}

#[derive(Subcommand)]
enum WebhooksVerb {
    #[command(flatten)]
    Generic(Verb),
    /// The endpoint's delivery log, oldest event first: attempts, the
    /// last status or error, and when it was delivered.
    Deliveries { id: String },
}

const DELIVERY_COLUMNS: &[(&str, &str)] = &[
    ("SEQUENCE", "eventSequence"),
    ("EVENT", "eventType"),
    ("ATTEMPTS", "attempts"),
    ("STATUS", "lastStatusCode"),
    ("ERROR", "lastError"),
    ("DELIVERED", "deliveredAt"),
];

/// `federa webhooks …`.
pub async fn webhooks(connection: &Connection, args: WebhooksArgs) -> Outcome {
    let id = match args.verb {
        WebhooksVerb::Generic(verb) => {
            return resource(connection, "webhooks", ResourceArgs { verb }).await
        }
        WebhooksVerb::Deliveries { id } => id,
    };
    let page: Value = connect(connection)?
        .get(&format!("/webhooks/{id}/deliveries?pageSize=100"))
        .await?
        .into_json()?;
    match connection.output {
        Format::Table => {
            let rows = page["items"].as_array().cloned().unwrap_or_default();
            println!("{}", output::table(DELIVERY_COLUMNS, &rows));
            eprintln!("{} in all", page["totalItems"]);
        }
        _ => println!("{}", output::pretty(&page)),
    }
    Ok(())
}

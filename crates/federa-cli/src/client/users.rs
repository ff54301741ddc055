//! `federa users …`: the generic verbs on users, and `token-create`, which
//! makes a personal token for one of the participants the user belongs to
//! and prints its value, the only time it is shown.

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use federa_client::api::people::PersonalTokenCreateReq;

use super::output::Format;
use super::{connect, id_arg, resource, usage, Connection, Outcome, ResourceArgs, Verb};

#[derive(Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    verb: UsersVerb,
}

#[derive(Subcommand)]
enum UsersVerb {
    #[command(flatten)]
    Generic(Verb),
    /// Make a personal token of the user acting for a participant it
    /// belongs to, with its role there; prints the value once.
    TokenCreate {
        /// The user.
        id: String,
        /// The participant the token acts for.
        #[arg(long)]
        participant: String,
        #[arg(long, default_value = "personal")]
        name: String,
        /// RFC 3339; by default a day from now.
        #[arg(long)]
        expire_at: Option<String>,
    },
}

/// `federa users …`.
pub async fn users(connection: &Connection, args: UsersArgs) -> Outcome {
    let (id, participant, name, expire_at) = match args.verb {
        UsersVerb::Generic(verb) => {
            return resource(connection, "users", ResourceArgs { verb }).await
        }
        UsersVerb::TokenCreate {
            id,
            participant,
            name,
            expire_at,
        } => (id, participant, name, expire_at),
    };
    let expire_at = expire_at
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| usage(format!("--expire-at: {text:?} is not an RFC 3339 time")))
        })
        .transpose()?;
    let request = PersonalTokenCreateReq {
        name,
        participant_id: id_arg(&participant)?,
        expire_at,
    };
    let token = connect(connection)?
        .create_personal_token(id_arg(&id)?, &request)
        .await?;
    match connection.output {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&token).unwrap_or_default()
        ),
        Format::Id => println!("{}", token.id),
        Format::Table => {
            println!("{}", token.value.unwrap_or_default());
            eprintln!(
                "Personal token {} for participant {}; this is the only time its value is shown.",
                token.id, token.participant_id
            );
        }
    }
    Ok(())
}

//! `federa participants …` and `federa projects …`: the generic verbs, and
//! `budget`, which shows how the holder's monthly budget stands (the
//! budget, the forecast of its services, the alert threshold reached).

use clap::{Args, Subcommand};
use serde_json::Value;

use super::{connect, resource, show, Connection, Outcome, ResourceArgs, Verb};

#[derive(Args)]
pub struct BudgetHolderArgs {
    #[command(subcommand)]
    verb: BudgetHolderVerb,
}

#[derive(Subcommand)]
enum BudgetHolderVerb {
    #[command(flatten)]
    Generic(Verb),
    /// How its monthly budget stands: the budget, the forecast of its
    /// services not in a terminal state and the alert threshold reached.
    Budget { id: String },
}

/// `federa <participants|projects> …`.
pub async fn budget_holders(
    connection: &Connection,
    name: &str,
    args: BudgetHolderArgs,
) -> Outcome {
    let id = match args.verb {
        BudgetHolderVerb::Generic(verb) => {
            return resource(connection, name, ResourceArgs { verb }).await
        }
        BudgetHolderVerb::Budget { id } => id,
    };
    let standing: Value = connect(connection)?
        .get(&format!("/{name}/{id}/budget"))
        .await?
        .into_json()?;
    show(connection, &standing, None);
    Ok(())
}

//! `federa switches …`: switching a service to another provider with its
//! data, following it, and the report a consumer keeps of it.

use clap::{Args, Subcommand};
use federa_client::api::switches::{CompositionSwitchRes, SwitchCreateReq, SwitchReport};
use federa_client::api::switches::{SwitchParty, SwitchRes};
use federa_client::Sent;
use serde_json::Value;

use super::list_query::ListArgs;
use super::output::{self, Format};
use super::placement::PlacementRules;
use super::{connect, id_arg, resource, show, usage, Connection, Outcome, ResourceArgs, Verb};

#[derive(Args)]
pub struct SwitchesArgs {
    #[command(subcommand)]
    verb: SwitchesVerb,
}

#[derive(Subcommand)]
enum SwitchesVerb {
    /// Switch a service to another provider with its data; the placement
    /// rules choose the target (never the service's own provider). With
    /// `--composition`, every member of a composition switches, all cutting
    /// over together or none.
    Create {
        /// The service to move.
        #[arg(required_unless_present = "composition")]
        service_id: Option<String>,
        /// The composition to move instead of one service.
        #[arg(long, conflicts_with = "service_id")]
        composition: Option<String>,
        /// The offering to move the service to, by id.
        #[arg(long, conflicts_with = "composition")]
        offering: Option<String>,
        #[command(flatten)]
        rules: PlacementRules,
    },
    /// List switches, with filters as `--key value` or `--filter key=value`.
    List(ListArgs),
    /// Show one switch: its plan, stage and history.
    Show { id: String },
    /// The switch's report: what was moved with its checksums, when each
    /// stage began and ended, the charges, both ends and the erasure.
    Report { id: String },
    /// Cancel a switch before its cut-over: the target is removed.
    Cancel { id: String },
    /// Let the source be erased now, before the transitional period ends.
    ConfirmErasure { id: String },
}

/// `federa switches …`.
pub async fn switches(connection: &Connection, args: SwitchesArgs) -> Outcome {
    let switch = match args.verb {
        SwitchesVerb::List(list) => {
            let verb = Verb::List(list);
            return resource(connection, "switches", ResourceArgs { verb }).await;
        }
        SwitchesVerb::Report { id } => {
            let report = connect(connection)?.switch_report(id_arg(&id)?).await?;
            print_report(connection, &report);
            return Ok(());
        }
        SwitchesVerb::Create {
            service_id,
            composition,
            offering,
            rules,
        } => {
            let target = serde_json::from_value(Value::Object(rules.to_request()))
                .map_err(|error| usage(format!("placement rules: {error}")))?;
            let request = SwitchCreateReq {
                service_id: service_id.as_deref().map(id_arg).transpose()?,
                composition_id: composition.as_deref().map(id_arg).transpose()?,
                target,
                offering_id: offering.as_deref().map(id_arg).transpose()?,
            };
            if request.composition_id.is_some() {
                let moved = connect(connection)?
                    .request_composition_switch(&request)
                    .await?;
                print_composition_switch(connection, &moved);
                return Ok(());
            }
            connect(connection)?.request_switch(&request).await?
        }
        SwitchesVerb::Show { id } => connect(connection)?.switch(id_arg(&id)?).await?,
        SwitchesVerb::Cancel { id } => connect(connection)?.cancel_switch(id_arg(&id)?).await?,
        SwitchesVerb::ConfirmErasure { id } => {
            connect(connection)?.confirm_erasure(id_arg(&id)?).await?
        }
    };
    print_switch(connection, &switch);
    Ok(())
}

fn print_switch(connection: &Connection, switch: &Sent<SwitchRes>) {
    if connection.output != Format::Table {
        return show(connection, &switch.document, Some(switch.id));
    }
    println!("Switch:   {} {}", switch.id, switch.stage.as_str());
    println!("Target:   {}", switch.plan.explanation);
    if let Some(failure) = &switch.failure {
        println!("Failure:  {failure}");
    }
}

fn print_composition_switch(connection: &Connection, moved: &Sent<CompositionSwitchRes>) {
    if connection.output != Format::Table {
        return show(connection, &moved.document, Some(moved.id));
    }
    println!(
        "Composition switch: {} of {}",
        moved.id, moved.composition_id
    );
    for switch in &moved.switches {
        let member = switch.member_key.as_deref().unwrap_or("-");
        println!("  {member}: switch {} {}", switch.id, switch.stage.as_str());
        println!("    Target: {}", switch.plan.explanation);
    }
}

fn print_report(connection: &Connection, report: &Sent<SwitchReport>) {
    if connection.output != Format::Table {
        return show(connection, &report.document, Some(report.switch_id));
    }
    println!("Switch:   {} {}", report.switch_id, report.stage.as_str());
    println!("From:     {}", party(&report.source));
    println!("To:       {}", party(&report.target));
    let moved = &report.moved;
    let digest = |digest: &Option<federa_client::api::switches::Digest>| match digest {
        Some(digest) => format!("{} bytes, SHA-256 {}", digest.size_bytes, digest.sha256),
        None => "-".to_owned(),
    };
    println!("Format:   {}", moved.format);
    println!("Exported: {}", digest(&moved.exported));
    println!("Imported: {}", digest(&moved.imported));
    println!(
        "Verified: {}",
        if moved.identical {
            "identical size and SHA-256"
        } else {
            "not identical"
        }
    );
    let charges = &report.charges;
    println!(
        "Charge:   {} EUR, asked on {}: {}",
        charges.switching_charge, charges.asked_on, charges.rule
    );
    for timing in &report.stages {
        let ended = timing
            .ended_at
            .as_ref()
            .map_or_else(|| "-".to_owned(), output::timestamp);
        println!(
            "Stage:    {:<18} {} to {ended}",
            timing.stage.as_str(),
            output::timestamp(&timing.began_at)
        );
    }
    if let Some(failure) = &report.failure {
        println!("Failure:  {failure}");
    }
    if let Some(erasure) = &report.erasure {
        println!(
            "Erased:   {} by agent {} ({}), job {}",
            output::timestamp(&erasure.confirmed_at),
            erasure.agent_name,
            erasure.agent_id,
            erasure.job_id
        );
    }
}

fn party(party: &SwitchParty) -> String {
    let country = party.country.as_deref().unwrap_or("-");
    format!(
        "{} ({country}), service {}",
        party.provider_name, party.service_id
    )
}

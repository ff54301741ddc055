//! `federa placement preview`, and the placement flags `services create`
//! shares with it: where a service would go, at what price and why every
//! other offering lost, told with providers' names.

use clap::{Args, Subcommand, ValueEnum};
use federa_client::api::placement::PlacementRes;
use federa_client::{Client, ClientError, Sent};
use federa_domain::exchange::CertificationKind;
use serde_json::{json, Map, Value};

use super::names::{self, Kind, Names};
use super::{connect, output, values, Connection, Failure, Format, Outcome};

#[derive(Args)]
pub struct PlacementArgs {
    #[command(subcommand)]
    verb: PlacementVerb,
}

#[derive(Subcommand)]
enum PlacementVerb {
    /// Which provider, region and agent a service would get now, at what
    /// price, and why every other offering lost. Nothing is ordered.
    Preview {
        /// Service type name or id.
        #[arg(long = "type")]
        service_type: String,
        /// The consumer to ask for; an admin must name one, a participant
        /// asks for itself.
        #[arg(long)]
        consumer: Option<String>,
        /// A property as key=value (repeatable), priced as an order would be.
        #[arg(long = "prop", short = 'p')]
        props: Vec<String>,
        /// Only agents with this tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[command(flatten)]
        rules: PlacementRules,
    },
}

/// What a consumer asks of a placement; the exchange narrows it further by
/// the consumer's attached placement policies.
#[derive(Args, Default)]
pub struct PlacementRules {
    /// A country the service may run in, e.g. FI (repeatable).
    #[arg(long = "country", value_name = "CODE")]
    countries: Vec<String>,
    /// A region the service may run in, e.g. fi-hel-1 (repeatable).
    #[arg(long = "region", value_name = "CODE")]
    regions: Vec<String>,
    /// Whose law the provider may answer to.
    #[arg(long, value_enum)]
    jurisdiction: Option<Jurisdiction>,
    /// A certification the provider must hold (repeatable).
    #[arg(long = "certification", value_name = "KIND",
          value_parser = clap::builder::PossibleValuesParser::new(CertificationKind::ALL.iter().map(|kind| kind.as_str())))]
    certifications: Vec<String>,
    /// The highest acceptable price, in EUR per running hour.
    #[arg(long, value_name = "EUR")]
    max_price: Option<String>,
    /// How to choose among the offerings that qualify (default: cheapest).
    #[arg(long, value_enum)]
    strategy: Option<Strategy>,
    /// The country `--strategy nearest` measures from.
    #[arg(long = "near", value_name = "CODE")]
    near_country: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Jurisdiction {
    Any,
    /// Headquartered in the EU or the EEA.
    Eu,
    /// In the EU or the EEA and subject to no non-EU law.
    EuNoForeignLaw,
}

#[derive(Clone, Copy, ValueEnum)]
enum Strategy {
    /// Lowest hourly price.
    Cheapest,
    /// Region closest to `--near`.
    Nearest,
    /// Provider running the fewest of the consumer's services.
    Spread,
}

impl PlacementRules {
    /// True when any rule was given.
    pub fn any(&self) -> bool {
        !self.to_request().is_empty()
    }

    /// The `placement` object of an order or a preview, in the exchange's
    /// spelling; rules not given are left out.
    pub fn to_request(&self) -> Map<String, Value> {
        let mut request = Map::new();
        let mut put = |field: &str, value: Value| {
            request.insert(field.to_string(), value);
        };
        if !self.countries.is_empty() {
            put("countries", json!(self.countries));
        }
        if !self.regions.is_empty() {
            put("regions", json!(self.regions));
        }
        if let Some(jurisdiction) = self.jurisdiction {
            let wire = match jurisdiction {
                Jurisdiction::Any => "any",
                Jurisdiction::Eu => "eu",
                Jurisdiction::EuNoForeignLaw => "euNoForeignLaw",
            };
            put("jurisdiction", json!(wire));
        }
        if !self.certifications.is_empty() {
            put("requiredCertifications", json!(self.certifications));
        }
        if let Some(price) = &self.max_price {
            put("maxHourlyPrice", json!(price));
        }
        if let Some(strategy) = self.strategy {
            let wire = match strategy {
                Strategy::Cheapest => "cheapest",
                Strategy::Nearest => "nearest",
                Strategy::Spread => "spread",
            };
            put("strategy", json!(wire));
        }
        if let Some(near) = &self.near_country {
            put("nearCountry", json!(near));
        }
        request
    }
}

/// The exchange's field paths in a refusal, as the flags that set them.
const FLAGS: &[(&str, &str)] = &[
    ("placement.countries", "--country"),
    ("placement.regions", "--region"),
    ("placement.requiredCertifications", "--certification"),
    ("placement.maxHourlyPrice", "--max-price"),
    ("placement.nearCountry", "--near"),
    ("placement.strategy", "--strategy"),
    ("placement.jurisdiction", "--jurisdiction"),
    ("serviceTypeId", "--type"),
    ("consumerId", "--consumer"),
    ("groupId", "--group"),
    ("agentId", "--agent"),
    ("agentTags", "--tag"),
];

/// A refusal whose message names the flags the user typed.
pub fn as_flags(error: ClientError) -> Failure {
    let mut failure = Failure::from(error);
    for (field, flag) in FLAGS {
        failure.message = failure.message.replace(field, flag);
    }
    failure
}

/// `federa placement …`.
pub async fn placement(connection: &Connection, args: PlacementArgs) -> Outcome {
    let PlacementVerb::Preview {
        service_type,
        consumer,
        props,
        tags,
        rules,
    } = args.verb;
    let client = connect(connection)?;
    let properties = values::parse_pairs(&props).map_err(super::usage)?;
    // Sent as typed, for the exchange to check and to name what it refuses.
    let request = json!({
        "serviceTypeId": names::service_type_id(&client, &service_type).await?,
        "consumerId": consumer,
        "properties": properties,
        "agentTags": tags,
        "placement": rules.to_request(),
    });
    let decision: Sent<PlacementRes> = client
        .post("/placement/preview", &request)
        .await
        .and_then(|reply| reply.into_json())
        .map_err(as_flags)?;
    match connection.output {
        Format::Json => println!("{}", output::pretty(&decision.document)),
        Format::Id => println!(
            "{}",
            decision
                .chosen
                .as_ref()
                .map(|chosen| chosen.offering_id.to_string())
                .unwrap_or_default()
        ),
        Format::Table => println!("{}", explain(&client, &decision).await),
    }
    Ok(())
}

const VERDICT_HEADERS: &[&str] = &["PROVIDER", "EUR/HOUR", "VERDICT"];

/// A placement decision for people: the choice and why, then every
/// offering considered with its verdict, providers and agents by name.
pub async fn explain(client: &Client, decision: &PlacementRes) -> String {
    let mut lookup = Names::new(client);
    let considered = &decision.considered;
    let eligible = considered.iter().filter(|verdict| verdict.accepted).count();
    let mut lines = Vec::new();
    if let Some(chosen) = &decision.chosen {
        // The exchange names its choice; a decision recorded before it
        // did is named by looking the ids up.
        let provider = match named(&chosen.provider_name) {
            Some(name) => name.to_string(),
            None => {
                lookup
                    .or_id(Kind::Provider, &chosen.participant_id.to_string())
                    .await
            }
        };
        let agent = match named(&chosen.agent_name) {
            Some(name) => Some(name.to_string()),
            None => {
                lookup
                    .find(names::AGENT, &chosen.agent_id.to_string())
                    .await
            }
        };
        let agent = agent.map_or(String::new(), |name| format!(", agent {name}"));
        lines.push(format!(
            "Chosen:   {provider}, region {}{agent}, {} EUR/hour",
            chosen.region, chosen.hourly_price,
        ));
        lines.push(format!("Why:      {}", chosen.explanation));
        if let Some(exit_terms) = &chosen.exit_terms {
            lines.push(format!("Exit:     {}", exit_terms.summary()));
        }
        lines.push(format!(
            "Eligible: {eligible} of {} offerings",
            considered.len()
        ));
    } else if considered.is_empty() {
        lines.push("No offering of this service type was available to consider.".to_string());
    } else {
        lines.push(format!(
            "No offering can take the service: none of the {} considered is eligible.",
            considered.len()
        ));
    }
    if !decision.applied_policy_ids.is_empty() {
        let mut applied = Vec::new();
        for id in &decision.applied_policy_ids {
            applied.push(lookup.or_id(names::PLACEMENT_POLICY, &id.to_string()).await);
        }
        lines.push(format!("Policies: {}", applied.join(", ")));
    }
    let chosen_offering = decision.chosen.as_ref().map(|chosen| chosen.offering_id);
    let mut rows = Vec::new();
    for verdict in considered {
        let provider = lookup
            .or_id(Kind::Provider, &verdict.participant_id.to_string())
            .await;
        let reasons: Vec<&str> = verdict
            .rejections
            .iter()
            .map(|rejection| rejection.message.as_str())
            .collect();
        let verdict_text = if Some(verdict.offering_id) == chosen_offering {
            "chosen".to_string()
        } else if reasons.is_empty() {
            "eligible".to_string()
        } else {
            format!("refused: {}", reasons.join("; "))
        };
        rows.push(vec![
            provider,
            verdict.hourly_price.to_string(),
            verdict_text,
        ]);
    }
    if !rows.is_empty() {
        lines.push(String::new());
        lines.push(output::grid(VERDICT_HEADERS, rows));
    }
    lines.join("\n")
}

/// A name the exchange gave, if it gave one.
fn named(name: &str) -> Option<&str> {
    Some(name).filter(|name| !name.is_empty())
}

//! `federa invoices` and `federa statements`: what a consumer owes and what
//! a provider earns over a period, as the exchange prices it.

use clap::Args;
use federa_domain::exchange::billing::Currency;

use super::{connect, output, query, usage, Connection, Format, Outcome};

#[derive(Args)]
pub struct BillArgs {
    /// Start of the period, inclusive: a date (2026-11-01) or an RFC 3339 time.
    #[arg(long)]
    from: String,
    /// End of the period, exclusive.
    #[arg(long)]
    to: String,
    /// The consumer (invoices) or provider (statements); required of
    /// admins, the caller's own participant otherwise.
    #[arg(long)]
    participant: Option<String>,
    /// Print the exchange's CSV instead of a table.
    #[arg(long)]
    csv: bool,
}

/// Which bill: its path and the query parameter naming its participant.
#[derive(Clone, Copy)]
pub enum Bill {
    Invoice,
    Statement,
}

impl Bill {
    fn path(self) -> &'static str {
        match self {
            Bill::Invoice => "/invoices",
            Bill::Statement => "/statements",
        }
    }

    fn participant_param(self) -> &'static str {
        match self {
            Bill::Invoice => "consumerId",
            Bill::Statement => "providerId",
        }
    }
}

const LINE_HEADERS: &[&str] = &["SERVICE", "LINE", "QUANTITY", "UNIT PRICE", "AMOUNT"];

/// A bare date is the start of that day in UTC, as the API takes times.
fn instant(flag: &str, text: &str) -> Result<String, super::Failure> {
    let text = text.trim();
    if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
        return Ok(text.to_string());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|date| format!("{date}T00:00:00Z"))
        .map_err(|_| {
            usage(format!(
                "--{flag} {text:?} must be a date (2026-11-01) or an RFC 3339 time"
            ))
        })
}

pub async fn bill(connection: &Connection, bill: Bill, args: BillArgs) -> Outcome {
    let mut pairs = vec![
        ("from".to_string(), instant("from", &args.from)?),
        ("to".to_string(), instant("to", &args.to)?),
    ];
    if let Some(participant) = args.participant {
        pairs.push((bill.participant_param().to_string(), participant));
    }
    let client = connect(connection)?;
    // The exchange names its query parameter; the user typed the flag.
    let as_flag = |error: federa_client::ClientError| {
        let mut failure = super::Failure::from(error);
        failure.message = failure
            .message
            .replace(bill.participant_param(), "--participant");
        failure
    };
    if args.csv {
        pairs.push(("format".to_string(), "csv".to_string()));
        let response = client
            .open(&format!("{}?{}", bill.path(), query(&pairs)), &[])
            .await
            .map_err(as_flag)?;
        let text = response
            .text()
            .await
            .map_err(|e| usage(format!("reading the CSV: {e}")))?;
        print!("{text}");
        return Ok(());
    }
    let answer = match bill {
        Bill::Invoice => client.bill(&query(&pairs)).await,
        Bill::Statement => client.statement(&query(&pairs)).await,
    }
    .map_err(as_flag)?;
    match connection.output {
        Format::Json => println!("{}", output::pretty(&answer.document)),
        Format::Table | Format::Id => {
            let rows = answer
                .lines
                .iter()
                .map(|line| {
                    vec![
                        line.service_name.clone(),
                        line.description.clone(),
                        line.quantity.to_string(),
                        line.unit_price.to_string(),
                        line.amount.to_string(),
                    ]
                })
                .collect();
            println!("{}", output::grid(LINE_HEADERS, rows));
            let currency = match answer.currency {
                Currency::Eur => "EUR",
            };
            println!(
                "Total {} {currency} for {} to {}",
                answer.total,
                output::timestamp(&answer.period_from),
                output::timestamp(&answer.period_to),
            );
            // An invoice's subtotals, one line per project of the consumer.
            for project in &answer.projects {
                let name = project
                    .project_id
                    .map_or_else(|| "no project".to_string(), |id| format!("project {id}"));
                println!("  {name}: {} {currency}", project.total);
            }
        }
    }
    Ok(())
}

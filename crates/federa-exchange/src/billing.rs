//! Billing assembly: a consumer's invoice or a provider's statement for a
//! period, built from facts that never change — the event log's record of
//! every status each service entered, and every price each offering had —
//! priced by the domain's billing rules. A service ordered through an
//! accepted order is priced at its quote over the quote's term, whatever
//! its offering's price did meanwhile. Asking twice for a closed period
//! gives the same bill.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use federa_domain::exchange::billing::{
    bill_service_over_prices, build_invoice, total_of, Invoice, InvoiceLine, UsageWindow,
};
use federa_domain::exchange::{Decimal, PriceSheet};
use federa_store::exchange::{BilledParty, BilledService};
use federa_store::QuotedService;
use uuid::Uuid;

use crate::clock;
use crate::error::{ExchangeError, ExchangeResult};
use crate::type_rules::type_rules;
use crate::Exchange;

/// A bill: the invoice's totals, and each line with the service and
/// offering it bills.
pub struct Bill {
    pub invoice: Invoice,
    pub lines: Vec<BilledLine>,
}

/// One line of a bill with what it is about.
pub struct BilledLine {
    pub line: InvoiceLine,
    pub offering_id: Uuid,
    pub service_name: String,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    /// The project of the service's group, if it has one.
    pub project_id: Option<Uuid>,
}

/// What a bill's lines of one project come to: `None` for the services of
/// groups in no project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectTotal {
    pub project_id: Option<Uuid>,
    /// Rounded once to the cent, as the bill's total is.
    pub total: Decimal,
}

impl Bill {
    /// The bill's lines grouped by the project of their service's group,
    /// in the order the projects first appear.
    pub fn project_totals(&self) -> ExchangeResult<Vec<ProjectTotal>> {
        let mut order: Vec<Option<Uuid>> = Vec::new();
        let mut amounts: HashMap<Option<Uuid>, Vec<Decimal>> = HashMap::new();
        for billed in &self.lines {
            if !amounts.contains_key(&billed.project_id) {
                order.push(billed.project_id);
            }
            amounts
                .entry(billed.project_id)
                .or_default()
                .push(billed.line.amount);
        }
        order
            .into_iter()
            .map(|project_id| {
                let total = total_of(amounts.remove(&project_id).unwrap_or_default())
                    .map_err(|error| ExchangeError::Conflict(error.to_string()))?;
                Ok(ProjectTotal { project_id, total })
            })
            .collect()
    }

    /// The bill of the services of one project only, totalled anew.
    pub fn of_project(self, project_id: Uuid) -> ExchangeResult<Bill> {
        let lines: Vec<BilledLine> = self
            .lines
            .into_iter()
            .filter(|billed| billed.project_id == Some(project_id))
            .collect();
        let mut invoice = build_invoice(
            self.invoice.participant_id,
            self.invoice.period_from,
            self.invoice.period_to,
            lines.iter().map(|billed| billed.line.clone()).collect(),
        )
        .map_err(|error| ExchangeError::Conflict(error.to_string()))?;
        // As in `bill`: the lines live in `lines`, with what they bill.
        invoice.lines = Vec::new();
        Ok(Bill { invoice, lines })
    }
}

/// The bill of `party` (whose participant is `participant_id`) over
/// `[from, to)`.
pub async fn bill(
    exchange: &Exchange,
    party: BilledParty,
    participant_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ExchangeResult<Bill> {
    // Time after now has not happened yet: a running service is billed up
    // to now, never in advance.
    let until = to.min(clock::now());
    let mut billed: Vec<(InvoiceLine, Uuid)> = Vec::new();
    let mut services: HashMap<Uuid, BilledService> = HashMap::new();
    if until > from {
        let history = exchange.store.usage_history(party, from, until).await?;
        let ids: Vec<Uuid> = history.services.iter().map(|service| service.id).collect();
        let quoted: HashMap<Uuid, QuotedService> = exchange
            .store
            .quoted_services(&ids)
            .await?
            .into_iter()
            .map(|quoted| (quoted.service_id, quoted))
            .collect();
        for service in history.services {
            let Some(offering_id) = service.offering_id else {
                continue;
            };
            let Some(offering_prices) = history.prices.get(&offering_id) else {
                continue;
            };
            let bound;
            let prices = match quoted.get(&service.id) {
                Some(quoted) => {
                    bound = quoted.quote.bind(offering_prices, quoted.accepted_at);
                    &bound
                }
                None => offering_prices,
            };
            let rules = type_rules(exchange, service.service_type_id, "serviceTypeId").await?;
            let window = UsageWindow {
                service_id: service.id,
                price: PriceSheet::default(),
                properties: service.properties.clone(),
                status_changes: history
                    .status_changes
                    .get(&service.id)
                    .cloned()
                    .unwrap_or_default(),
                running_states: rules.lifecycle.running_states().to_vec(),
                metric_totals: Vec::new(),
            };
            let readings = history
                .readings
                .get(&service.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let lines = bill_service_over_prices(&window, prices, readings, from, until)
                .map_err(|error| ExchangeError::Conflict(error.to_string()))?;
            billed.extend(lines.into_iter().map(|line| (line, offering_id)));
            services.insert(service.id, service);
        }
    }
    let offerings: Vec<Uuid> = billed.iter().map(|(_, offering)| *offering).collect();
    let mut invoice = build_invoice(
        participant_id,
        from,
        to,
        billed.into_iter().map(|(line, _)| line).collect(),
    )
    .map_err(|error| ExchangeError::Conflict(error.to_string()))?;
    let lines = std::mem::take(&mut invoice.lines)
        .into_iter()
        .zip(offerings)
        .filter_map(|(line, offering_id)| {
            let service = services.get(&line.service_id)?;
            Some(BilledLine {
                offering_id,
                service_name: service.name.clone(),
                provider_id: service.provider_id,
                consumer_id: service.consumer_id,
                project_id: service.project_id,
                line,
            })
        })
        .collect();
    Ok(Bill { invoice, lines })
}

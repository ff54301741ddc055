//! Invoices and statements: lines for one participant and one period,
//! with a total rounded once, to the cent.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::BillingError;
use super::lines::InvoiceLine;

/// What a consumer owes for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    pub participant_id: Uuid,
    pub period_from: DateTime<Utc>,
    /// Exclusive.
    pub period_to: DateTime<Utc>,
    pub lines: Vec<InvoiceLine>,
    /// Sum of the line amounts, rounded to the cent, half away from zero,
    /// always with two decimals.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total: Decimal,
    pub currency: Currency,
}

/// What a provider earns for a period: the lines of its services, in the
/// same shape as an invoice, with the provider as `participant_id`. One
/// type and one builder, so the two sides of a transaction always agree
/// to the cent.
pub type Statement = Invoice;

/// The exchange settles in euros only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Currency {
    #[default]
    #[serde(rename = "EUR")]
    Eur,
}

/// Cents: the precision of a total.
pub const TOTAL_DECIMALS: u32 = 2;

/// `amounts` summed and rounded once to the cent, half away from zero, as
/// an invoice's total is (and any subtotal of its lines).
pub fn total_of(amounts: impl IntoIterator<Item = Decimal>) -> Result<Decimal, BillingError> {
    let mut sum = Decimal::ZERO;
    for amount in amounts {
        sum = sum.checked_add(amount).ok_or(BillingError::TotalTooLarge)?;
    }
    let mut total =
        sum.round_dp_with_strategy(TOTAL_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    // Always written with its cents, `12.30` rather than `12.3`; rounding
    // above leaves nothing for this to round.
    total.rescale(TOTAL_DECIMALS);
    Ok(total)
}

/// An invoice (or a [`Statement`]) for `participant_id` over `[from, to)`.
pub fn build_invoice(
    participant_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    lines: Vec<InvoiceLine>,
) -> Result<Invoice, BillingError> {
    if to <= from {
        return Err(BillingError::EmptyPeriod { from, to });
    }
    let total = total_of(lines.iter().map(|line| line.amount))?;
    Ok(Invoice {
        participant_id,
        period_from: from,
        period_to: to,
        lines,
        total,
        currency: Currency::Eur,
    })
}

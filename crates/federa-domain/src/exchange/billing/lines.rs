//! Turning one service's usage into invoice lines.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::BillingError;
use super::usage::UsageWindow;
use crate::exchange::pricing::property_units;

/// One billed item. `amount` is `quantity × unit_price`, not rounded:
/// rounding happens once, on the total, so many small lines do not drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    pub service_id: Uuid,
    pub description: String,
    pub kind: LineKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub quantity: Decimal,
    /// EUR per unit of `quantity`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit_price: Decimal,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum LineKind {
    /// Hours in a running state at the base hourly rate.
    RunningHours,
    /// Units of a property times running hours (e.g. vCPU-hours).
    PropertyUnits,
    /// Units of a reported metric (e.g. GiB of egress).
    Metric,
}

/// The lines one service owes for `[from, to)`, in price-sheet order:
/// running hours, then each priced property, then each priced metric.
///
/// Lines with nothing to bill (zero hours, a property of zero units, a
/// metric whose entries add up to zero or less) are left out, and so are
/// metrics the price sheet does not price: unpriced usage is free.
pub fn bill_service(
    window: &UsageWindow,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<InvoiceLine>, BillingError> {
    if to <= from {
        return Err(BillingError::EmptyPeriod { from, to });
    }
    let mut lines = Vec::new();
    let hours = window.running_hours(from, to);
    let price = &window.price;
    push_line(
        window,
        &mut lines,
        LineKind::RunningHours,
        "running hours".to_owned(),
        hours,
        price.hourly,
    )?;
    for entry in &price.per_property {
        let units = property_units(&window.properties, &entry.property).ok_or_else(|| {
            BillingError::PropertyTooLarge {
                service_id: window.service_id,
                property: entry.property.clone(),
            }
        })?;
        let description = format!("{}: {}-hours", entry.property, unit_name(&entry.unit));
        let quantity = units
            .checked_mul(hours)
            .ok_or_else(|| too_large(window, &description))?;
        push_line(
            window,
            &mut lines,
            LineKind::PropertyUnits,
            description,
            quantity,
            entry.hourly_per_unit,
        )?;
    }
    for entry in &price.per_metric {
        let description = format!("{}: {}", entry.metric_type, unit_name(&entry.unit));
        let mut quantity = Decimal::ZERO;
        for total in window
            .metric_totals
            .iter()
            .filter(|t| t.metric_type == entry.metric_type)
        {
            quantity = quantity
                .checked_add(total.quantity)
                .ok_or_else(|| too_large(window, &description))?;
        }
        push_line(
            window,
            &mut lines,
            LineKind::Metric,
            description,
            quantity,
            entry.per_unit,
        )?;
    }
    Ok(lines)
}

fn push_line(
    window: &UsageWindow,
    lines: &mut Vec<InvoiceLine>,
    kind: LineKind,
    description: String,
    quantity: Decimal,
    unit_price: Decimal,
) -> Result<(), BillingError> {
    if quantity <= Decimal::ZERO {
        return Ok(());
    }
    let amount = quantity
        .checked_mul(unit_price)
        .ok_or_else(|| too_large(window, &description))?;
    lines.push(InvoiceLine {
        service_id: window.service_id,
        description,
        kind,
        quantity,
        unit_price,
        amount,
    });
    Ok(())
}

fn unit_name(unit: &str) -> &str {
    if unit.trim().is_empty() {
        "unit"
    } else {
        unit
    }
}

fn too_large(window: &UsageWindow, description: &str) -> BillingError {
    BillingError::LineTooLarge {
        service_id: window.service_id,
        description: description.to_owned(),
    }
}

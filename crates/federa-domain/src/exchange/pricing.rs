//! What an offering costs: a price sheet, and the hourly price it gives a
//! service with given properties. Money is EUR in [`Decimal`], never a
//! float, so prices add up to the cent.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::money::amount;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PriceSheet {
    /// EUR per hour spent in a running state, whatever the properties.
    #[serde(deserialize_with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hourly: Decimal,
    /// EUR per hour per unit of a numeric property, e.g. per vCPU.
    #[serde(default)]
    pub per_property: Vec<PropertyPrice>,
    /// EUR per unit of a reported metric, e.g. per GiB of egress.
    #[serde(default)]
    pub per_metric: Vec<MetricPrice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PropertyPrice {
    /// Top-level property whose numeric value counts the units, e.g. `cpu`.
    pub property: String,
    /// What one unit is, for people reading an invoice, e.g. `vCPU`.
    pub unit: String,
    #[serde(deserialize_with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub hourly_per_unit: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MetricPrice {
    /// Name of the metric type, e.g. `network.egress`.
    pub metric_type: String,
    pub unit: String,
    #[serde(deserialize_with = "amount")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub per_unit: Decimal,
}

impl PriceSheet {
    /// EUR per running hour for a service with `properties`: the base rate
    /// plus, for each priced property, its unit price times its value.
    ///
    /// A missing, non-numeric or negative property counts 0 units: the
    /// property schema decides what is required, and a negative quantity
    /// must never become a discount. A property or a result too large for
    /// a [`Decimal`] gives [`Decimal::MAX`], so such an offering loses
    /// every price comparison and fails every price cap rather than
    /// looking free.
    pub fn hourly_price(&self, properties: &Map<String, Value>) -> Decimal {
        self.checked_hourly_price(properties)
            .map_or(Decimal::MAX, |price| price.normalize())
    }

    /// The priced property whose value makes the hourly price too large for
    /// a [`Decimal`], if any: such an order is refused rather than shown a
    /// price that is not its own.
    pub fn overflowing_property(&self, properties: &Map<String, Value>) -> Option<&str> {
        let mut total = self.hourly;
        for price in &self.per_property {
            let added = property_units(properties, &price.property)
                .and_then(|units| price.hourly_per_unit.checked_mul(units))
                .and_then(|cost| total.checked_add(cost));
            match added {
                Some(sum) => total = sum,
                None => return Some(&price.property),
            }
        }
        None
    }

    fn checked_hourly_price(&self, properties: &Map<String, Value>) -> Option<Decimal> {
        let mut total = self.hourly;
        for price in &self.per_property {
            let units = property_units(properties, &price.property)?;
            total = total.checked_add(price.hourly_per_unit.checked_mul(units)?)?;
        }
        Some(total)
    }

    pub fn metric_price(&self, metric_type: &str) -> Option<&MetricPrice> {
        self.per_metric
            .iter()
            .find(|price| price.metric_type == metric_type)
    }
}

/// How many units the property `name` holds, by the rules of
/// [`PriceSheet::hourly_price`]; `None` when the number does not fit a
/// [`Decimal`].
pub(crate) fn property_units(properties: &Map<String, Value>, name: &str) -> Option<Decimal> {
    match properties.get(name) {
        Some(Value::Number(number)) => exact_decimal(number).map(|units| units.max(Decimal::ZERO)),
        _ => Some(Decimal::ZERO),
    }
}

/// The number's own digits as a decimal: `0.1` is exactly one tenth, not
/// the binary float nearest to it.
fn exact_decimal(number: &Number) -> Option<Decimal> {
    let text = number.to_string();
    if let Ok(value) = Decimal::from_str_exact(&text) {
        return Some(value);
    }
    if let Ok(value) = Decimal::from_scientific(&text) {
        return Some(value);
    }
    // Out of range: below 1e-28 is nothing worth counting, above is too
    // large to price.
    match number.as_f64() {
        Some(float) if float.abs() < 1.0 => Some(Decimal::ZERO),
        _ => None,
    }
}

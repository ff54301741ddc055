//! Metering and billing as pure computation: from a service's status
//! history, properties and metric totals to invoice lines, and from lines
//! to an invoice or a provider statement.
//!
//! Amounts are EUR in exact decimals. Hours keep six decimals, line
//! amounts are not rounded, and only a document's total is rounded to the
//! cent (half away from zero). Loading usage and storing invoices belong
//! to the caller.

mod error;
mod history;
mod invoice;
mod lines;
mod usage;

pub use error::BillingError;
pub use history::{bill_service_over_prices, priced_spans, MetricReading, PriceChange, PricedSpan};
pub use invoice::{build_invoice, total_of, Currency, Invoice, Statement, TOTAL_DECIMALS};
pub use lines::{bill_service, InvoiceLine, LineKind};
pub use usage::{MetricTotal, StatusChange, UsageWindow, HOURS_DECIMALS};

//! The market rules of the exchange: provider profiles, offerings, placement, pricing and billing.
//!
//! - [`profile`]: a provider's sovereignty profile (headquarters, foreign
//!   law, regions, [`certification`]s), checked against [`countries`].
//! - [`offering`]: what a provider proposes, where and at what
//!   [`pricing`], on which [`exit_terms`].
//! - [`placement`]: which offering, region and agent run a new service,
//!   with every reason each other candidate was refused.
//! - [`composition`]: several services ordered together, in dependency
//!   order, with relations between their placements and outputs wired
//!   into inputs; [`composition_progress`]: how its members move and
//!   what its overall status is.
//! - [`billing`]: running time and metrics turned into invoice lines,
//!   invoices and provider statements.
//! - [`switching`]: moving a service to another provider with its data:
//!   the stages of a switch and what each signal leads to.
//! - [`money`]: amounts on the wire as decimal strings; [`lists`]: what
//!   the exchange's list endpoints filter and sort by.
//!
//! Everything here is a pure function of its arguments, including the
//! current time, which callers pass in. Validation returns every problem
//! at once as [`FieldError`](crate::listing::FieldError)s with camelCase
//! paths such as `regions[1].country`.

pub mod billing;
pub mod certification;
pub mod composition;
pub mod composition_progress;
pub mod countries;
pub mod exit_terms;
pub mod lists;
pub mod money;
pub mod offering;
pub mod placement;
pub mod pricing;
pub mod profile;
pub mod switch_report;
pub mod switching;

mod problems;

pub use rust_decimal::Decimal;

pub use certification::{Certification, CertificationKind};
pub use exit_terms::{ExitTerms, ExitTermsOn, Exportable};
pub use offering::Offering;
pub use pricing::{MetricPrice, PriceSheet, PropertyPrice};
pub use profile::{is_region_code, ProviderProfile, Region};

//! One way for the exchange's `validate` functions to collect every
//! problem with a document, each with the path of the field to fix.

use rust_decimal::Decimal;

use super::countries::{self, NOT_A_COUNTRY};
use crate::listing::FieldError;

/// Problems found so far; validation keeps going after the first so the
/// caller can fix everything in one round trip.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(path, message));
    }

    pub(crate) fn country(&mut self, path: impl Into<String>, code: &str) {
        if !countries::is_country(code) {
            self.push(path, NOT_A_COUNTRY);
        }
    }

    pub(crate) fn not_negative(&mut self, path: impl Into<String>, amount: Decimal) {
        if amount < Decimal::ZERO {
            self.push(path, "must not be negative");
        }
    }

    /// A name that must be given and not repeat one of `earlier`, such as
    /// a priced property's; `twice` says what a repeat is.
    pub(crate) fn named_once<'a>(
        &mut self,
        path: String,
        name: &str,
        mut earlier: impl Iterator<Item = &'a str>,
        twice: String,
    ) {
        if name.is_empty() {
            self.push(path, "must not be empty");
        } else if earlier.any(|other| other == name) {
            self.push(path, twice);
        }
    }

    pub(crate) fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

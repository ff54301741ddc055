//! The order a list is read in: a query chooses it and a cursor records
//! it, so it stands apart from both.

/// A list's order: by one column, ascending or descending (then by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: &'static str,
    pub descending: bool,
}

//! One way to ask for a list: pagination, filters and sorting parsed from
//! query parameters against a per-resource specification, and one page
//! envelope for the answer.

mod page;
mod query;

pub use page::{Page, PageRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use query::{FieldError, Filter, FilterKind, FilterSpec, ListQuery, ListSpec, Match, Sort};

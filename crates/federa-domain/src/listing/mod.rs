//! One way to ask for a list: pagination, filters and sorting parsed from
//! query parameters against a per-resource specification, and one page
//! envelope for the answer.

mod cursor;
mod page;
mod query;
mod sort;

pub use cursor::{Cursor, SortKey, CURSOR_RULE};
pub use page::{
    Page, PagePlace, PageRequest, Total, DEFAULT_PAGE_SIZE, EXACT_TOTAL_MAX, MAX_PAGE_SIZE,
};
pub use query::{FieldError, Filter, FilterKind, FilterSpec, ListQuery, ListSpec, Match};
pub use sort::Sort;

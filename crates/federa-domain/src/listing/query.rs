use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::cursor::Cursor;
use super::page::{PageRequest, MAX_PAGE_SIZE};
use super::sort::Sort;

/// A bad parameter, named so the caller can fix it: the same type as the
/// property-schema engine reports, so every 400 has one shape.
pub use crate::property_schema::PropertyError as FieldError;

/// Values one filter parameter may list, counting repeats of the
/// parameter. Each value is one comparison in the query; SQLite refuses an
/// expression tree much deeper than a thousand.
pub const MAX_FILTER_VALUES: usize = 100;

/// Characters one filter value may hold: far above any name, and far below
/// the 50,000-byte pattern SQLite refuses in `LIKE`.
pub const MAX_FILTER_VALUE_CHARS: usize = 1000;

/// What values a filter parameter accepts and how it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// Case-insensitive substring match on text.
    Contains,
    /// Exact match on text.
    Exact,
    /// One of a closed set of values.
    OneOf(&'static [&'static str]),
    Uuid,
    /// Lower bound (inclusive) on an RFC 3339 time.
    Since,
    /// Upper bound (exclusive) on an RFC 3339 time.
    Until,
    Bool,
}

/// One filter parameter of a list endpoint, and the column it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterSpec {
    pub param: &'static str,
    pub column: &'static str,
    pub kind: FilterKind,
}

impl FilterSpec {
    pub const fn new(param: &'static str, column: &'static str, kind: FilterKind) -> FilterSpec {
        FilterSpec {
            param,
            column,
            kind,
        }
    }
}

/// Everything a list endpoint accepts besides `page` and `pageSize`.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    pub filters: &'static [FilterSpec],
    /// Sortable parameter names and their columns.
    pub sorts: &'static [(&'static str, &'static str)],
    /// Column and direction used when no `sort` is given; the id breaks ties.
    pub default_sort: (&'static str, bool),
}

/// How a parsed filter compares a column with its values.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// Any of these lower-cased fragments occurs in the column.
    Contains(Vec<String>),
    /// The column equals one of these texts.
    AnyText(Vec<String>),
    AnyUuid(Vec<Uuid>),
    Since(DateTime<Utc>),
    Until(DateTime<Utc>),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: &'static str,
    pub matching: Match,
}

/// A validated list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub page: PageRequest,
    pub filters: Vec<Filter>,
    pub sort: Sort,
    /// Read the rows after this one instead of page `page`.
    pub cursor: Option<Cursor>,
}

impl ListSpec {
    /// Parses raw query pairs. Repeated parameters and comma-separated values
    /// both give several values for a filter. Parameters the spec does not
    /// know are ignored, as Fulcrum does, so clients may send extras.
    pub fn parse(&self, pairs: &[(String, String)]) -> Result<ListQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut page = PageRequest::default();
        let mut sort = Sort {
            column: self.default_sort.0,
            descending: self.default_sort.1,
        };
        let mut filters: Vec<Filter> = Vec::new();
        let mut counted: Vec<(&str, usize)> = Vec::new();
        let mut cursor_text: Option<&str> = None;
        let mut page_given = false;

        for (key, value) in pairs {
            match key.as_str() {
                "cursor" => cursor_text = Some(value),
                "page" => match value.trim().parse::<u32>() {
                    Ok(n) if n >= 1 => {
                        page.page = n;
                        page_given = true;
                    }
                    _ => errors.push(FieldError::new("page", "must be an integer of at least 1")),
                },
                "pageSize" => match value.trim().parse::<u32>() {
                    Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => page.page_size = n,
                    _ => errors.push(FieldError::new(
                        "pageSize",
                        format!("must be an integer from 1 to {MAX_PAGE_SIZE}"),
                    )),
                },
                "sort" => match self.parse_sort(value) {
                    Ok(parsed) => sort = parsed,
                    Err(error) => errors.push(error),
                },
                _ => {
                    if let Some(spec) = self.filters.iter().find(|f| f.param == key) {
                        if let Err(error) = count_values(&mut counted, spec.param, value) {
                            if !errors.iter().any(|e: &FieldError| e.path == error.path) {
                                errors.push(error);
                            }
                            continue;
                        }
                        match parse_filter(spec, value) {
                            Ok(Some(filter)) => merge_filter(&mut filters, filter),
                            Ok(None) => {}
                            Err(error) => errors.push(error),
                        }
                    }
                }
            }
        }
        // The cursor is read last: it must belong to the sort, which may
        // come after it in the query.
        let cursor = match cursor_text {
            Some(_) if page_given => {
                errors.push(FieldError::new(
                    "page",
                    "must not be given with cursor: a cursor says where the page starts",
                ));
                None
            }
            Some(text) => Cursor::decode(text, sort)
                .map_err(|error| errors.push(error))
                .ok(),
            None => None,
        };
        if errors.is_empty() {
            Ok(ListQuery {
                page,
                filters,
                sort,
                cursor,
            })
        } else {
            Err(errors)
        }
    }

    fn parse_sort(&self, value: &str) -> Result<Sort, FieldError> {
        let value = value.trim();
        let (descending, name) = match value.as_bytes().first() {
            Some(b'-') => (true, &value[1..]),
            Some(b'+') => (false, &value[1..]),
            // A '+' in a query string decodes to a space.
            Some(b' ') => (false, value[1..].trim_start()),
            _ => (false, value),
        };
        match self.sorts.iter().find(|(param, _)| *param == name) {
            Some((_, column)) => Ok(Sort { column, descending }),
            None => {
                let allowed: Vec<&str> = self.sorts.iter().map(|(p, _)| *p).collect();
                Err(FieldError::new(
                    "sort",
                    format!(
                        "must be one of [{}], optionally prefixed with + or -",
                        allowed.join(", ")
                    ),
                ))
            }
        }
    }
}

fn split_values(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// Adds the values of one occurrence of `param` to its running count.
fn count_values<'a>(
    counted: &mut Vec<(&'a str, usize)>,
    param: &'a str,
    value: &str,
) -> Result<(), FieldError> {
    let values = split_values(value);
    if let Some(long) = values
        .iter()
        .find(|v| v.chars().count() > MAX_FILTER_VALUE_CHARS)
    {
        return Err(FieldError::new(
            param,
            format!(
                "each value must be at most {MAX_FILTER_VALUE_CHARS} characters, got {}",
                long.chars().count()
            ),
        ));
    }
    let total = match counted.iter_mut().find(|(name, _)| *name == param) {
        Some((_, count)) => {
            *count += values.len();
            *count
        }
        None => {
            counted.push((param, values.len()));
            values.len()
        }
    };
    if total > MAX_FILTER_VALUES {
        return Err(FieldError::new(
            param,
            format!("must list at most {MAX_FILTER_VALUES} values"),
        ));
    }
    Ok(())
}

fn parse_filter(spec: &FilterSpec, value: &str) -> Result<Option<Filter>, FieldError> {
    let values = split_values(value);
    if values.is_empty() {
        return Ok(None);
    }
    let matching = match spec.kind {
        FilterKind::Contains => Match::Contains(values.iter().map(|v| v.to_lowercase()).collect()),
        FilterKind::Exact => Match::AnyText(values.iter().map(|v| v.to_string()).collect()),
        FilterKind::OneOf(allowed) => {
            for v in &values {
                if !allowed.contains(v) {
                    return Err(FieldError::new(
                        spec.param,
                        format!("must be one of [{}], got {v:?}", allowed.join(", ")),
                    ));
                }
            }
            Match::AnyText(values.iter().map(|v| v.to_string()).collect())
        }
        FilterKind::Uuid => {
            let mut ids = Vec::with_capacity(values.len());
            for v in &values {
                ids.push(Uuid::parse_str(v).map_err(|_| {
                    FieldError::new(spec.param, format!("must be a UUID, got {v:?}"))
                })?);
            }
            Match::AnyUuid(ids)
        }
        FilterKind::Since | FilterKind::Until => {
            let time = DateTime::parse_from_rfc3339(value.trim())
                .map_err(|_| FieldError::new(spec.param, "must be an RFC 3339 time"))?
                .with_timezone(&Utc);
            if spec.kind == FilterKind::Since {
                Match::Since(time)
            } else {
                Match::Until(time)
            }
        }
        FilterKind::Bool => match value.trim() {
            "true" => Match::Bool(true),
            "false" => Match::Bool(false),
            _ => return Err(FieldError::new(spec.param, "must be true or false")),
        },
    };
    Ok(Some(Filter {
        column: spec.column,
        matching,
    }))
}

/// A repeated list parameter adds values to the same filter instead of
/// narrowing the result to rows that match both.
fn merge_filter(filters: &mut Vec<Filter>, filter: Filter) {
    let existing = filters.iter_mut().find(|f| f.column == filter.column);
    match (existing.map(|f| &mut f.matching), filter.matching) {
        (Some(Match::Contains(a)), Match::Contains(b)) => a.extend(b),
        (Some(Match::AnyText(a)), Match::AnyText(b)) => a.extend(b),
        (Some(Match::AnyUuid(a)), Match::AnyUuid(b)) => a.extend(b),
        (_, matching) => filters.push(Filter {
            column: filter.column,
            matching,
        }),
    }
}

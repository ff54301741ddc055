//! The words of a `list` command into the list's query: `--page`,
//! `--page-size`, `--sort` and the filters the exchange knows for that
//! list, as `--serviceId ID`, `--service-id ID` or `--filter serviceId=ID`.
//!
//! A filter the list does not take is refused here: the exchange ignores
//! query parameters it does not know (as Fulcrum does), so a misspelt
//! filter would otherwise print the whole list as if it had matched.

use clap::Args;
use federa_domain::listing::ListSpec;

use super::{output::Format, usage, Failure};

/// The flags every `list` takes; further `--key value` words are filters.
#[derive(Args)]
pub struct ListArgs {
    /// A filter as key=value (repeatable); `--key value` works too.
    #[arg(long = "filter", short = 'f')]
    filters: Vec<String>,
    /// Page number, from 1.
    #[arg(long)]
    page: Option<u32>,
    /// Items per page, 1 to 100.
    #[arg(long)]
    page_size: Option<u32>,
    /// e.g. `name` or `-createdAt`.
    #[arg(long, allow_hyphen_values = true)]
    sort: Option<String>,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    extra: Vec<String>,
}

/// What a `list` command asks for.
pub struct ListQuery {
    /// Query parameters, in the exchange's spelling.
    pub pairs: Vec<(String, String)>,
    /// An `-o FORMAT` among the trailing words.
    pub output: Option<Format>,
}

/// Query parameters every list takes besides its filters.
const PAGING: [&str; 3] = ["page", "pageSize", "sort"];

impl ListArgs {
    /// The query of `federa COMMAND list …` against the list's `spec`.
    pub fn query(self, command: &str, spec: &ListSpec) -> Result<ListQuery, Failure> {
        let mut pairs = Vec::new();
        for filter in &self.filters {
            let (key, value) = filter
                .split_once('=')
                .ok_or_else(|| usage(format!("--filter {filter:?} must be key=value")))?;
            pairs.push((known(command, spec, key)?, value.to_string()));
        }
        let mut output = None;
        let mut words = self.extra.iter();
        while let Some(word) = words.next() {
            let (flag, inline) = match word.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
                _ => (word.as_str(), None),
            };
            let key = match flag {
                "-o" | "--output" => "output",
                other => other
                    .strip_prefix("--")
                    .ok_or_else(|| usage(format!("unexpected argument {word:?}")))?,
            };
            let value = match inline {
                Some(value) => value,
                None => words
                    .next()
                    .cloned()
                    .ok_or_else(|| usage(format!("{flag} needs a value")))?,
            };
            if key == "output" {
                output = Some(super::output::parse_format(&value)?);
            } else {
                pairs.push((known(command, spec, key)?, value));
            }
        }
        pairs.extend(self.page.map(|p| ("page".to_string(), p.to_string())));
        pairs.extend(
            self.page_size
                .map(|p| ("pageSize".to_string(), p.to_string())),
        );
        pairs.extend(self.sort.map(|s| ("sort".to_string(), s)));
        Ok(ListQuery { pairs, output })
    }
}

/// `key` (camelCase or kebab-case) as the exchange spells it, if the list
/// takes it.
fn known(command: &str, spec: &ListSpec, key: &str) -> Result<String, Failure> {
    let camel = camel_case(key);
    let takes = |name: &str| name == key || name == camel;
    if let Some(name) = PAGING.iter().copied().find(|name| takes(name)) {
        return Ok(name.to_string());
    }
    if let Some(filter) = spec.filters.iter().find(|filter| takes(filter.param)) {
        return Ok(filter.param.to_string());
    }
    let filters: Vec<String> = spec
        .filters
        .iter()
        .map(|filter| format!("--{}", filter.param))
        .collect();
    let filters = if filters.is_empty() {
        "no filters".to_string()
    } else {
        format!("the filters {}", filters.join(", "))
    };
    Err(usage(format!(
        "`federa {command} list` has no filter --{key}; it takes --page, --page-size, --sort and {filters}"
    )))
}

/// `page-size` as `pageSize`; a camelCase key stays as it is.
fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use federa_domain::provisioning::JOB_LIST;

    fn args(extra: &[&str]) -> ListArgs {
        ListArgs {
            filters: Vec::new(),
            page: None,
            page_size: None,
            sort: None,
            extra: extra.iter().map(|word| word.to_string()).collect(),
        }
    }

    #[test]
    fn filters_are_taken_in_either_spelling_and_paging_among_them() {
        let query = args(&["--service-id", "s1", "--status=Failed", "--page-size", "2"])
            .query("jobs", &JOB_LIST)
            .unwrap_or_else(|failure| panic!("{}", failure.message));
        assert_eq!(
            query.pairs,
            [("serviceId", "s1"), ("status", "Failed"), ("pageSize", "2")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn an_unknown_filter_is_a_usage_error_naming_the_ones_the_list_takes() {
        let Err(failure) = args(&["--colour", "red"]).query("jobs", &JOB_LIST) else {
            panic!("--colour was taken");
        };
        assert_eq!(failure.code, 2);
        assert!(
            failure.message.contains("--colour") && failure.message.contains("--serviceId"),
            "{}",
            failure.message
        );
    }
}

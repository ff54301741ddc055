//! Tables for people, JSON for scripts.

use chrono::{DateTime, SecondsFormat, Utc};
use federa_client::api::PageRes;
use federa_client::Sent;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// A record of any collection, read as far as the command line's generic
/// verbs need: its id (a provider profile has none of its own). The rest
/// is shown as the exchange sent it.
#[derive(Deserialize)]
pub struct Record {
    #[serde(default)]
    pub id: Option<Uuid>,
}

/// A page of any collection, with each record's document.
pub type Page = Sent<PageRes<Sent<Record>>>;

/// A document as `-o json` prints it.
pub fn pretty(document: &Value) -> String {
    serde_json::to_string_pretty(document).unwrap_or_default()
}

/// A time as the exchange writes it (RFC 3339, UTC, `Z`).
pub fn timestamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    /// Only the id, or a list's ids one a line: for `$(…)` in scripts.
    Id,
}

/// An `-o FORMAT` given among words clap does not parse itself.
pub fn parse_format(text: &str) -> Result<Format, super::Failure> {
    match text {
        "json" => Ok(Format::Json),
        "table" => Ok(Format::Table),
        "id" => Ok(Format::Id),
        other => Err(super::usage(format!(
            "unknown output format {other:?}; use table, json or id"
        ))),
    }
}

/// A cell: strings bare, lists joined, absent values as `-`.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A field of a row; `price.hourly` reaches into objects.
fn field_of<'a>(row: &'a Value, field: &str) -> &'a Value {
    field
        .split('.')
        .try_fold(row, |value, key| value.get(key))
        .unwrap_or(&Value::Null)
}

/// Rows of documents aligned under their headers, each column showing
/// the field its header names.
pub fn table(columns: &[(&str, &str)], rows: &[Value]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|(_, field)| cell(field_of(row, field)))
                .collect()
        })
        .collect();
    let headers: Vec<&str> = columns.iter().map(|(header, _)| *header).collect();
    grid(&headers, cells)
}

/// Rows of cells aligned under their headers.
pub fn grid(headers: &[&str], cells: Vec<Vec<String>>) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([header.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: Vec<String>| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{v:<width$}", width = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(headers.iter().map(|h| h.to_string()).collect())];
    out.extend(cells.into_iter().map(line));
    out.join("\n")
}

/// A line of cells padded to `widths`, for lines printed one at a time
/// (the last cell is not padded); a longer cell is cut short with `…` so
/// that the columns after it stay aligned.
pub fn fixed_row(cells: impl IntoIterator<Item = String>, widths: &[usize]) -> String {
    cells
        .into_iter()
        .enumerate()
        .map(|(i, cell)| match widths.get(i) {
            Some(&width) if cell.chars().count() > width => {
                let cut: String = cell.chars().take(width - 1).collect();
                format!("{cut}…")
            }
            Some(&width) => format!("{cell:<width$}"),
            None => cell,
        })
        .collect::<Vec<_>>()
        .join("  ")
        .trim_end()
        .to_string()
}

/// One object as `FIELD  value` lines.
pub fn record(value: &Value) -> String {
    let Some(map) = value.as_object() else {
        return cell(value);
    };
    let width = map.keys().map(String::len).max().unwrap_or(0);
    map.iter()
        .map(|(key, v)| match v {
            Value::Object(_) => format!("{key:<width$}  {}", v),
            _ => format!("{key:<width$}  {}", cell(v)),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_columns() {
        let rows = [
            json!({"id": "a", "name": "long name"}),
            json!({"id": "bbbb", "name": null}),
        ];
        assert_eq!(
            table(&[("ID", "id"), ("NAME", "name")], &rows),
            "ID    NAME\na     long name\nbbbb  -"
        );
    }

    #[test]
    fn fixed_rows_pad_and_cut_all_but_the_last_cell() {
        let row = |cells: [&str; 3]| fixed_row(cells.map(String::from), &[3, 4]);
        assert_eq!(row(["1", "ab", "rest of it"]), "1    ab    rest of it");
        assert_eq!(row(["1234", "abcdef", "x"]), "12…  abc…  x");
    }
}

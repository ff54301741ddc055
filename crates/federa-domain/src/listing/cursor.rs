//! Keyset pages: where the next page of a list starts, handed to the caller
//! as an opaque `cursor` instead of a page number, so reading a page costs
//! the same however deep in the list it is, and rows inserted meanwhile
//! neither repeat nor skip a row of the walk.
//!
//! A cursor names the page's last row by its value in the sort's column and
//! its id (the tie-breaker: a UUID, or an event's sequence number), and the
//! sort it was read in; it is only valid for that same sort.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sort::Sort;
use crate::property_schema::PropertyError as FieldError;

/// A row's value in the column a list is sorted by, as the database gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortKey {
    Text(String),
    Int(i64),
    Float(f64),
    Time(DateTime<Utc>),
    Uuid(Uuid),
}

/// The last row of a page: the next page holds the rows after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub sort: Sort,
    pub key: SortKey,
    pub id: SortKey,
}

/// What a cursor carries on the wire, before it is checked against the
/// request's sort.
#[derive(Serialize, Deserialize)]
struct Encoded {
    /// The sort's column and direction.
    column: String,
    descending: bool,
    key: SortKey,
    id: SortKey,
}

/// The rule a `cursor` that cannot be read breaks.
pub const CURSOR_RULE: &str = "must be the nextCursor of an earlier page of this list";

impl Cursor {
    /// The opaque text a caller sends back as `cursor`.
    pub fn encode(&self) -> String {
        let encoded = Encoded {
            column: self.sort.column.to_string(),
            descending: self.sort.descending,
            key: self.key.clone(),
            id: self.id.clone(),
        };
        // Serialising plain data to a string cannot fail.
        let json = serde_json::to_vec(&encoded).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads `text` as a cursor of a list sorted by `sort`.
    pub fn decode(text: &str, sort: Sort) -> Result<Cursor, FieldError> {
        let unreadable = || FieldError::new("cursor", CURSOR_RULE);
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| unreadable())?;
        let encoded: Encoded = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
        if encoded.column != sort.column || encoded.descending != sort.descending {
            return Err(FieldError::new(
                "cursor",
                "belongs to a page in another sort: send the sort of the page that gave it",
            ));
        }
        for key in [&encoded.key, &encoded.id] {
            if matches!(key, SortKey::Float(value) if !value.is_finite()) {
                return Err(unreadable());
            }
        }
        Ok(Cursor {
            sort,
            key: encoded.key,
            id: encoded.id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_creation() -> Sort {
        Sort {
            column: "created_at",
            descending: false,
        }
    }

    #[test]
    fn a_cursor_reads_back_as_it_was_written() {
        let cursor = Cursor {
            sort: by_creation(),
            key: SortKey::Time(Utc::now()),
            id: SortKey::Uuid(Uuid::now_v7()),
        };
        assert_eq!(
            Cursor::decode(&cursor.encode(), by_creation()).unwrap(),
            cursor
        );
    }

    #[test]
    fn a_cursor_of_another_sort_or_not_a_cursor_is_refused_naming_the_field() {
        let cursor = Cursor {
            sort: by_creation(),
            key: SortKey::Int(3),
            id: SortKey::Int(7),
        };
        let descending = Sort {
            column: "created_at",
            descending: true,
        };
        let error = Cursor::decode(&cursor.encode(), descending).unwrap_err();
        assert_eq!(error.path, "cursor");
        assert!(error.message.contains("another sort"), "{error:?}");
        for text in ["", "not a cursor!", "e30", &URL_SAFE_NO_PAD.encode("[1,2]")] {
            let error = Cursor::decode(text, by_creation()).unwrap_err();
            assert_eq!(
                (error.path.as_str(), error.message.as_str()),
                ("cursor", CURSOR_RULE)
            );
        }
    }
}

//! An answer read two ways: typed, for what the caller decides on, and as
//! the document the exchange sent, for a caller that shows the answer as
//! it came (the command line's `-o json`) instead of re-encoding it.

use std::ops::Deref;

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Sent<T> {
    pub value: T,
    pub document: Value,
}

impl<T> Deref for Sent<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Sent<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Sent<T>, D::Error> {
        let document = Value::deserialize(deserializer)?;
        let value = T::deserialize(&document).map_err(D::Error::custom)?;
        Ok(Sent { value, document })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use federa_api::PageRes;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Named {
        name: String,
    }

    #[test]
    fn a_sent_answer_keeps_fields_its_type_does_not_read() {
        let page: PageRes<Sent<Named>> = serde_json::from_value(json!({
            "items": [{"name": "web", "extra": [1, 2]}],
            "totalItems": 1, "totalPages": 1, "currentPage": 1,
            "hasNext": false, "hasPrev": false
        }))
        .unwrap();
        assert_eq!(page.items[0].name, "web");
        assert_eq!(
            page.items[0].document,
            json!({"name": "web", "extra": [1, 2]})
        );
    }

    #[test]
    fn a_sent_answer_refuses_a_document_its_type_cannot_read() {
        let refused = serde_json::from_value::<Sent<Named>>(json!({"name": 7}));
        assert!(refused.is_err());
    }
}

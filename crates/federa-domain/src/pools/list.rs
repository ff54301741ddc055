//! The `list` generator: the provider enters the values; the oldest free
//! one is handed out first, so allocation order is predictable.

use serde_json::Value;
use uuid::Uuid;

/// A free value of a list pool, as read before the claim.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedValue {
    pub id: Uuid,
    pub value: Value,
}

/// The first of `free` (oldest first) not already `chosen` for another
/// property of the same service; `None` when the pool is exhausted.
pub fn next_listed_value<'a>(free: &'a [ListedValue], chosen: &[Uuid]) -> Option<&'a ListedValue> {
    free.iter().find(|value| !chosen.contains(&value.id))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn next_listed_value_skips_values_taken_by_the_same_order() {
        let values: Vec<ListedValue> = (0..3)
            .map(|n| ListedValue {
                id: Uuid::from_u128(n),
                value: json!(format!("vlan-{n}")),
            })
            .collect();
        let cases: &[(&[u128], Option<u128>)] = &[
            (&[], Some(0)),
            (&[0], Some(1)),
            (&[1], Some(0)),
            (&[0, 1], Some(2)),
            (&[0, 1, 2], None),
        ];
        for (chosen, expected) in cases {
            let chosen: Vec<Uuid> = chosen.iter().map(|n| Uuid::from_u128(*n)).collect();
            let got = next_listed_value(&values, &chosen).map(|v| v.id);
            assert_eq!(got, expected.map(Uuid::from_u128), "{chosen:?}");
        }
        assert_eq!(next_listed_value(&[], &[]), None);
    }
}

//! The `subnet` generator: addresses of one CIDR range, handed out lowest
//! first, skipping the first and last `n` addresses and any listed ones.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};

use crate::listing::FieldError;

/// A checked subnet configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetConfig {
    network: IpNet,
    exclude_first: u128,
    exclude_last: u128,
    exclude: BTreeSet<IpAddr>,
}

const SETTINGS: [&str; 4] = ["cidr", "excludeFirst", "excludeLast", "exclude"];

impl SubnetConfig {
    /// Checks a `generatorConfig` object; every error names its field under
    /// `path` (e.g. `generatorConfig.cidr`).
    pub fn parse(path: &str, config: &Map<String, Value>) -> Result<SubnetConfig, Vec<FieldError>> {
        let mut errors = Vec::new();
        for key in config.keys().filter(|k| !SETTINGS.contains(&k.as_str())) {
            errors.push(FieldError::new(
                format!("{path}.{key}"),
                format!("is not a subnet setting; expected {}", SETTINGS.join(", ")),
            ));
        }
        let network = match config.get("cidr") {
            None | Some(Value::Null) => {
                errors.push(FieldError::new(format!("{path}.cidr"), "is required"));
                None
            }
            Some(Value::String(text)) => match text.trim().parse::<IpNet>() {
                Ok(network) => Some(network.trunc()),
                Err(_) => {
                    errors.push(FieldError::new(
                        format!("{path}.cidr"),
                        "must be a CIDR range such as 10.0.0.0/24 or 2001:db8::/64",
                    ));
                    None
                }
            },
            Some(_) => {
                errors.push(FieldError::new(format!("{path}.cidr"), "must be a string"));
                None
            }
        };
        let mut count = |key: &str| match config.get(key) {
            None | Some(Value::Null) => 0,
            Some(value) => match value.as_u64() {
                Some(n) => u128::from(n),
                None => {
                    errors.push(FieldError::new(
                        format!("{path}.{key}"),
                        "must be a whole number of at least 0",
                    ));
                    0
                }
            },
        };
        let exclude_first = count("excludeFirst");
        let exclude_last = count("excludeLast");
        let exclude = excluded_addresses(path, config.get("exclude"), network, &mut errors);
        let Some(network) = network else {
            return Err(errors);
        };
        let config = SubnetConfig {
            network,
            exclude_first,
            exclude_last,
            exclude,
        };
        if config.first_and_last().is_none() {
            errors.push(FieldError::new(
                path,
                "excludeFirst and excludeLast leave no address of the range to allocate",
            ));
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    /// The lowest address that is neither excluded nor in `taken`, or `None`
    /// when the range is exhausted.
    pub fn next_free(&self, taken: &BTreeSet<IpAddr>) -> Option<IpAddr> {
        let (first, last) = self.first_and_last()?;
        let base = address_number(self.network.network());
        // Walk the blocked offsets in order: the first gap is the answer, so
        // the cost follows the number of allocations, never the range size.
        let blocked: BTreeSet<u128> = taken
            .iter()
            .chain(&self.exclude)
            .filter(|address| self.network.contains(*address))
            .map(|address| address_number(*address) - base)
            .filter(|offset| (first..=last).contains(offset))
            .collect();
        let mut candidate = first;
        for offset in blocked {
            if offset != candidate {
                break;
            }
            if candidate == last {
                return None;
            }
            candidate += 1;
        }
        Some(self.address_at(base + candidate))
    }

    /// Offsets of the first and last allocatable address, if any remain.
    fn first_and_last(&self) -> Option<(u128, u128)> {
        let host_bits = u32::from(self.network.max_prefix_len() - self.network.prefix_len());
        let highest = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let last = highest.checked_sub(self.exclude_last)?;
        (self.exclude_first <= last).then_some((self.exclude_first, last))
    }

    fn address_at(&self, number: u128) -> IpAddr {
        match self.network {
            // In range by construction: the offset never leaves the network.
            IpNet::V4(_) => IpAddr::from(std::net::Ipv4Addr::from(number as u32)),
            IpNet::V6(_) => IpAddr::from(std::net::Ipv6Addr::from(number)),
        }
    }
}

fn address_number(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn excluded_addresses(
    path: &str,
    value: Option<&Value>,
    network: Option<IpNet>,
    errors: &mut Vec<FieldError>,
) -> BTreeSet<IpAddr> {
    let mut out = BTreeSet::new();
    let items = match value {
        None | Some(Value::Null) => return out,
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::new(
                format!("{path}.exclude"),
                "must be a list of addresses",
            ));
            return out;
        }
    };
    for (index, item) in items.iter().enumerate() {
        let here = format!("{path}.exclude[{index}]");
        match item
            .as_str()
            .and_then(|text| text.trim().parse::<IpAddr>().ok())
        {
            Some(address) if network.is_none_or(|n| n.contains(&address)) => {
                out.insert(address);
            }
            Some(_) => errors.push(FieldError::new(here, "is outside the cidr range")),
            None => errors.push(FieldError::new(here, "must be an IP address")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(value: Value) -> Result<SubnetConfig, Vec<FieldError>> {
        SubnetConfig::parse("generatorConfig", value.as_object().unwrap())
    }

    fn taken(addresses: &[&str]) -> BTreeSet<IpAddr> {
        addresses.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn next_free_address_skips_exclusions_and_taken_ones() {
        let cases: &[(Value, &[&str], Option<&str>)] = &[
            (json!({"cidr": "10.0.0.0/24"}), &[], Some("10.0.0.0")),
            (
                json!({"cidr": "10.0.0.0/24", "excludeFirst": 1}),
                &[],
                Some("10.0.0.1"),
            ),
            (
                json!({"cidr": "10.0.0.7/24", "excludeFirst": 10}),
                &[],
                Some("10.0.0.10"),
            ),
            (
                json!({"cidr": "10.0.0.0/24", "excludeFirst": 1}),
                &["10.0.0.1", "10.0.0.2", "10.0.0.4"],
                Some("10.0.0.3"),
            ),
            (
                json!({"cidr": "10.0.0.0/24", "excludeFirst": 1, "exclude": ["10.0.0.1", "10.0.0.2"]}),
                &["10.0.0.3"],
                Some("10.0.0.4"),
            ),
            // Addresses outside the range or before the first one are ignored.
            (
                json!({"cidr": "10.0.0.0/24", "excludeFirst": 5}),
                &["10.0.1.5", "10.0.0.1"],
                Some("10.0.0.5"),
            ),
            (
                json!({"cidr": "192.168.1.0/30", "excludeFirst": 1, "excludeLast": 1}),
                &["192.168.1.1"],
                Some("192.168.1.2"),
            ),
            (
                json!({"cidr": "192.168.1.0/30", "excludeFirst": 1, "excludeLast": 1}),
                &["192.168.1.1", "192.168.1.2"],
                None,
            ),
            (json!({"cidr": "10.9.9.9/32"}), &[], Some("10.9.9.9")),
            (json!({"cidr": "10.9.9.9/32"}), &["10.9.9.9"], None),
            (
                json!({"cidr": "2001:db8::/64", "excludeFirst": 1}),
                &["2001:db8::1"],
                Some("2001:db8::2"),
            ),
            (json!({"cidr": "::/0", "excludeLast": 1}), &[], Some("::")),
        ];
        for (settings, held, expected) in cases {
            let subnet = config(settings.clone()).unwrap();
            let got = subnet.next_free(&taken(held));
            assert_eq!(
                got,
                expected.map(|a| a.parse().unwrap()),
                "{settings} with {held:?}"
            );
        }
    }

    #[test]
    fn every_address_is_handed_out_once_until_exhausted() {
        let subnet =
            config(json!({"cidr": "10.1.0.0/28", "excludeFirst": 1, "excludeLast": 1})).unwrap();
        let mut held = BTreeSet::new();
        while let Some(address) = subnet.next_free(&held) {
            assert!(held.insert(address), "{address} handed out twice");
        }
        assert_eq!(held.len(), 14);
    }

    #[test]
    fn bad_settings_name_their_field() {
        let cases: &[(Value, &str)] = &[
            (json!({}), "generatorConfig.cidr"),
            (json!({"cidr": "10.0.0.0/33"}), "generatorConfig.cidr"),
            (json!({"cidr": "not a range"}), "generatorConfig.cidr"),
            (json!({"cidr": 10}), "generatorConfig.cidr"),
            (
                json!({"cidr": "10.0.0.0/24", "excludeFirst": -1}),
                "generatorConfig.excludeFirst",
            ),
            (
                json!({"cidr": "10.0.0.0/24", "excludeLast": 1.5}),
                "generatorConfig.excludeLast",
            ),
            (
                json!({"cidr": "10.0.0.0/24", "exclude": "10.0.0.1"}),
                "generatorConfig.exclude",
            ),
            (
                json!({"cidr": "10.0.0.0/24", "exclude": ["10.0.1.1"]}),
                "generatorConfig.exclude[0]",
            ),
            (
                json!({"cidr": "10.0.0.0/24", "exclude": ["x"]}),
                "generatorConfig.exclude[0]",
            ),
            (
                json!({"cidr": "10.0.0.0/24", "gateway": "10.0.0.1"}),
                "generatorConfig.gateway",
            ),
            (
                json!({"cidr": "10.0.0.0/30", "excludeFirst": 2, "excludeLast": 2}),
                "generatorConfig",
            ),
        ];
        for (settings, path) in cases {
            let errors = config(settings.clone()).unwrap_err();
            assert!(
                errors.iter().any(|e| e.path == *path),
                "{settings}: {errors:?}"
            );
        }
    }
}

//! The address a request comes from, for limits kept per client. Behind a
//! reverse proxy every request comes from the proxy; only when the peer is a
//! proxy the operator trusts (`--trusted-proxy`) is its `X-Forwarded-For`
//! believed, and then only as far as the chain of trusted proxies goes: the
//! rightmost address a trusted proxy did not add is the client. Anyone else
//! can write that header, so from an untrusted peer it is ignored.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client behind `peer`, given the `X-Forwarded-For` values it sent.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    // Several headers are one list, in order; the nearest hop is last.
    let hops: Vec<&str> = forwarded_for
        .flat_map(|header| header.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop that is not an address cannot be attributed: the last
        // trusted hop answers for it.
        let Ok(address) = hop.parse::<IpAddr>() else {
            return client;
        };
        client = address;
        if !is_trusted(&address) {
            return address;
        }
    }
    client
}

/// Parses `--trusted-proxy` values: CIDR blocks or single addresses.
pub fn parse_trusted(values: &[String]) -> Result<Vec<IpNet>, String> {
    values
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(|value| {
            value
                .parse::<IpNet>()
                .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("trusted proxy {value:?} is neither a CIDR block nor an address")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(values: &[&str]) -> Vec<IpNet> {
        parse_trusted(&values.iter().map(|v| v.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = nets(&["10.0.0.0/8"]);
        let client = client_address(ip("198.51.100.7"), ["203.0.113.9"].into_iter(), &trusted);
        assert_eq!(client, ip("198.51.100.7"));
        assert_eq!(
            client_address(ip("10.1.1.1"), std::iter::empty(), &[]),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.1"]);
        // The client wrote a fake first hop; the proxies appended the rest.
        let header = "1.2.3.4, 203.0.113.9, 10.0.0.5";
        assert_eq!(
            client_address(ip("192.0.2.1"), [header].into_iter(), &trusted),
            ip("203.0.113.9")
        );
        // Two headers read as one list.
        let headers = ["1.2.3.4, 203.0.113.9", "10.0.0.5"];
        assert_eq!(
            client_address(ip("192.0.2.1"), headers.into_iter(), &trusted),
            ip("203.0.113.9")
        );
        // Only trusted hops: the farthest of them.
        assert_eq!(
            client_address(ip("10.0.0.1"), ["10.9.9.9"].into_iter(), &trusted),
            ip("10.9.9.9")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.1"), std::iter::empty(), &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_hop_that_is_not_an_address_stops_at_the_last_trusted_one() {
        let trusted = nets(&["10.0.0.0/8"]);
        let header = "203.0.113.9, unknown, 10.0.0.5";
        assert_eq!(
            client_address(ip("10.0.0.1"), [header].into_iter(), &trusted),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn trusted_proxies_are_blocks_or_addresses() {
        assert_eq!(nets(&["10.0.0.0/8, ::1", "192.0.2.1"]).len(), 3);
        let bad = parse_trusted(&["10.0.0.0/33".to_string()]).unwrap_err();
        assert!(bad.contains("10.0.0.0/33"), "{bad}");
    }
}

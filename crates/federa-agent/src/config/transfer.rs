use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// `[transfer]`: moving services' data to and from other providers'
/// agents when a service switches providers.
///
/// ```toml
/// [transfer]
/// dir = "/var/lib/federa-agent/transfers"  # exports served, imports being received
/// listen = "0.0.0.0:7443"                  # serves exports over HTTPS; without it the
///                                          # agent imports but does not export
/// public_url = "https://agent.example.eu:7443"  # how other agents reach `listen`;
///                                               # by default https://<listen>
/// expiry_seconds = 3600                    # how long an export's token is accepted
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferConfig {
    pub dir: PathBuf,
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
    #[serde(default = "default_expiry")]
    pub expiry_seconds: u64,
}

fn default_expiry() -> u64 {
    3600
}

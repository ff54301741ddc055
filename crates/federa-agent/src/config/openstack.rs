//! `[driver] kind = "openstack"`: the settings of the OpenStack driver. In
//! every build, so that a build without the driver can say so.

use std::path::PathBuf;

use serde::Deserialize;

/// ```toml
/// [driver]
/// kind = "openstack"
/// cloud = "provider"            # an entry of clouds.yaml
/// clouds_file = "/etc/openstack/clouds.yaml"   # default: OpenStack's search path
/// image = "debian-12"           # for services that name no image
/// name_prefix = "federa-"       # servers are named <prefix><service id>
/// wait_timeout_seconds = 600    # how long an action waits for Nova
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenStackConfig {
    pub cloud: String,
    /// Without one: `OS_CLIENT_CONFIG_FILE`, then `./clouds.yaml`,
    /// `~/.config/openstack/clouds.yaml` and `/etc/openstack/clouds.yaml`.
    pub clouds_file: Option<PathBuf>,
    /// A Glance image, by name or id, for services without an `image`.
    pub image: Option<String>,
    #[serde(default = "default_name_prefix")]
    pub name_prefix: String,
    #[serde(default = "default_wait_timeout")]
    pub wait_timeout_seconds: u64,
    /// How often a waiting action reads the server again.
    #[serde(default = "default_poll_interval")]
    pub poll_interval_milliseconds: u64,
}

fn default_name_prefix() -> String {
    "federa-".into()
}
fn default_wait_timeout() -> u64 {
    600
}
fn default_poll_interval() -> u64 {
    1000
}

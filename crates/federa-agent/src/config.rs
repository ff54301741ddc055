use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod openstack;
mod transfer;
pub use openstack::OpenStackConfig;
pub use transfer::TransferConfig;

/// `agent.toml`.
///
/// ```toml
/// url = "http://127.0.0.1:3000"
/// token = "…"                  # or token_file = "/etc/federa/agent.token",
///                              # which lets the agent renew its token
/// concurrency = 4
///
/// [driver]
/// kind = "process"
/// work_dir = "/var/lib/federa-agent"
/// ports = [20000, 20999]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub url: String,
    pub token: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Jobs run at the same time.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Seconds a long-poll for jobs waits.
    #[serde(default = "default_poll_wait")]
    pub poll_wait_seconds: u64,
    /// Seconds between lease renewals of running jobs and status heartbeats.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_seconds: u64,
    #[serde(default = "default_metrics")]
    pub metrics_seconds: u64,
    /// Seconds between reports of what the platform shows of every
    /// service; one is also made after each job.
    #[serde(default = "default_observe")]
    pub observe_seconds: u64,
    /// Seconds between checks of the token's expiry; a token in the last
    /// third of its life is renewed (kept in `token_file`).
    #[serde(default = "default_token_check")]
    pub token_check_seconds: u64,
    pub driver: DriverConfig,
    /// Without it the agent fails `export` and `import` jobs.
    pub transfer: Option<TransferConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum DriverConfig {
    Process {
        work_dir: PathBuf,
        /// Inclusive range of ports handed to services.
        #[serde(default = "default_ports")]
        ports: [u16; 2],
        /// Stop the services' processes when the agent stops (a demo wants
        /// this; a provider usually does not).
        #[serde(default)]
        stop_on_exit: bool,
        /// Let services run any `command` from their properties. Off by
        /// default: it hands consumers a shell on this host.
        #[serde(default)]
        allow_commands: bool,
    },
    /// Only usable in a build with the `libvirt` feature; the variant exists
    /// in every build so that such a configuration fails with a message
    /// saying so rather than as an unknown driver.
    Libvirt(LibvirtConfig),
    /// Only usable in a build with the `openstack` feature, as `Libvirt`.
    #[serde(rename = "openstack")]
    OpenStack(OpenStackConfig),
    /// Only usable in a build with the `kubernetes` feature, like libvirt.
    Kubernetes(KubernetesConfig),
}

/// `[driver] kind = "libvirt"`: each service is a VM.
///
/// ```toml
/// [driver]
/// kind = "libvirt"
/// uri = "qemu:///system"
/// network = "default"          # virtual network for the VMs' one interface
/// storage_pool = "default"     # where disk images are found and VM disks made
/// name_prefix = "federa-"      # VM names are this prefix and the service id
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibvirtConfig {
    #[serde(default = "default_libvirt_uri")]
    pub uri: String,
    /// Without one, VMs get no network interface.
    pub network: Option<String>,
    /// Without one, services cannot ask for a disk.
    pub storage_pool: Option<String>,
    #[serde(default = "default_name_prefix")]
    pub name_prefix: String,
    /// The `<domain type>` of the VMs; by default `kvm` on QEMU and the
    /// hypervisor's own type elsewhere. `qemu` runs without hardware
    /// virtualisation (slowly).
    pub domain_type: Option<String>,
    /// How long a stop waits for the guest to power off before pulling the
    /// plug.
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout_seconds: u64,
}

/// `[driver] kind = "kubernetes"`: each service is a namespace of a
/// Kubernetes cluster, holding a container application or handed to the
/// consumer as a tenant namespace.
///
/// ```toml
/// [driver]
/// kind = "kubernetes"
/// kubeconfig = "/etc/federa/kubeconfig"  # absent: the pod's in-cluster credentials
/// namespace_prefix = "federa-"           # namespaces are this prefix and the service id
/// field_manager = "federa-agent"         # server-side apply's field manager
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig other than its current one.
    pub context: Option<String>,
    #[serde(default = "default_name_prefix")]
    pub namespace_prefix: String,
    #[serde(default = "default_field_manager")]
    pub field_manager: String,
    /// The API server's address as consumers reach it, written into tenant
    /// kubeconfigs; by default the one the agent uses.
    pub public_server: Option<String>,
    /// The ClusterRole a tenant's account is bound to in its namespace.
    #[serde(default = "default_tenant_role")]
    pub tenant_role: String,
    /// How long a tenant kubeconfig's token is valid.
    #[serde(default = "default_tenant_token_seconds")]
    pub tenant_token_seconds: i64,
    /// Image prefixes applications may use; empty allows any image.
    #[serde(default)]
    pub image_allow_list: Vec<String>,
    /// A ResourceQuota for each application's namespace.
    pub app_quota: Option<AppQuotaConfig>,
    /// How long a rollout, stop or delete may take before the job fails.
    #[serde(default = "default_rollout_timeout")]
    pub rollout_timeout_seconds: u64,
}

/// The most one application may request, as Kubernetes quantities.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppQuotaConfig {
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub pods: Option<u32>,
}

fn default_concurrency() -> usize {
    4
}
fn default_poll_wait() -> u64 {
    30
}
fn default_heartbeat() -> u64 {
    20
}
fn default_metrics() -> u64 {
    15
}
fn default_observe() -> u64 {
    30
}

fn default_token_check() -> u64 {
    3600
}
fn default_ports() -> [u16; 2] {
    [20000, 20999]
}
fn default_libvirt_uri() -> String {
    "qemu:///system".into()
}
fn default_name_prefix() -> String {
    "federa-".into()
}
fn default_field_manager() -> String {
    "federa-agent".into()
}
fn default_tenant_role() -> String {
    "edit".into()
}
fn default_tenant_token_seconds() -> i64 {
    90 * 24 * 3600
}
fn default_rollout_timeout() -> u64 {
    300
}
fn default_shutdown_timeout() -> u64 {
    60
}

impl AgentConfig {
    pub fn load(path: &Path) -> anyhow::Result<AgentConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let config: AgentConfig =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if config.concurrency == 0 {
            anyhow::bail!("{}: concurrency must be at least 1", path.display());
        }
        Ok(config)
    }

    /// The token from `token`, `token_file` or `FEDERA_TOKEN`.
    pub fn token(&self) -> anyhow::Result<String> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        if let Some(file) = &self.token_file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read token file {}: {e}", file.display()))?;
            return Ok(text.trim().to_string());
        }
        std::env::var("FEDERA_TOKEN")
            .map_err(|_| anyhow::anyhow!("no token: set token, token_file or FEDERA_TOKEN"))
    }

    pub fn poll_wait(&self) -> Duration {
        Duration::from_secs(self.poll_wait_seconds.clamp(1, 60))
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_seconds.max(1))
    }

    pub fn token_check(&self) -> Duration {
        Duration::from_secs(self.token_check_seconds.max(1))
    }

    pub fn metrics_interval(&self) -> Duration {
        Duration::from_secs(self.metrics_seconds.max(1))
    }

    pub fn observe_interval(&self) -> Duration {
        Duration::from_secs(self.observe_seconds.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_config_gets_defaults() {
        let config: AgentConfig = toml::from_str(
            "url = \"http://x\"\ntoken = \"t\"\n[driver]\nkind = \"process\"\nwork_dir = \"/tmp/a\"\n",
        )
        .unwrap();
        assert_eq!(config.concurrency, 4);
        assert_eq!(config.poll_wait(), Duration::from_secs(30));
        let DriverConfig::Process {
            ports,
            stop_on_exit,
            ..
        } = config.driver
        else {
            panic!("not the process driver: {:?}", config.driver);
        };
        assert_eq!(ports, [20000, 20999]);
        assert!(!stop_on_exit);
    }

    #[test]
    fn a_libvirt_driver_defaults_to_the_system_qemu() {
        let config: AgentConfig = toml::from_str(
            "url = \"http://x\"\n[driver]\nkind = \"libvirt\"\nnetwork = \"default\"\n",
        )
        .unwrap();
        let DriverConfig::Libvirt(libvirt) = config.driver else {
            panic!("not the libvirt driver: {:?}", config.driver);
        };
        assert_eq!(libvirt.uri, "qemu:///system");
        assert_eq!(libvirt.network.as_deref(), Some("default"));
        assert_eq!(libvirt.storage_pool, None);
        assert_eq!(libvirt.name_prefix, "federa-");
        assert_eq!(libvirt.shutdown_timeout_seconds, 60);
    }

    #[test]
    fn unknown_libvirt_keys_are_refused() {
        let error = toml::from_str::<AgentConfig>(
            "url = \"http://x\"\n[driver]\nkind = \"libvirt\"\npool = \"default\"\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("pool"), "{error}");
    }

    #[test]
    fn an_openstack_driver_names_its_cloud() {
        let config: AgentConfig =
            toml::from_str("url = \"http://x\"\n[driver]\nkind = \"openstack\"\ncloud = \"ovh\"\n")
                .unwrap();
        let DriverConfig::OpenStack(openstack) = config.driver else {
            panic!("not the openstack driver: {:?}", config.driver);
        };
        assert_eq!(openstack.cloud, "ovh");
        assert_eq!(openstack.clouds_file, None);
        assert_eq!(openstack.name_prefix, "federa-");
        assert_eq!(openstack.wait_timeout_seconds, 600);
    }

    #[test]
    fn a_kubernetes_driver_needs_no_setting() {
        let config: AgentConfig =
            toml::from_str("url = \"http://x\"\n[driver]\nkind = \"kubernetes\"\n").unwrap();
        let DriverConfig::Kubernetes(kubernetes) = config.driver else {
            panic!("not the kubernetes driver: {:?}", config.driver);
        };
        assert_eq!(kubernetes.kubeconfig, None);
        assert_eq!(kubernetes.namespace_prefix, "federa-");
        assert_eq!(kubernetes.field_manager, "federa-agent");
        assert_eq!(kubernetes.tenant_role, "edit");
        assert!(kubernetes.image_allow_list.is_empty());
        assert_eq!(kubernetes.rollout_timeout_seconds, 300);
    }

    #[test]
    fn a_transfer_section_needs_only_a_dir() {
        let config: AgentConfig = toml::from_str(
            "url = \"http://x\"\n[driver]\nkind = \"process\"\nwork_dir = \"/tmp/a\"\n[transfer]\ndir = \"/tmp/t\"\n",
        )
        .unwrap();
        let transfer = config.transfer.expect("a transfer section");
        assert_eq!(transfer.dir, PathBuf::from("/tmp/t"));
        assert_eq!(transfer.listen, None);
        assert_eq!(transfer.expiry_seconds, 3600);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<AgentConfig>(
            "url = \"http://x\"\ntokn = \"t\"\n[driver]\nkind = \"process\"\nwork_dir = \"/tmp\"\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("tokn"), "{error}");
    }
}

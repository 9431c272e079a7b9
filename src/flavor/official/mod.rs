//! Official Nacos (Java, JRaft), image `nacos/nacos-server:v<version>`, versions 2.2 – 3.x.
//!
//! Facts come from the project's Nacos contract (`nacos-contract.md`): the docker-startup.sh
//! env contract, ports derived from 8848, JRaft groups and their on-disk layout, the cluster
//! APIs that expose last-known raft metadata, and the failure texts worth grepping for.
//!
//! ```
//! use nacos_chaos::flavor::{Flavor, official::Official};
//! let f = Official::default();
//! assert_eq!(f.image("2.4.1"), "nacos/nacos-server:v2.4.1");
//! assert_eq!(f.raft_dir("2.4.1"), "/home/nacos/data/protocol/raft");
//! ```

mod catalog;
mod env;
mod live;
mod observe;
mod paths;
pub mod raft_ops;
mod readiness;
pub mod upgrade;
mod version;

pub use env::{
    AUTH_IDENTITY_KEY, AUTH_IDENTITY_VALUE, AUTH_TOKEN, MEMORY_BYTES, RAFT_DATA_KEYS,
    STRICT_MODE_KEY, cluster_conf, ports, raft_tuning_args, server_ip, server_ip_accepted,
};
pub use live::confirm_leaders;
pub use readiness::{Readiness, ReadyMeans, parse_readiness, ready_means};
pub use version::{IMAGE_TAGS, NacosVersion};

use super::*;

/// Main HTTP port (context path `/nacos`).
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::HTTP_PORT, 8848);
/// ```
pub const HTTP_PORT: u16 = 8848;
/// Client gRPC port (main + 1000).
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::GRPC_CLIENT_PORT, 9848);
/// ```
pub const GRPC_CLIENT_PORT: u16 = 9848;
/// Server-to-server gRPC port (main + 1001).
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::GRPC_CLUSTER_PORT, 9849);
/// ```
pub const GRPC_CLUSTER_PORT: u16 = 9849;
/// JRaft port (main − 1000); raft peer ids are `<addr>:7848`.
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::RAFT_PORT, 7848);
/// ```
pub const RAFT_PORT: u16 = 7848;
/// 3.x console port (merged deployment).
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::CONSOLE_PORT_V3, 8080);
/// ```
pub const CONSOLE_PORT_V3: u16 = 8080;
/// Persistent data directory (mount the node volume here).
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::DATA_PATH, "/home/nacos/data");
/// ```
pub const DATA_PATH: &str = "/home/nacos/data";
/// JRaft state: `<group>/{log,meta-data,snapshot}` below this directory.
///
/// ```
/// assert!(nacos_chaos::flavor::official::RAFT_DIR.starts_with("/home/nacos/data/"));
/// ```
pub const RAFT_DIR: &str = "/home/nacos/data/protocol/raft";
/// Generated cluster.conf location.
///
/// ```
/// assert!(nacos_chaos::flavor::official::CLUSTER_CONF_PATH.ends_with("/cluster.conf"));
/// ```
pub const CLUSTER_CONF_PATH: &str = "/home/nacos/conf/cluster.conf";
/// Log directory.
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::LOG_DIR, "/home/nacos/logs");
/// ```
pub const LOG_DIR: &str = "/home/nacos/logs";
/// Official image repository, without registry.
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::IMAGE_REPO, "nacos/nacos-server");
/// ```
pub const IMAGE_REPO: &str = "nacos/nacos-server";

/// The official Nacos server flavor.
///
/// ```
/// use nacos_chaos::flavor::{Flavor, FlavorKind, official::Official};
/// let f = Official::default();
/// assert_eq!(f.kind(), FlavorKind::Official);
/// let mirrored = Official::with_registry("registry.example.com");
/// assert_eq!(mirrored.image("v2.4.1"), "registry.example.com/nacos/nacos-server:v2.4.1");
/// ```
#[derive(Debug, Default, Clone)]
pub struct Official {
    /// Registry or mirror prefix put before `nacos/nacos-server` (None = Docker Hub).
    pub registry: Option<String>,
    /// Cluster (default) or standalone (`MODE=standalone`, one node).
    pub mode: ClusterMode,
}

impl Official {
    /// A flavor whose images come from a registry or mirror, e.g.
    /// `nacos-registry.cn-hangzhou.cr.aliyuncs.com`. Trailing `/` is ignored; an empty prefix
    /// means Docker Hub.
    ///
    /// ```
    /// use nacos_chaos::flavor::{Flavor, official::Official};
    /// let f = Official::with_registry("mirror.local:5000/");
    /// assert_eq!(f.image("3.0.3"), "mirror.local:5000/nacos/nacos-server:v3.0.3");
    /// ```
    pub fn with_registry(prefix: impl Into<String>) -> Self {
        let p = prefix.into();
        let p = p.trim().trim_end_matches('/').to_string();
        Official {
            registry: (!p.is_empty()).then_some(p),
            mode: ClusterMode::Cluster,
        }
    }

    /// The same flavor in `mode`.
    ///
    /// ```
    /// use nacos_chaos::flavor::{ClusterMode, official::Official};
    /// assert_eq!(Official::default().mode(ClusterMode::Standalone).mode, ClusterMode::Standalone);
    /// ```
    pub fn mode(mut self, mode: ClusterMode) -> Self {
        self.mode = mode;
        self
    }

    fn standalone(&self) -> bool {
        self.mode == ClusterMode::Standalone
    }

    fn image_for(&self, version: &str) -> String {
        let v = version.trim();
        let v = v.strip_prefix('v').unwrap_or(v);
        match self
            .registry
            .as_deref()
            .map(|r| r.trim().trim_end_matches('/'))
        {
            Some(r) if !r.is_empty() => format!("{r}/{IMAGE_REPO}:v{v}"),
            _ => format!("{IMAGE_REPO}:v{v}"),
        }
    }
}

impl Flavor for Official {
    fn kind(&self) -> FlavorKind {
        FlavorKind::Official
    }

    /// `[<registry>/]nacos/nacos-server:v<version>`; the version may carry a leading `v`.
    fn image(&self, version: &str) -> String {
        self.image_for(version)
    }

    fn http_port(&self) -> u16 {
        HTTP_PORT
    }

    fn render(&self, ctx: &RenderCtx<'_>) -> Result<ContainerSpec> {
        env::render(self, ctx)
    }

    fn raft_paths(&self, version: &str) -> Vec<String> {
        paths::raft_paths(version)
    }

    fn parse_raft(
        &self,
        version: &str,
        node: &NodeIdentity,
        answers: &[HttpAnswer],
    ) -> Result<Vec<GroupView>> {
        observe::parse_raft(version, node, answers)
    }

    fn peer_id(&self, node: &NodeIdentity, mode: IdentityMode) -> String {
        format!("{}:{RAFT_PORT}", node.address(mode))
    }

    /// JRaft's configuration holds members as cluster.conf lists them, at the Raft port.
    fn peer_id_listed(&self, _node: &NodeIdentity, listed: &str) -> String {
        format!("{listed}:{RAFT_PORT}")
    }

    fn groups(&self, version: &str) -> Vec<String> {
        catalog::groups(version, self.standalone())
    }

    /// 2.0.x/2.1.x: `GET /nacos/v1/ns/upgrade/ops/metrics?json=true` (see [`upgrade`]).
    fn upgrade_state_path(&self, version: &str) -> Option<String> {
        upgrade::path(version)
    }

    fn parse_upgrade_state(
        &self,
        version: &str,
        node: &NodeIdentity,
        answer: &HttpAnswer,
    ) -> Result<UpgradeState> {
        upgrade::parse(version, node, answer)
    }

    fn api(&self, version: &str) -> ApiPaths {
        ApiPaths {
            instance: "/nacos/v1/ns/instance".into(),
            instance_list: "/nacos/v1/ns/instance/list".into(),
            config: "/nacos/v1/cs/configs".into(),
            readiness: paths::readiness_path(version).into(),
        }
    }

    fn raft_dir(&self, _version: &str) -> String {
        RAFT_DIR.into()
    }

    fn logs(&self, _version: &str) -> Vec<LogSource> {
        catalog::logs()
    }

    fn signatures(&self) -> Vec<Signature> {
        catalog::signatures()
    }

    fn log_utc_offset_minutes(&self, _version: &str) -> Option<i32> {
        Some(catalog::LOG_UTC_OFFSET_MINUTES)
    }

    /// [`confirm_leaders`]: a leader stands only with live evidence across nodes.
    fn confirm_leaders(&self, nodes: &mut [crate::record::NodeObservation]) {
        live::confirm_leaders(nodes);
    }

    /// JRaft's election timeout is clamped to at least 5000 ms (`JRaftServer.init` at 2.4.1),
    /// randomised by up to `max_election_delay_ms` (1000), and peers learn the new leader
    /// when their route table refreshes, every `electionTimeout + rand(0..5000)` ms
    /// (`JRaftServer.refreshRouteTable` at 2.4.1): 11 s in all with default tuning.
    fn election_window(&self, _version: &str) -> std::time::Duration {
        std::time::Duration::from_secs(11)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            raft_config: true,
            raft_naming: true,
            hostname_mode: true,
            clock_skew: Some(catalog::CLOCK_SKEW_NOTE),
            grpc: true,
            joins: false,
        }
    }
}

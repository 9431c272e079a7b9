//! A running cluster: nodes on the run's network, their lifecycle, and agreed-leader waits.
//!
//! ```no_run
//! use nacos_chaos::cluster::{Cluster, ClusterSpec};
//! # async fn f() -> nacos_chaos::Result<()> {
//! let mut cluster = Cluster::launch(ClusterSpec::rnacos("0.8.8", 3)).await?;
//! let leader = cluster.wait_for_leader(std::time::Duration::from_secs(60)).await?;
//! println!("leader after {:?}", leader.elapsed);
//! cluster.teardown().await?;
//! # Ok(()) }
//! ```

mod boot_membership;
mod bringup;
mod logs;
mod member_list;
mod membership;
mod node;
pub mod observe;
mod ops;
mod raft_ops;

pub use crate::poll::{POLL, Poll};
pub use boot_membership::{BootMembership, boot_drift};
pub use bringup::{BRINGUP_ATTEMPTS, LeaderReport, MIN_BRINGUP};
pub use membership::{AdminAnswer, BootFaults};
pub use node::{Node, NodeState};
pub use ops::{MembershipPolicy, Recreate};

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::docker::{Engine, RunNetwork, new_run_id};
use crate::error::{Error, Result};
use crate::flavor::{self, ClusterMode, Flavor, FlavorKind, IdentityMode, NodeIdentity};
use observe::{Observation, ObservationLog};

/// What to launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Server flavor.
    pub flavor: FlavorKind,
    /// Version every node starts at.
    pub version: String,
    /// Number of nodes: 1, 3 or 5.
    pub nodes: usize,
    /// IP or hostname identity.
    #[serde(default)]
    pub identity: IdentityMode,
    /// Cluster or standalone (official only: `MODE=standalone`, one node).
    #[serde(default)]
    pub mode: ClusterMode,
    /// Registry / mirror prefix for official images.
    #[serde(default)]
    pub registry: Option<String>,
    /// Flavor tuning pairs (e.g. raft election timeout for official Nacos).
    #[serde(default)]
    pub tuning: Vec<(String, String)>,
    /// Per-node naming (a suite's `[[cluster.node]]`; empty: every node by `identity`).
    #[serde(default)]
    pub naming: Vec<crate::flavor::naming::NodeNaming>,
}

impl ClusterSpec {
    /// A default r-nacos cluster spec.
    ///
    /// ```
    /// let s = nacos_chaos::cluster::ClusterSpec::rnacos("0.8.8", 3);
    /// assert!(s.validate().is_ok());
    /// ```
    pub fn rnacos(version: &str, nodes: usize) -> Self {
        ClusterSpec {
            flavor: FlavorKind::RNacos,
            version: version.into(),
            nodes,
            identity: IdentityMode::Ip,
            mode: ClusterMode::Cluster,
            registry: None,
            tuning: vec![],
            naming: vec![],
        }
    }

    /// Check the spec before touching Docker.
    ///
    /// ```
    /// use nacos_chaos::cluster::ClusterSpec;
    /// use nacos_chaos::flavor::{ClusterMode, FlavorKind};
    /// let mut s = ClusterSpec::rnacos("2.0.4", 1);
    /// s.flavor = FlavorKind::Official;
    /// s.mode = ClusterMode::Standalone;
    /// assert!(s.validate().is_ok());
    /// s.nodes = 3;
    /// assert!(s.validate().unwrap_err().to_string().contains("standalone mode is one"));
    /// s.nodes = 1;
    /// s.flavor = FlavorKind::RNacos;
    /// assert!(s.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if ![1, 3, 5].contains(&self.nodes) {
            return Err(Error::Config(format!(
                "nodes = {}: a cluster has 1, 3 or 5 nodes",
                self.nodes
            )));
        }
        if self.version.trim().is_empty() {
            return Err(Error::Config("version is empty".into()));
        }
        if self.mode == ClusterMode::Standalone
            && (self.flavor != FlavorKind::Official || self.nodes != 1)
        {
            return Err(Error::Config(format!(
                "standalone mode is one official Nacos node (this spec: {} × {})",
                self.nodes, self.flavor
            )));
        }
        Ok(())
    }
}

/// A cluster under test. Torn down by [`Cluster::teardown`], or on drop if that was never
/// called (also during a panic).
pub struct Cluster {
    engine: Engine,
    flavor: Box<dyn Flavor>,
    spec: ClusterSpec,
    network: RunNetwork,
    nodes: Vec<Node>,
    http: reqwest::Client,
    started: Instant,
    generation: u8,
    observations: ObservationLog,
    bringup_attempts: u32,
    torn_down: bool,
    /// Nodes configured as members: started at least once and not scaled in.
    configured: std::collections::BTreeSet<usize>,
    /// Nodes taken out of the membership (scale_in, replace keeping the address): no longer
    /// in the membership servers are told (official cluster.conf).
    removed: std::collections::BTreeSet<usize>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("run", &self.engine.run_id())
            .field("spec", &self.spec)
            .field("nodes", &self.nodes)
            .finish()
    }
}

/// The IP of node `index` in identity generation `generation` (each IP change moves to the
/// next generation: .11-.15, then .31-.35, ...).
pub fn node_ip(net: &RunNetwork, generation: u8, index: usize) -> std::net::Ipv4Addr {
    net.ip(10 + generation.saturating_mul(20) + index as u8)
}

impl Cluster {
    /// Create the network, volumes and images for a cluster; start nothing.
    pub async fn create(spec: ClusterSpec) -> Result<Self> {
        Self::create_with_run_id(spec, new_run_id()).await
    }

    /// As [`Cluster::create`], with a chosen run id.
    pub async fn create_with_run_id(spec: ClusterSpec, run_id: String) -> Result<Self> {
        Self::create_in_subnet(spec, run_id, None).await
    }

    /// As [`Cluster::create_with_run_id`], on `10.231.<octet>.0/24` when that subnet is free
    /// (otherwise on any free one: check [`Cluster::network`]).
    pub async fn create_in_subnet(
        spec: ClusterSpec,
        run_id: String,
        octet: Option<u8>,
    ) -> Result<Self> {
        spec.validate()?;
        let engine = Engine::connect(run_id).await?;
        crate::image::ensure(
            &engine,
            spec.flavor,
            &spec.version,
            spec.registry.as_deref(),
        )
        .await?;
        let flavor: Box<dyn Flavor> =
            flavor::build(spec.flavor, spec.registry.as_deref(), spec.mode);
        let network = engine.create_run_network_preferring(octet).await?;
        let mut cluster = Cluster {
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(3))
                .connect_timeout(Duration::from_secs(1))
                .build()
                .map_err(|e| Error::http("building the HTTP client", e))?,
            engine,
            flavor,
            network,
            nodes: vec![],
            started: Instant::now(),
            generation: 0,
            observations: ObservationLog::default(),
            bringup_attempts: 0,
            torn_down: false,
            configured: Default::default(),
            removed: Default::default(),
            spec,
        };
        for index in 1..=cluster.spec.nodes {
            // Joining flavors: node 1 bootstraps, the others join it.
            let join = (cluster.flavor().capabilities().joins && index > 1).then_some(1);
            if let Err(e) = cluster.add_absent_node(index, 0, join).await {
                warn!(error = %e, "volume creation failed; cleaning up");
                return Err(e);
            }
        }
        info!(run = cluster.run_id(), subnet = %cluster.network.subnet(), "cluster created");
        Ok(cluster)
    }

    /// Record node `n<index>` (not started) with a fresh labelled volume, at the address of
    /// network generation `generation`; `join` names the node it joins, for joining flavors.
    pub(crate) async fn add_absent_node(
        &mut self,
        index: usize,
        generation: u8,
        join: Option<usize>,
    ) -> Result<()> {
        let identity = NodeIdentity {
            index,
            hostname: format!("n{index}"),
            ip: node_ip(&self.network, generation, index),
        };
        let volume = format!("nchaos-{}-n{index}-data", self.engine.run_id());
        self.engine
            .create_volume(&volume, &identity.hostname)
            .await?;
        self.nodes.push(Node {
            original: identity.clone(),
            identity,
            container_name: format!("nchaos-{}-n{index}", self.engine.run_id()),
            container_id: None,
            volume,
            version: self.spec.version.clone(),
            http_port: None,
            grpc_port: None,
            state: NodeState::Absent,
            join,
            extra_env: vec![],
        });
        Ok(())
    }

    /// Create, start every node, and wait until all are voting members under one leader.
    pub async fn launch(spec: ClusterSpec) -> Result<Self> {
        let mut c = Self::create(spec).await?;
        c.start_all(Duration::from_secs(120)).await?;
        Ok(c)
    }

    /// Run id labelling every resource.
    pub fn run_id(&self) -> &str {
        self.engine.run_id()
    }
    /// The engine connection.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
    /// The flavor.
    pub fn flavor(&self) -> &dyn Flavor {
        self.flavor.as_ref()
    }
    /// The spec.
    pub fn spec(&self) -> &ClusterSpec {
        &self.spec
    }
    /// The run network.
    pub fn network(&self) -> &RunNetwork {
        &self.network
    }
    /// Nodes.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// One node by 1-based index.
    pub fn node(&self, index: usize) -> Result<&Node> {
        self.nodes
            .get(index.wrapping_sub(1))
            .ok_or_else(|| Error::NoSuchNode {
                node: format!("n{index}"),
                nodes: self.nodes.len(),
            })
    }
    /// Shared HTTP client (no proxy, short timeouts).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
    /// Milliseconds since the cluster was created.
    pub fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
    /// The instant the cluster was created (time zero of histories).
    pub fn epoch(&self) -> Instant {
        self.started
    }
    /// Every observation kept so far (those of discarded bring-up attempts are dropped).
    pub fn observations(&self) -> &[Observation] {
        self.observations.as_slice()
    }
    /// Attempts the last [`Cluster::start_all`] took, counting the one that succeeded or
    /// failed for good (0: never brought up).
    pub fn bringup_attempts(&self) -> u32 {
        self.bringup_attempts
    }
    /// The identity generation (number of IP changes so far).
    pub fn generation(&self) -> u8 {
        self.generation
    }

    /// Remove every container, the network and the volumes of this run.
    pub async fn teardown(&mut self) -> Result<()> {
        let removed = self.engine.gc(Some(self.engine.run_id())).await?;
        info!(
            run = self.run_id(),
            removed = removed.len(),
            "cluster torn down"
        );
        self.torn_down = true;
        for n in &mut self.nodes {
            n.container_id = None;
            n.state = NodeState::Absent;
        }
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.torn_down {
            return;
        }
        let run = self.engine.run_id().to_string();
        // A fresh thread with its own runtime works whether or not we are inside a runtime,
        // and also while unwinding from a panic.
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(engine) = Engine::connect(run.clone()).await
                        && let Err(e) = engine.gc(Some(&run)).await
                    {
                            eprintln!("nacos-chaos: cleanup of run {run} failed: {e}; run `nacos-chaos gc --run {run}`");
                    }
                });
            }
        });
        let _ = handle.join();
    }
}

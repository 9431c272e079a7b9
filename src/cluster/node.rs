//! One node of a cluster: its identity, container, volume, version and published ports.

use serde::Serialize;

use crate::flavor::NodeIdentity;

/// A node's lifecycle state as the harness drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    /// No container exists (never started, or removed to be recreated).
    Absent,
    /// Container running.
    Running,
    /// Container stopped or killed; data kept.
    Stopped,
    /// Container frozen.
    Paused,
}

/// One node.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Current identity (hostname, IP).
    pub identity: NodeIdentity,
    /// Identity at first start (what persisted Raft state remembers).
    pub original: NodeIdentity,
    /// Container name.
    pub container_name: String,
    /// Container id, while one exists.
    pub container_id: Option<String>,
    /// Named data volume (kept across recreation).
    pub volume: String,
    /// Server version this node runs.
    pub version: String,
    /// Host port for the HTTP API on 127.0.0.1.
    pub http_port: Option<u16>,
    /// Host port for gRPC on 127.0.0.1, if published.
    pub grpc_port: Option<u16>,
    /// Lifecycle state.
    pub state: NodeState,
    /// The node it joined at first start (joining flavors), kept for every recreation so a
    /// recreated node gets the same configuration apart from what a fault changes.
    pub join: Option<usize>,
    /// Extra environment a fault injects (e.g. libfaketime), kept across recreation.
    pub extra_env: Vec<(String, String)>,
}

impl Node {
    /// Short name, e.g. `n1`.
    pub fn name(&self) -> &str {
        &self.identity.hostname
    }

    /// Base URL of the HTTP API, if the node is running (on 127.0.0.1 for a local engine; on
    /// the engine's host for a remote one, see [`crate::docker::Endpoint`]).
    ///
    /// ```
    /// # use nacos_chaos::cluster::{Node, NodeState};
    /// # use nacos_chaos::flavor::NodeIdentity;
    /// let id = NodeIdentity { index: 1, hostname: "n1".into(), ip: "10.0.0.1".parse().unwrap() };
    /// let n = Node { identity: id.clone(), original: id, container_name: "c".into(),
    ///   container_id: None, volume: "v".into(), version: "0.8.8".into(), http_port: Some(4000),
    ///   grpc_port: None, state: NodeState::Running, join: None,
    ///   extra_env: vec![] };
    /// assert_eq!(n.base_url().as_deref(), Some("http://127.0.0.1:4000"));
    /// ```
    pub fn base_url(&self) -> Option<String> {
        let host = &crate::docker::current_endpoint().reach_host;
        self.http_port.map(|p| format!("http://{host}:{p}"))
    }
}

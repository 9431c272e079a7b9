//! The history: every client operation with node, client, start/end time, outcome and
//! error text. Checks are pure functions over it.

use serde::{Deserialize, Serialize};

/// What an operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Register a persistent instance (`ephemeral=false`; Raft-backed on official Nacos).
    RegisterPersistent,
    /// Register an ephemeral instance.
    RegisterEphemeral,
    /// Deregister an instance.
    Deregister,
    /// List a service's instances.
    ListInstances,
    /// Publish a config (Raft-backed on r-nacos and embedded official Nacos).
    PublishConfig,
    /// Read a config.
    GetConfig,
}

impl OpKind {
    /// Does this operation write?
    ///
    /// ```
    /// use nacos_chaos::workload::OpKind;
    /// assert!(OpKind::PublishConfig.is_write());
    /// assert!(!OpKind::GetConfig.is_write());
    /// ```
    pub fn is_write(self) -> bool {
        !matches!(self, OpKind::ListInstances | OpKind::GetConfig)
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Acknowledged by the server.
    Ok,
    /// Definitely refused (the server answered with a refusal), or a read that returned nothing.
    Fail,
    /// Indeterminate: timeout, transport error, or a write answered with a server error
    /// (HTTP 5xx; a forwarded write can commit and still be answered 500); a write may or
    /// may not have happened.
    Unknown,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// Sequence number, unique within a history.
    pub id: u64,
    /// Node the operation was sent to (`n1`).
    pub node: String,
    /// Client that sent it (`http`, `sdk`).
    pub client: String,
    /// What it did.
    pub kind: OpKind,
    /// Service name or config dataId.
    pub key: String,
    /// Written value (instance `ip:port`, config content), if a write.
    pub value: Option<String>,
    /// Start, ms since run start.
    pub start_ms: u64,
    /// End, ms since run start.
    pub end_ms: u64,
    /// Outcome.
    pub outcome: Outcome,
    /// HTTP status, if any.
    pub status: Option<u16>,
    /// Error text (server body or transport error), if not Ok.
    pub error: Option<String>,
    /// What a read returned (instances as `ip:port`, or the config content).
    pub read: Option<Vec<String>>,
}

/// A timestamped history of operations: the whole run's, across every workload session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Operations, in the order they were recorded (not necessarily by time). Ids are
    /// unique for the run.
    pub ops: Vec<Op>,
    /// Workload sessions started so far (a suite may switch the workload off and on).
    #[serde(default)]
    pub sessions: u32,
    /// The last tick each probe used (`http/n1` → 41): the next session counts on from
    /// there, so no write of the run repeats an earlier one.
    #[serde(default)]
    pub ticks: std::collections::BTreeMap<String, u64>,
}

impl History {
    /// Add an operation, assigning its id.
    pub fn push(&mut self, mut op: Op) {
        op.id = self.ops.len() as u64;
        self.ops.push(op);
    }

    /// Operations sorted by start time (stable).
    pub fn by_start(&self) -> Vec<&Op> {
        let mut v: Vec<&Op> = self.ops.iter().collect();
        v.sort_by_key(|o| (o.start_ms, o.id));
        v
    }
}

/// What one node returned for one key when read after heal (for durability/convergence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalRead {
    /// Node.
    pub node: String,
    /// Service name or config dataId.
    pub key: String,
    /// Read kind (ListInstances or GetConfig).
    pub kind: OpKind,
    /// Values seen (instances `ip:port`, or the single config content); None if the read failed.
    pub values: Option<Vec<String>>,
    /// Error text if the read failed.
    pub error: Option<String>,
}

//! The record of a fault: when it was applied and healed, on whom, and the read-back proof.

use serde::{Deserialize, Serialize};

use super::FaultKind;

/// One fault's window in the run timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    /// Short unique id within the run (`f1`).
    pub id: String,
    /// Fault kind (`ip_change`, `latency`, `partition`, `kill`, `wipe_raft`, ...): a
    /// [`FaultKind`] name (see [`FaultWindow::fault_kind`]).
    pub kind: String,
    /// Human description of parameters.
    pub description: String,
    /// Target nodes.
    pub targets: Vec<String>,
    /// Applied at, ms since run start.
    pub start_ms: u64,
    /// Healed at; for an instant fault (nothing to heal: IP change, restart, data faults) the
    /// moment its apply finished. None while active or never healed (and, in records
    /// written before instant faults had an end, for every instant fault).
    pub end_ms: Option<u64>,
    /// Read-back evidence that the fault was really in place.
    pub proof: Vec<String>,
    /// Read-back evidence after heal.
    pub heal_proof: Vec<String>,
}

impl FaultWindow {
    /// The kind this window's name stands for (None for a name no fault writes).
    ///
    /// ```
    /// use nacos_chaos::fault::{FaultKind, FaultWindow};
    /// let w = FaultWindow { id: "f1".into(), kind: "clone_data".into(), description: String::new(),
    ///     targets: vec!["n3".into()], start_ms: 0, end_ms: Some(10), proof: vec![], heal_proof: vec![] };
    /// assert_eq!(w.fault_kind(), Some(FaultKind::CloneData));
    /// ```
    pub fn fault_kind(&self) -> Option<FaultKind> {
        FaultKind::from_name(&self.kind)
    }

    /// Does this fault reset the Raft term of the nodes it targets?
    pub fn resets_raft_term(&self) -> bool {
        self.fault_kind().is_some_and(FaultKind::resets_raft_term)
    }

    /// Does this fault begin a new Raft epoch for the nodes it targets?
    pub fn opens_raft_epoch(&self) -> bool {
        self.fault_kind().is_some_and(FaultKind::opens_raft_epoch)
    }

    /// Does this fault target `node`?
    pub fn targets_node(&self, node: &str) -> bool {
        self.targets.iter().any(|t| t == node)
    }
}

//! The record of a fault: when it was applied and healed, on whom, and the read-back proof.

use serde::{Deserialize, Serialize};

/// One fault's window in the run timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    /// Short unique id within the run (`f1`).
    pub id: String,
    /// Fault kind (`ip_change`, `latency`, `partition`, `kill`, `wipe_raft`, ...).
    pub kind: String,
    /// Human description of parameters.
    pub description: String,
    /// Target nodes.
    pub targets: Vec<String>,
    /// Applied at, ms since run start.
    pub start_ms: u64,
    /// Healed at (None if never healed, e.g. an IP change is permanent).
    pub end_ms: Option<u64>,
    /// Read-back evidence that the fault was really in place.
    pub proof: Vec<String>,
    /// Read-back evidence after heal.
    pub heal_proof: Vec<String>,
}

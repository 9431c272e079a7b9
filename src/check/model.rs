//! Verdict types shared by every check.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::record::NodeLog;

/// Pass, fail, or not applicable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The property held.
    Pass,
    /// The property was violated; see evidence.
    Fail,
    /// Not applicable here (reason in the summary) — never counted as a pass.
    Skip,
}

/// A piece of evidence behind a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was seen.
    pub text: String,
    /// Node, if specific to one.
    pub node: Option<String>,
    /// When, ms since run start.
    pub at_ms: Option<u64>,
    /// Where (log file, API path), if applicable.
    pub source: Option<String>,
}

impl Evidence {
    /// Evidence with only a text.
    ///
    /// ```
    /// let e = nacos_chaos::check::Evidence::text("leader n1 in term 3");
    /// assert!(e.node.is_none());
    /// ```
    pub fn text(t: impl Into<String>) -> Self {
        Evidence {
            text: t.into(),
            node: None,
            at_ms: None,
            source: None,
        }
    }
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Check name (`leader`, `availability`, `durability`, `convergence`, `signatures`).
    pub check: String,
    /// Outcome.
    pub status: Status,
    /// One-line summary with the reason.
    pub summary: String,
    /// Evidence.
    pub evidence: Vec<Evidence>,
    /// Measured figures (e.g. `success_ratio`, `longest_outage_ms`).
    pub metrics: BTreeMap<String, f64>,
}

/// The result of a leader wait at a scenario checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Step name (`after upgrade n2`).
    pub name: String,
    /// When the wait started, ms since run start.
    pub at_ms: u64,
    /// Time to agreed leader, or None if no agreement before the deadline.
    pub time_to_leader_ms: Option<u64>,
    /// The deadline used.
    pub deadline_ms: u64,
    /// Why agreement failed, if it did.
    pub reason: Option<String>,
    /// Whether the scenario expects a leader here (false for known-bad expectations).
    pub expect_leader: bool,
}

/// Thresholds for checks; defaults are strict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Max time to agreed leader after a disruptive step (ms).
    pub max_time_to_leader_ms: u64,
    /// Min success ratio per operation kind (0..1).
    pub min_success_ratio: f64,
    /// Longest tolerated outage window (ms).
    pub max_outage_ms: u64,
    /// Known failure texts tolerated in API answers (e.g. the brief election while a leader
    /// restarts in a rolling upgrade). Matches in node logs are never tolerated.
    pub tolerated_signature_matches: u64,
    /// Settle margin after each fault window (and bring-up or upgrade step) during which a
    /// transient signature's matches are not counted (ms).
    pub transient_settle_ms: u64,
    /// Availability thresholds for operations that start while a fault is active; such
    /// operations are then judged by these instead of the whole run's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub during_fault: Option<WindowThresholds>,
    /// Availability thresholds for operations that start after the last fault healed; such
    /// operations are then judged by these instead of the whole run's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_heal: Option<WindowThresholds>,
    /// Largest data dir (bytes) any node may hold at the end of the run; set, the `disk`
    /// check judges it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_data_bytes: Option<u64>,
}

/// Availability thresholds for one window; a key left out keeps the whole run's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowThresholds {
    /// Min success ratio per operation kind (0..1).
    #[serde(default)]
    pub min_success_ratio: Option<f64>,
    /// Longest tolerated outage window (ms).
    #[serde(default)]
    pub max_outage_ms: Option<u64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_time_to_leader_ms: 30_000,
            min_success_ratio: 0.9,
            max_outage_ms: 30_000,
            tolerated_signature_matches: 0,
            transient_settle_ms: 60_000,
            during_fault: None,
            after_heal: None,
            max_data_bytes: None,
        }
    }
}

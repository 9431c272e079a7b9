//! Report types, JSON (serde) and the human text rendering (`Display`).
//!
//! ```
//! use nacos_chaos::preflight::report::{PreflightReport};
//! use nacos_chaos::flavor::FlavorKind;
//! let r = PreflightReport {
//!     flavor: FlavorKind::Official, data_dir: "/d".into(), target: vec!["a:7848".into()],
//!     self_peer: None, groups: vec![], notes: vec![],
//! };
//! assert_eq!(r.exit_code(), 0);
//! assert!(r.to_string().contains("preflight"));
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::verdict::Verdict;
use crate::record::FlavorKind;

/// Where a persisted configuration was read from.
///
/// ```
/// use nacos_chaos::preflight::report::ConfSource;
/// assert_eq!(serde_json::to_string(&ConfSource::Log).unwrap(), "\"log\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfSource {
    /// JRaft snapshot meta (`__raft_snapshot_meta`).
    Snapshot,
    /// A CONFIGURATION entry of the JRaft log.
    Log,
    /// r-nacos `index` file (applied membership).
    RnacosIndex,
    /// r-nacos snapshot header.
    RnacosSnapshot,
}

/// One persisted Raft configuration. Peers are `host:port` (official) or `id=addr`
/// (r-nacos; `id=?` when no address is persisted for that node).
///
/// ```
/// use nacos_chaos::preflight::report::{ConfSource, PersistedConf};
/// let c = PersistedConf::new(ConfSource::Log, 7, 2);
/// assert!(c.peers.is_empty() && c.index == 7);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistedConf {
    /// Where it came from.
    pub source: ConfSource,
    /// File it was read from, when known.
    pub file: Option<PathBuf>,
    /// Log index of the entry / snapshot last_included_index.
    pub index: u64,
    /// Term of that index.
    pub term: u64,
    /// Voting peers.
    pub peers: Vec<String>,
    /// Voting peers of the old half of a joint configuration.
    pub old_peers: Vec<String>,
    /// Learners (non-voting).
    pub learners: Vec<String>,
    /// Learners of the old half.
    pub old_learners: Vec<String>,
}

impl PersistedConf {
    /// An empty configuration at `index`/`term`.
    ///
    /// ```
    /// use nacos_chaos::preflight::report::{ConfSource, PersistedConf};
    /// assert_eq!(PersistedConf::new(ConfSource::Snapshot, 1, 1).term, 1);
    /// ```
    pub fn new(source: ConfSource, index: u64, term: u64) -> Self {
        PersistedConf {
            source,
            file: None,
            index,
            term,
            peers: vec![],
            old_peers: vec![],
            learners: vec![],
            old_learners: vec![],
        }
    }
}

/// Whether the Raft log was read.
///
/// ```
/// use nacos_chaos::preflight::report::LogStatus;
/// assert!(LogStatus::NotRead { reason: "x".into() }.is_unread());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LogStatus {
    /// No log (or an empty log directory).
    Absent,
    /// The log was read.
    Read {
        /// Configuration entries found (after dropping those below first_log_index).
        conf_entries: usize,
        /// The truncated-prefix marker, if present.
        first_log_index: Option<u64>,
    },
    /// A log with data exists but was not read.
    NotRead {
        /// Why, and how to enable reading it.
        reason: String,
    },
}

impl LogStatus {
    /// True when a log exists that was not read.
    ///
    /// ```
    /// use nacos_chaos::preflight::report::LogStatus;
    /// assert!(!LogStatus::Absent.is_unread());
    /// ```
    pub fn is_unread(&self) -> bool {
        matches!(self, LogStatus::NotRead { .. })
    }
}

/// How much of the persisted state the verdict rests on.
///
/// ```
/// use nacos_chaos::preflight::report::Confidence;
/// assert_eq!(Confidence::High, Confidence::High);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "confidence", rename_all = "snake_case")]
pub enum Confidence {
    /// Every file that decides the membership was read.
    High,
    /// Something that may hold a newer configuration was not read.
    Low {
        /// What was not read.
        reason: String,
    },
}

/// One way out of a non-OK verdict, with its cost.
///
/// ```
/// use nacos_chaos::preflight::remedy::remedies;
/// use nacos_chaos::preflight::verdict::Verdict;
/// use nacos_chaos::flavor::FlavorKind;
/// let v = Verdict::QuorumImpossible { stale: vec![], missing: vec![], present: 0, quorum: 2 };
/// let r = remedies(FlavorKind::Official, "nacos_config", &v, &["a:7848".into()]);
/// assert!(r.iter().any(|x| x.action == "resetPeers" && !x.needs_leader));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remedy {
    /// Short name, e.g. `resetPeers`.
    pub action: String,
    /// Exactly what to run or do.
    pub how: String,
    /// Whether it only works while the group has a leader.
    pub needs_leader: bool,
    /// Where it must be applied (e.g. "every node, locally").
    pub scope: String,
    /// What can go wrong.
    pub risk: String,
    /// Data it destroys, if any.
    pub data_loss: Option<String>,
}

/// Everything preflight found about one Raft group.
///
/// ```
/// use nacos_chaos::preflight::report::{Confidence, GroupReport, LogStatus};
/// use nacos_chaos::preflight::verdict::Verdict;
/// let g = GroupReport::new("g", "/d/g".into(), Verdict::Ok);
/// assert_eq!(g.confidence, Confidence::High);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupReport {
    /// Group name (official: directory name; r-nacos: `rnacos`).
    pub group: String,
    /// Group directory.
    pub path: PathBuf,
    /// Whether the group has any persisted state.
    pub present: bool,
    /// Persisted current term.
    pub term: Option<u64>,
    /// Persisted vote (`0.0.0.0:0` / `0` = none).
    pub voted_for: Option<String>,
    /// Configuration from the snapshot.
    pub snapshot: Option<PersistedConf>,
    /// Newest configuration entry from the log (or r-nacos index).
    pub log_conf: Option<PersistedConf>,
    /// The configuration the node will boot with (newest of the above).
    pub effective: Option<PersistedConf>,
    /// Whether the log was read.
    pub log: LogStatus,
    /// How far the verdict can be trusted.
    pub confidence: Confidence,
    /// The verdict.
    pub verdict: Verdict,
    /// Ways out (empty when OK).
    pub remedies: Vec<Remedy>,
    /// Further observations.
    pub notes: Vec<String>,
}

impl GroupReport {
    /// A report with only a verdict filled in.
    ///
    /// ```
    /// use nacos_chaos::preflight::report::GroupReport;
    /// use nacos_chaos::preflight::verdict::Verdict;
    /// assert!(!GroupReport::new("g", "/x".into(), Verdict::Ok).present);
    /// ```
    pub fn new(group: &str, path: PathBuf, verdict: Verdict) -> Self {
        GroupReport {
            group: group.to_string(),
            path,
            present: false,
            term: None,
            voted_for: None,
            snapshot: None,
            log_conf: None,
            effective: None,
            log: LogStatus::Absent,
            confidence: Confidence::High,
            verdict,
            remedies: vec![],
            notes: vec![],
        }
    }
}

/// The whole preflight result.
///
/// ```
/// # use nacos_chaos::preflight::report::PreflightReport;
/// # use nacos_chaos::flavor::FlavorKind;
/// let r = PreflightReport { flavor: FlavorKind::RNacos, data_dir: "/d".into(),
///     target: vec![], self_peer: None, groups: vec![], notes: vec![] };
/// assert!(r.to_json().unwrap().contains("\"flavor\": \"rnacos\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreflightReport {
    /// Server flavor.
    pub flavor: FlavorKind,
    /// The Raft directory that was read.
    pub data_dir: PathBuf,
    /// Target peers, in the form the flavor persists them.
    pub target: Vec<String>,
    /// This node's target peer, if given.
    pub self_peer: Option<String>,
    /// Per-group results.
    pub groups: Vec<GroupReport>,
    /// Report-wide notes.
    pub notes: Vec<String>,
}

impl PreflightReport {
    /// The worst verdict over all groups (`Ok` when there are none).
    ///
    /// ```
    /// # use nacos_chaos::preflight::report::PreflightReport;
    /// # use nacos_chaos::flavor::FlavorKind;
    /// # let r = PreflightReport { flavor: FlavorKind::RNacos, data_dir: "/d".into(),
    /// #     target: vec![], self_peer: None, groups: vec![], notes: vec![] };
    /// assert_eq!(r.worst().exit_code(), 0);
    /// ```
    pub fn worst(&self) -> super::verdict::Verdict {
        self.groups
            .iter()
            .fold(Verdict::Ok, |acc, g| acc.worse(g.verdict.clone()))
    }

    /// Exit code of [`PreflightReport::worst`].
    ///
    /// ```
    /// # use nacos_chaos::preflight::report::PreflightReport;
    /// # use nacos_chaos::flavor::FlavorKind;
    /// # let r = PreflightReport { flavor: FlavorKind::RNacos, data_dir: "/d".into(),
    /// #     target: vec![], self_peer: None, groups: vec![], notes: vec![] };
    /// assert_eq!(r.exit_code(), 0);
    /// ```
    pub fn exit_code(&self) -> i32 {
        self.worst().exit_code()
    }

    /// Pretty JSON.
    ///
    /// ```
    /// # use nacos_chaos::preflight::report::PreflightReport;
    /// # use nacos_chaos::flavor::FlavorKind;
    /// # let r = PreflightReport { flavor: FlavorKind::Official, data_dir: "/d".into(),
    /// #     target: vec![], self_peer: None, groups: vec![], notes: vec![] };
    /// let back: PreflightReport = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    /// assert_eq!(back, r);
    /// ```
    pub fn to_json(&self) -> crate::Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| crate::Error::serialize("preflight report", e))
    }
}

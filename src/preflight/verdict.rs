//! Verdicts: will a group with this persisted configuration elect a leader in the target
//! cluster? Pure functions over peer lists, so every rule is table-testable.
//!
//! ```
//! use nacos_chaos::preflight::verdict::{judge_peers, Verdict};
//! let persisted = ["a:7848".to_string(), "b:7848".into(), "c:7848".into()];
//! let target = ["a:7848".to_string(), "b:7848".into(), "d:7848".into()];
//! let v = judge_peers(&persisted, &target, Some("a:7848"));
//! assert_eq!(v.exit_code(), 1); // one stale peer of three: a leader is still possible
//! ```

use serde::{Deserialize, Serialize};

/// The judgement for one group (or the worst over all groups).
///
/// ```
/// use nacos_chaos::preflight::verdict::Verdict;
/// assert_eq!(Verdict::Ok.exit_code(), 0);
/// assert_eq!(Verdict::Unreadable { detail: "x".into() }.exit_code(), 4);
/// let c = Verdict::Corrupt { file: "/d/index".into(), offset: Some(9), detail: "x".into() };
/// assert_eq!((c.exit_code(), c.label()), (4, "CORRUPT"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Persisted membership equals the target membership.
    Ok,
    /// A minority of persisted peers is not in the target (`stale`) and/or target peers are
    /// not persisted (`missing`); a leader can still be elected, then membership repaired.
    StalePeers {
        /// Persisted peers absent from the target.
        stale: Vec<String>,
        /// Target peers absent from the persisted configuration.
        missing: Vec<String>,
    },
    /// This node's own target peer id is not in the persisted configuration: it will never
    /// campaign or vote ("can't do preVote as it is not in conf").
    SelfNotInConf {
        /// This node's peer id in the target.
        self_peer: String,
        /// Persisted peers absent from the target.
        stale: Vec<String>,
        /// Target peers absent from the persisted configuration.
        missing: Vec<String>,
    },
    /// Fewer persisted peers than a quorum of the persisted configuration remain in the
    /// target: no leader can ever be elected without intervention.
    QuorumImpossible {
        /// Persisted peers absent from the target.
        stale: Vec<String>,
        /// Target peers absent from the persisted configuration.
        missing: Vec<String>,
        /// Persisted peers still present in the target.
        present: usize,
        /// Votes a leader needs in the persisted configuration.
        quorum: usize,
    },
    /// The persisted state could not be read or does not reveal the membership.
    Unreadable {
        /// What is wrong, naming the file.
        detail: String,
    },
    /// A state file is damaged (short, cut mid-record, undecodable) or contradicts the
    /// files beside it (an empty index beside a log of records, a snapshot the index names
    /// but that is missing): what the node will boot with cannot be known from it.
    Corrupt {
        /// The damaged file.
        file: String,
        /// Byte offset in that file where the damage was found, when known.
        offset: Option<u64>,
        /// What is wrong.
        detail: String,
    },
}

impl Verdict {
    /// Process exit code: 0 ok, 1 stale, 2 self-not-in-conf, 3 quorum impossible, 4 unreadable
    /// or corrupt.
    ///
    /// ```
    /// use nacos_chaos::preflight::verdict::Verdict;
    /// let v = Verdict::StalePeers { stale: vec![], missing: vec!["d:7848".into()] };
    /// assert_eq!(v.exit_code(), 1);
    /// ```
    pub fn exit_code(&self) -> i32 {
        match self {
            Verdict::Ok => 0,
            Verdict::StalePeers { .. } => 1,
            Verdict::SelfNotInConf { .. } => 2,
            Verdict::QuorumImpossible { .. } => 3,
            Verdict::Unreadable { .. } | Verdict::Corrupt { .. } => 4,
        }
    }

    /// Short label used in the text report.
    ///
    /// ```
    /// use nacos_chaos::preflight::verdict::Verdict;
    /// assert_eq!(Verdict::Ok.label(), "OK");
    /// ```
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::StalePeers { .. } => "STALE PEERS",
            Verdict::SelfNotInConf { .. } => "SELF NOT IN CONF",
            Verdict::QuorumImpossible { .. } => "QUORUM IMPOSSIBLE",
            Verdict::Unreadable { .. } => "UNREADABLE",
            Verdict::Corrupt { .. } => "CORRUPT",
        }
    }

    /// The worse of two verdicts (higher exit code; the first wins a tie).
    ///
    /// ```
    /// use nacos_chaos::preflight::verdict::Verdict;
    /// let q = Verdict::QuorumImpossible { stale: vec![], missing: vec![], present: 0, quorum: 2 };
    /// assert_eq!(Verdict::Ok.worse(q.clone()), q);
    /// ```
    pub fn worse(self, other: Verdict) -> Verdict {
        if other.exit_code() > self.exit_code() {
            other
        } else {
            self
        }
    }
}

/// Votes needed to elect a leader among `voters` voters.
///
/// ```
/// use nacos_chaos::preflight::verdict::quorum;
/// assert_eq!((quorum(1), quorum(3), quorum(4), quorum(5)), (1, 2, 3, 3));
/// ```
pub fn quorum(voters: usize) -> usize {
    voters / 2 + 1
}

/// Core rule shared by both flavors, given an already classified configuration of `voters`
/// persisted voters: quorum impossible beats self-not-in-conf beats stale/missing peers.
///
/// ```
/// use nacos_chaos::preflight::verdict::decide;
/// assert_eq!(decide(3, vec!["x".into(), "y".into()], vec![], None).exit_code(), 3);
/// assert_eq!(decide(3, vec![], vec![], Some("me".into())).exit_code(), 2);
/// assert_eq!(decide(0, vec![], vec![], None).exit_code(), 4);
/// ```
pub fn decide(
    voters: usize,
    stale: Vec<String>,
    missing: Vec<String>,
    self_missing: Option<String>,
) -> Verdict {
    if voters == 0 {
        return Verdict::Unreadable {
            detail: "the persisted configuration has no voting peers".into(),
        };
    }
    let present = voters.saturating_sub(stale.len());
    let q = quorum(voters);
    if present < q {
        Verdict::QuorumImpossible {
            stale,
            missing,
            present,
            quorum: q,
        }
    } else if let Some(self_peer) = self_missing {
        Verdict::SelfNotInConf {
            self_peer,
            stale,
            missing,
        }
    } else if !stale.is_empty() || !missing.is_empty() {
        Verdict::StalePeers { stale, missing }
    } else {
        Verdict::Ok
    }
}

/// Judge one persisted peer list (already normalized `host:port`) against target peers and,
/// optionally, this node's own target peer id. Comparison is exact string equality: a
/// hostname and the IP it resolves to are different peers to JRaft.
///
/// ```
/// use nacos_chaos::preflight::verdict::{judge_peers, Verdict};
/// let p = ["a:7848".to_string(), "b:7848".into(), "c:7848".into()];
/// assert_eq!(judge_peers(&p, &p, Some("a:7848")), Verdict::Ok);
/// assert_eq!(judge_peers(&p, &p, Some("z:7848")).exit_code(), 2);
/// ```
pub fn judge_peers(persisted: &[String], target: &[String], self_peer: Option<&str>) -> Verdict {
    let stale: Vec<String> = persisted
        .iter()
        .filter(|p| !target.contains(p))
        .cloned()
        .collect();
    let missing: Vec<String> = target
        .iter()
        .filter(|t| !persisted.contains(t))
        .cloned()
        .collect();
    let self_missing = self_peer
        .filter(|s| !persisted.iter().any(|p| p == s))
        .map(str::to_string);
    decide(persisted.len(), stale, missing, self_missing)
}

/// Judge a possibly joint configuration: during a membership change both the new `peers`
/// and the `old_peers` majorities must agree, so the result is the worse of the two. This
/// node counts as in the configuration if it is in either half.
///
/// ```
/// use nacos_chaos::preflight::verdict::judge_joint;
/// let new = ["a:7848".to_string(), "b:7848".into(), "c:7848".into()];
/// let old = ["x:7848".to_string(), "y:7848".into(), "c:7848".into()];
/// assert_eq!(judge_joint(&new, &old, &new, None).exit_code(), 3);
/// ```
pub fn judge_joint(
    peers: &[String],
    old_peers: &[String],
    target: &[String],
    self_peer: Option<&str>,
) -> Verdict {
    if old_peers.is_empty() {
        return judge_peers(peers, target, self_peer);
    }
    // JRaft's `ConfigurationEntry.contains` accepts a node found in either half.
    let self_peer = self_peer.filter(|s| !peers.iter().chain(old_peers).any(|p| p == s));
    judge_peers(peers, target, self_peer).worse(judge_peers(old_peers, target, self_peer))
}

//! What the harness saw of the cluster's Raft state: one node's view of one group, a node
//! at one moment, all nodes at one moment.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Raft role of a node in one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Leader of the group.
    Leader,
    /// Voting follower.
    Follower,
    /// Campaigning.
    Candidate,
    /// Non-voting member (learner).
    NonVoter,
    /// Anything else the server reported, verbatim.
    Other(String),
    /// The server does not expose its role (official Nacos: only leader is visible).
    Unknown,
}

/// One node's view of one Raft group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    /// Raft group name.
    pub group: String,
    /// This node's role.
    pub role: Role,
    /// Current term, if known.
    pub term: Option<u64>,
    /// The leader this node believes in right now (flavor peer id), if any.
    pub leader: Option<String>,
    /// Members of the group (flavor peer ids; voters).
    pub members: Vec<String>,
    /// Non-voting members, where the server exposes them.
    pub learners: Vec<String>,
    /// A last-known leader the flavor refused to report as live, with the reason.
    pub discarded_leader: Option<String>,
}

/// A node's view of the 1.x → 2.x upgrade (official Nacos 2.0.x/2.1.x `UpgradeJudgement`),
/// as its upgrade-state API reports it.
///
/// ```
/// use nacos_chaos::record::UpgradeState;
/// let s = UpgradeState { upgraded: false, all_2x: true, double_write: true };
/// assert_eq!(s.to_string(), "upgraded=false all_2x=true double_write=true");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeState {
    /// The node has switched to the 2.x (gRPC, v2 storage) features.
    pub upgraded: bool,
    /// Every member the node knows is 2.x.
    pub all_2x: bool,
    /// Double write (v1 and v2 storage) is on.
    pub double_write: bool,
}

impl fmt::Display for UpgradeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "upgraded={} all_2x={} double_write={}",
            self.upgraded, self.all_2x, self.double_write
        )
    }
}

/// One node's state at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeObservation {
    /// Node name (`n1`).
    pub node: String,
    /// The node's Raft peer id in this flavor (to map leaders to nodes).
    pub peer_id: String,
    /// Groups as the node reports them; empty if unreachable.
    pub groups: Vec<GroupView>,
    /// Why the node could not be observed, if it could not.
    pub error: Option<String>,
}

impl NodeObservation {
    /// Did the node answer?
    pub fn reachable(&self) -> bool {
        self.error.is_none()
    }

    /// This node's view of a group.
    pub fn group(&self, name: &str) -> Option<&GroupView> {
        self.groups.iter().find(|g| g.group == name)
    }

    /// Does this node report itself leader of `group`?
    pub fn leads(&self, group: &str) -> bool {
        self.group(group).is_some_and(|g| g.role == Role::Leader)
    }
}

/// All nodes at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    /// Wall-clock time.
    #[serde(with = "humantime_serde")]
    pub wall: SystemTime,
    /// Each node's 1.x → 2.x upgrade state, by node name, where the flavor reads one
    /// ([`crate::flavor::Flavor::upgrade_state_path`]; official 2.0.x/2.1.x). A node whose
    /// version has no such API, or that did not answer it, is absent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub upgrade: BTreeMap<String, UpgradeState>,
    /// Per node.
    pub nodes: Vec<NodeObservation>,
}

impl Observation {
    /// The first node (in node order) that reports itself leader of `group`: the leader is
    /// asked of a group by name, never of whichever group a node happens to list first (a
    /// flavor may run several Raft groups, each with its own leader).
    ///
    /// ```
    /// use nacos_chaos::record::{GroupView, NodeObservation, Observation, Role};
    /// let view = |group: &str, role| GroupView { group: group.into(), role, term: Some(1),
    ///     leader: None, members: vec![], learners: vec![], discarded_leader: None };
    /// let node = |name: &str, groups| NodeObservation { node: name.into(), peer_id: name.into(),
    ///     groups, error: None };
    /// let obs = Observation { at_ms: 0, wall: std::time::SystemTime::UNIX_EPOCH, upgrade: Default::default(),
    ///     nodes: vec![
    ///         node("n1", vec![view("naming", Role::Leader), view("config", Role::Follower)]),
    ///         node("n2", vec![view("naming", Role::Follower), view("config", Role::Leader)]),
    ///     ] };
    /// assert_eq!(obs.leader_of("config").map(|n| n.node.as_str()), Some("n2"));
    /// assert_eq!(obs.leader_of("naming").map(|n| n.node.as_str()), Some("n1"));
    /// assert!(obs.leader_of("lock").is_none());
    /// ```
    pub fn leader_of(&self, group: &str) -> Option<&NodeObservation> {
        self.nodes.iter().find(|n| n.leads(group))
    }
}

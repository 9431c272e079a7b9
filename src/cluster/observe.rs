//! Observations of a cluster's Raft state and the pure logic that decides whether the nodes
//! agree on a leader.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::flavor::{GroupView, Role};

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
}

/// All nodes at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    /// Wall-clock time.
    #[serde(with = "humantime_serde")]
    pub wall: SystemTime,
    /// Per node.
    pub nodes: Vec<NodeObservation>,
}

/// Verdict on one group at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Agreement {
    /// Every reachable node (a majority of the cluster) names this leader in this term, and
    /// the leader itself answers as leader.
    Agreed {
        /// Leader peer id.
        leader: String,
        /// Term.
        term: Option<u64>,
    },
    /// No agreement, with the reason.
    NotAgreed(String),
}

impl Agreement {
    /// The agreed leader, if any.
    pub fn leader(&self) -> Option<&str> {
        match self {
            Agreement::Agreed { leader, .. } => Some(leader),
            Agreement::NotAgreed(_) => None,
        }
    }
}

/// Decide agreement for one group over an observation of a `cluster_size`-node cluster.
///
/// ```
/// use nacos_chaos::cluster::observe::{agreement, Agreement, NodeObservation};
/// use nacos_chaos::flavor::{GroupView, Role};
/// let view = |role: Role| GroupView { group: "g".into(), role, term: Some(2),
///     leader: Some("1".into()), members: vec![], learners: vec![], discarded_leader: None };
/// let n = |i: usize, role| NodeObservation { node: format!("n{i}"), peer_id: i.to_string(),
///     groups: vec![view(role)], error: None };
/// let nodes = vec![n(1, Role::Leader), n(2, Role::Follower), n(3, Role::Follower)];
/// assert!(matches!(agreement(&nodes, "g", 3), Agreement::Agreed { .. }));
/// ```
pub fn agreement(nodes: &[NodeObservation], group: &str, cluster_size: usize) -> Agreement {
    let reachable: Vec<&NodeObservation> = nodes.iter().filter(|n| n.reachable()).collect();
    let majority = cluster_size / 2 + 1;
    if reachable.len() < majority {
        return Agreement::NotAgreed(format!(
            "only {} of {cluster_size} nodes answered",
            reachable.len()
        ));
    }
    let mut views: BTreeMap<(Option<String>, Option<u64>), Vec<&str>> = BTreeMap::new();
    for n in &reachable {
        match n.group(group) {
            Some(g) => views
                .entry((g.leader.clone(), g.term))
                .or_default()
                .push(&n.node),
            None => {
                return Agreement::NotAgreed(format!("{} does not report group {group}", n.node));
            }
        }
    }
    if views.len() != 1 {
        let desc: Vec<String> = views
            .iter()
            .map(|((l, t), ns)| {
                format!(
                    "{}@{} by {}",
                    l.as_deref().unwrap_or("none"),
                    t.map(|t| t.to_string()).unwrap_or("?".into()),
                    ns.join(",")
                )
            })
            .collect();
        return Agreement::NotAgreed(format!("views differ: {}", desc.join("; ")));
    }
    let ((leader, term), _) = views.into_iter().next().expect("one view");
    let Some(leader) = leader else {
        return Agreement::NotAgreed("no node knows a leader".into());
    };
    if let Some(ln) = reachable.iter().find(|n| n.peer_id == leader) {
        let role = ln.group(group).map(|g| g.role.clone());
        if role != Some(Role::Leader) && role != Some(Role::Unknown) {
            return Agreement::NotAgreed(format!(
                "{} is named leader but reports {:?}",
                ln.node, role
            ));
        }
    } else if !nodes.iter().any(|n| n.peer_id == leader) {
        return Agreement::NotAgreed(format!("leader {leader} is not a node of this cluster"));
    } else {
        return Agreement::NotAgreed(format!("leader {leader} does not answer"));
    }
    Agreement::Agreed { leader, term }
}

/// Agreement for every group the first reachable node reports.
pub fn agreements(obs: &Observation, groups: &[String]) -> BTreeMap<String, Agreement> {
    let size = obs.nodes.len();
    groups
        .iter()
        .map(|g| (g.clone(), agreement(&obs.nodes, g, size)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(role: Role, leader: Option<&str>, term: u64) -> GroupView {
        GroupView {
            group: "g".into(),
            role,
            term: Some(term),
            leader: leader.map(String::from),
            members: vec!["1".into(), "2".into(), "3".into()],
            learners: vec![],
            discarded_leader: None,
        }
    }

    fn node(i: usize, v: Option<GroupView>) -> NodeObservation {
        NodeObservation {
            node: format!("n{i}"),
            peer_id: i.to_string(),
            error: if v.is_none() {
                Some("down".into())
            } else {
                None
            },
            groups: v.into_iter().collect(),
        }
    }

    #[test]
    fn agreed_when_all_agree() {
        let nodes = vec![
            node(1, Some(view(Role::Follower, Some("2"), 4))),
            node(2, Some(view(Role::Leader, Some("2"), 4))),
            node(3, Some(view(Role::Follower, Some("2"), 4))),
        ];
        assert_eq!(
            agreement(&nodes, "g", 3),
            Agreement::Agreed {
                leader: "2".into(),
                term: Some(4)
            }
        );
    }

    #[test]
    fn minority_reachable_is_not_agreed() {
        let nodes = vec![
            node(1, Some(view(Role::Leader, Some("1"), 4))),
            node(2, None),
            node(3, None),
        ];
        assert!(
            matches!(agreement(&nodes, "g", 3), Agreement::NotAgreed(r) if r.contains("only 1"))
        );
    }

    #[test]
    fn different_terms_are_not_agreed() {
        let nodes = vec![
            node(1, Some(view(Role::Leader, Some("1"), 4))),
            node(2, Some(view(Role::Follower, Some("1"), 5))),
            node(3, Some(view(Role::Follower, Some("1"), 4))),
        ];
        assert!(
            matches!(agreement(&nodes, "g", 3), Agreement::NotAgreed(r) if r.contains("differ"))
        );
    }

    #[test]
    fn leaderless_is_not_agreed() {
        let nodes: Vec<_> = (1..=3)
            .map(|i| node(i, Some(view(Role::Candidate, None, 9))))
            .collect();
        assert!(
            matches!(agreement(&nodes, "g", 3), Agreement::NotAgreed(r) if r.contains("no node"))
        );
    }

    #[test]
    fn leader_that_does_not_claim_leadership_is_not_agreed() {
        let nodes: Vec<_> = (1..=3)
            .map(|i| node(i, Some(view(Role::Follower, Some("1"), 2))))
            .collect();
        assert!(
            matches!(agreement(&nodes, "g", 3), Agreement::NotAgreed(r) if r.contains("named leader"))
        );
    }

    #[test]
    fn unreachable_leader_is_not_agreed() {
        let nodes = vec![
            node(1, None),
            node(2, Some(view(Role::Follower, Some("1"), 2))),
            node(3, Some(view(Role::Follower, Some("1"), 2))),
        ];
        assert!(
            matches!(agreement(&nodes, "g", 3), Agreement::NotAgreed(r) if r.contains("does not answer"))
        );
    }
}

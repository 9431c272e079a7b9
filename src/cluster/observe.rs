//! Observations of a cluster's Raft state and the pure logic that decides whether the nodes
//! agree on a leader.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::Role;
pub use crate::record::{NodeObservation, Observation};

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

/// A position in an [`ObservationLog`] (see [`ObservationLog::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(usize);

/// The observations a cluster keeps, in the order made. Bring-up starts over what it
/// discards (a whole attempt, or one node whose join was lost) with empty data; what was
/// observed of the discarded state is dropped, so checks judge only the cluster that was
/// kept (a discarded attempt's terms would read as a term regression of the next one).
///
/// ```
/// use nacos_chaos::cluster::observe::{Observation, ObservationLog};
/// let o = |at_ms| Observation { at_ms, wall: std::time::SystemTime::UNIX_EPOCH, upgrade: Default::default(), nodes: vec![] };
/// let mut log = ObservationLog::default();
/// log.push(o(0));
/// let attempt = log.mark();
/// log.push(o(10));
/// assert_eq!(log.discard_since(attempt), 1);
/// assert_eq!(log.as_slice().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ObservationLog {
    observations: Vec<Observation>,
}

impl ObservationLog {
    /// Record an observation.
    pub fn push(&mut self, o: Observation) {
        self.observations.push(o);
    }

    /// Every observation kept, in the order made.
    pub fn as_slice(&self) -> &[Observation] {
        &self.observations
    }

    /// The current end of the log: what is pushed after it can be discarded with
    /// [`ObservationLog::discard_since`].
    pub fn mark(&self) -> Mark {
        Mark(self.observations.len())
    }

    /// Drop every observation made since `mark` (a discarded bring-up attempt); returns how
    /// many.
    pub fn discard_since(&mut self, mark: Mark) -> usize {
        let n = self.observations.len().saturating_sub(mark.0);
        self.observations.truncate(mark.0);
        n
    }

    /// Drop what was observed of `node` since `mark` (a node started over with empty data);
    /// the other nodes' observations are kept. Returns how many node observations were
    /// dropped.
    pub fn discard_node_since(&mut self, mark: Mark, node: &str) -> usize {
        let mut n = 0;
        for o in self.observations.iter_mut().skip(mark.0) {
            let before = o.nodes.len();
            o.nodes.retain(|x| x.node != node);
            n += before - o.nodes.len();
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::GroupView;
    use std::time::SystemTime;

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

    fn at(at_ms: u64, terms: &[(usize, u64)]) -> Observation {
        Observation {
            at_ms,
            wall: SystemTime::UNIX_EPOCH,
            upgrade: Default::default(),
            nodes: terms
                .iter()
                .map(|&(i, t)| node(i, Some(view(Role::Follower, Some("1"), t))))
                .collect(),
        }
    }

    #[test]
    fn a_discarded_attempt_leaves_no_observation() {
        // Attempt 1 reached term 3 and was discarded (every node started over empty);
        // attempt 2 starts at term 1. Keeping attempt 1 would read as 3 -> 1 later.
        let mut log = ObservationLog::default();
        let before = at(0, &[(1, 0)]);
        log.push(before.clone());
        let first = log.mark();
        log.push(at(1_000, &[(1, 2), (2, 2)]));
        log.push(at(2_000, &[(1, 3), (2, 3), (3, 3)]));
        assert_eq!(log.discard_since(first), 2);
        let second = log.mark();
        assert_eq!(
            second, first,
            "the next attempt starts where the discarded one did"
        );
        log.push(at(70_000, &[(1, 1), (2, 1), (3, 1)]));
        assert_eq!(log.as_slice().len(), 2);
        assert_eq!(
            log.as_slice()[0],
            before,
            "what came before the attempt is kept"
        );
        assert!(log.as_slice()[1..].iter().all(|o| o.at_ms >= 70_000));
        // Nothing after the mark: nothing to drop.
        assert_eq!(log.discard_since(log.mark()), 0);
    }

    #[test]
    fn a_node_started_over_loses_only_its_own_observations_since_the_mark() {
        let mut log = ObservationLog::default();
        log.push(at(0, &[(1, 1), (3, 2)]));
        let attempt = log.mark();
        log.push(at(1_000, &[(1, 2), (2, 2), (3, 4)]));
        log.push(at(2_000, &[(1, 2), (2, 2), (3, 4)]));
        assert_eq!(log.discard_node_since(attempt, "n3"), 2);
        log.push(at(3_000, &[(1, 2), (2, 2), (3, 2)]));
        let o = log.as_slice();
        assert_eq!(o.len(), 4, "other nodes' observations are kept");
        assert_eq!(o[0].nodes.len(), 2, "before the mark: untouched");
        for x in &o[1..3] {
            let names: Vec<&str> = x.nodes.iter().map(|n| n.node.as_str()).collect();
            assert_eq!(names, ["n1", "n2"]);
        }
        assert_eq!(o[3].nodes.len(), 3);
    }
}

//! Live evidence for a leader, across nodes.
//!
//! Official Nacos publishes `raftMetaData.metaDataMap.<group>.leader` only when a node starts
//! leading, starts following, commits a configuration or hits an error
//! (`core/.../raft/NacosStateMachine` @2.2.0, 2.4.1, 3.0.3: `onLeaderStart`,
//! `onStartFollowing`, `onConfigurationCommitted`, `onError`; `onLeaderStop` publishes
//! nothing), and `JRaftProtocol.init` @2.4.1 stores it with `MapUtil.putIfValNoEmpty`, so a
//! leader name is never cleared. A former leader cut off from its peers keeps naming itself,
//! in its old term, for as long as it runs; so do followers that have not yet seen the new
//! leader. One node's metadata is therefore no evidence of a live leader.
//!
//! The rule here: a (group, leader, term) stands only when
//! 1. the named node answered and itself claims leadership of the group in that term, and
//! 2. a majority of the cluster's nodes (so never fewer than a quorum of answering nodes) name
//!    that leader in that term.
//!
//! Every other leader name is withdrawn from the views (kept in `discarded_leader` with the
//! reason), so checks never count it.

use std::collections::{BTreeMap, BTreeSet};

use crate::flavor::Role;
use crate::record::NodeObservation;

type Key = (String, String, Option<u64>);

fn term_text(term: Option<u64>) -> String {
    term.map_or_else(|| "an unknown term".to_string(), |t| format!("term {t}"))
}

/// Withdraw every leader in `nodes` (one observation of the whole cluster) that lacks live
/// evidence (module docs). Views of unreachable nodes are left alone (they are empty).
///
/// ```
/// use nacos_chaos::cluster::observe::NodeObservation;
/// use nacos_chaos::flavor::{GroupView, Role};
/// use nacos_chaos::flavor::official::confirm_leaders;
/// let view = |role: Role, leader: &str, term| GroupView { group: "g".into(), role, term: Some(term),
///     leader: Some(leader.into()), members: vec![], learners: vec![], discarded_leader: None };
/// let n = |i: usize, v: GroupView| NodeObservation { node: format!("n{i}"),
///     peer_id: format!("n{i}:7848"), groups: vec![v], error: None };
/// // n1 was cut off while leading term 3; n2 and n3 elected n2 in term 4.
/// let mut nodes = vec![
///     n(1, view(Role::Leader, "n1:7848", 3)),
///     n(2, view(Role::Leader, "n2:7848", 4)),
///     n(3, view(Role::Follower, "n2:7848", 4)),
/// ];
/// confirm_leaders(&mut nodes);
/// assert_eq!(nodes[0].groups[0].leader, None);
/// assert_eq!(nodes[0].groups[0].role, Role::Unknown);
/// assert_eq!(nodes[1].groups[0].leader.as_deref(), Some("n2:7848"));
/// ```
pub fn confirm_leaders(nodes: &mut [NodeObservation]) {
    let size = nodes.len();
    let majority = size / 2 + 1;
    let mut named: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    let mut claimed: BTreeSet<Key> = BTreeSet::new();
    let mut answering: BTreeMap<String, (String, bool)> = BTreeMap::new();
    for n in nodes.iter() {
        answering.insert(n.peer_id.clone(), (n.node.clone(), n.reachable()));
        if !n.reachable() {
            continue;
        }
        for g in &n.groups {
            let Some(l) = &g.leader else { continue };
            let key = (g.group.clone(), l.clone(), g.term);
            named.entry(key.clone()).or_default().push(n.node.clone());
            if g.role == Role::Leader {
                claimed.insert(key);
            }
        }
    }
    for n in nodes.iter_mut().filter(|n| n.reachable()) {
        for g in &mut n.groups {
            let Some(l) = g.leader.clone() else { continue };
            let key = (g.group.clone(), l.clone(), g.term);
            let namers = named.get(&key).map(Vec::as_slice).unwrap_or_default();
            let why = if !claimed.contains(&key) {
                match answering.get(&l) {
                    None => format!("no node of this cluster has peer id {l}"),
                    Some((node, false)) => format!("its node {node} does not answer"),
                    Some((node, true)) => format!(
                        "its node {node} does not claim leadership of {} in {}",
                        g.group,
                        term_text(g.term)
                    ),
                }
            } else if namers.len() < majority {
                format!(
                    "named in {} by {} of {size} nodes ({}); a majority is {majority}",
                    term_text(g.term),
                    namers.len(),
                    namers.join(", ")
                )
            } else {
                continue;
            };
            g.discarded_leader = Some(format!("{l} (no live evidence: {why})"));
            g.leader = None;
            if matches!(g.role, Role::Leader | Role::Follower) {
                g.role = Role::Unknown;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavor::GroupView;

    fn view(role: Role, leader: Option<&str>, term: u64) -> GroupView {
        crate::check::testkit::view("g", role, Some(term), leader, &[])
    }

    fn node(i: usize, v: Option<GroupView>) -> NodeObservation {
        NodeObservation {
            node: format!("n{i}"),
            peer_id: format!("p{i}"),
            error: v.is_none().then(|| "down".to_string()),
            groups: v.into_iter().collect(),
        }
    }

    fn leaders(nodes: &[NodeObservation]) -> Vec<Option<String>> {
        nodes
            .iter()
            .map(|n| n.group("g").and_then(|g| g.leader.clone()))
            .collect()
    }

    #[test]
    fn agreed_live_leader_stands() {
        let mut nodes = vec![
            node(1, Some(view(Role::Follower, Some("p2"), 4))),
            node(2, Some(view(Role::Leader, Some("p2"), 4))),
            node(3, None),
        ];
        let before = nodes.clone();
        confirm_leaders(&mut nodes);
        assert_eq!(nodes, before);
    }

    #[test]
    fn leader_that_does_not_answer_is_withdrawn() {
        // Followers keep naming p1 (nothing clears it) while p1 is down.
        let mut nodes = vec![
            node(1, None),
            node(2, Some(view(Role::Follower, Some("p1"), 3))),
            node(3, Some(view(Role::Follower, Some("p1"), 3))),
        ];
        confirm_leaders(&mut nodes);
        assert_eq!(leaders(&nodes), [None, None, None]);
        let why = nodes[1].groups[0].discarded_leader.clone().unwrap();
        assert!(why.contains("its node n1 does not answer"), "{why}");
        assert_eq!(nodes[1].groups[0].role, Role::Unknown);
    }

    #[test]
    fn leader_in_another_term_is_not_confirmed() {
        // n3 still names p1 in term 3, p1 now leads term 4 (n3 missed the new term).
        let mut nodes = vec![
            node(1, Some(view(Role::Leader, Some("p1"), 4))),
            node(2, Some(view(Role::Follower, Some("p1"), 4))),
            node(3, Some(view(Role::Follower, Some("p1"), 3))),
        ];
        confirm_leaders(&mut nodes);
        assert_eq!(
            leaders(&nodes),
            [Some("p1".into()), Some("p1".into()), None]
        );
        let why = nodes[2].groups[0].discarded_leader.clone().unwrap();
        assert!(
            why.contains("does not claim leadership of g in term 3"),
            "{why}"
        );
    }

    #[test]
    fn self_claim_named_by_a_minority_is_withdrawn() {
        let mut nodes = vec![
            node(1, Some(view(Role::Leader, Some("p1"), 3))),
            node(2, Some(view(Role::Candidate, None, 3))),
            node(3, None),
        ];
        confirm_leaders(&mut nodes);
        assert_eq!(nodes[0].groups[0].leader, None);
        assert_eq!(nodes[0].groups[0].role, Role::Unknown);
        let why = nodes[0].groups[0].discarded_leader.clone().unwrap();
        assert!(
            why.contains("by 1 of 3 nodes (n1); a majority is 2"),
            "{why}"
        );
        // Candidate views stay as they were.
        assert_eq!(nodes[1].groups[0].role, Role::Candidate);
    }

    #[test]
    fn unknown_peer_is_withdrawn() {
        let mut nodes = vec![node(1, Some(view(Role::Follower, Some("old:7848"), 2)))];
        confirm_leaders(&mut nodes);
        let why = nodes[0].groups[0].discarded_leader.clone().unwrap();
        assert!(why.contains("no node of this cluster has peer id old:7848"));
    }
}

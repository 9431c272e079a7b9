//! Membership: per Raft group, the live members equal the configured node set, on every
//! configured node.
//!
//! The configured set is what the run meant the cluster to be: every node the harness
//! started and did not scale in (peer ids, as the flavor names them). Each configured node is
//! judged by its latest answer: the voters it reports must be exactly the configured set — a
//! configured node it lacks (or counts only as a learner) is *missing*, a member nobody
//! configured is a *phantom*. A configured node that never answered is a failure too: the
//! cluster did not form with it.

use std::collections::{BTreeMap, BTreeSet};

use super::{Evidence, Status, Verdict, evidence, skip, verdict};
use crate::record::{GroupView, NodeObservation, Observation};

const CHECK: &str = "membership";

/// Judge the membership against the configured peer ids.
///
/// ```
/// use nacos_chaos::check::{membership, Status};
/// assert_eq!(membership(&[], &[]).status, Status::Skip);
/// ```
pub fn membership(observations: &[Observation], configured: &[String]) -> Verdict {
    if configured.is_empty() {
        return skip(
            CHECK,
            "no configured node set recorded: membership not judged",
        );
    }
    if observations.is_empty() {
        return skip(CHECK, "no observations: membership not judged");
    }
    let want: BTreeSet<&str> = configured.iter().map(String::as_str).collect();
    let (latest, names) = latest_answers(observations, &want);
    let mut bad: Vec<Evidence> = vec![];
    let mut good: Vec<Evidence> = vec![];
    for peer in &want {
        let Some((at, n)) = latest.get(peer) else {
            let name = names.get(peer).copied().unwrap_or(peer);
            bad.push(evidence(
                format!("{name} (peer {peer}) never answered with its Raft state"),
                Some(name),
                None,
                None,
            ));
            continue;
        };
        for g in &n.groups {
            match judge_view(n, g, &want, *at) {
                Ok(e) => good.push(e),
                Err(e) => bad.push(e),
            }
        }
    }
    let mut metrics = BTreeMap::new();
    metrics.insert("configured".into(), want.len() as f64);
    metrics.insert("disagreeing".into(), bad.len() as f64);
    if bad.is_empty() {
        let summary = format!(
            "live members equal the configured set [{}] on all {} node(s)",
            list(&want),
            want.len()
        );
        return verdict(CHECK, Status::Pass, summary, good, metrics);
    }
    let who: Vec<&str> = bad.iter().filter_map(|e| e.node.as_deref()).collect();
    let summary = format!(
        "members differ from the configured set [{}] on {}: {}",
        list(&want),
        who.join(", "),
        bad[0].text
    );
    bad.extend(good);
    verdict(CHECK, Status::Fail, summary, bad, metrics)
}

/// Peer id → the time and content of its latest answer with Raft state.
type Latest<'a> = BTreeMap<&'a str, (u64, &'a NodeObservation)>;

/// Each configured peer's latest answer that carried Raft state (with its time), and the
/// node name of every configured peer seen at all.
fn latest_answers<'a>(
    observations: &'a [Observation],
    want: &BTreeSet<&str>,
) -> (Latest<'a>, BTreeMap<&'a str, &'a str>) {
    let mut sorted: Vec<&Observation> = observations.iter().collect();
    sorted.sort_by_key(|o| o.at_ms);
    let mut latest = BTreeMap::new();
    let mut names = BTreeMap::new();
    for o in &sorted {
        for n in o.nodes.iter().filter(|n| want.contains(n.peer_id.as_str())) {
            names.insert(n.peer_id.as_str(), n.node.as_str());
            if n.reachable() && !n.groups.is_empty() {
                latest.insert(n.peer_id.as_str(), (o.at_ms, n));
            }
        }
    }
    (latest, names)
}

/// One node's view of one group against the configured set: `Ok` evidence where its
/// members are exactly the set, `Err` evidence naming the missing and phantom members.
fn judge_view(
    n: &NodeObservation,
    g: &GroupView,
    want: &BTreeSet<&str>,
    at: u64,
) -> Result<Evidence, Evidence> {
    let voters: BTreeSet<&str> = g.members.iter().map(String::as_str).collect();
    let missing: BTreeSet<&str> = want.difference(&voters).copied().collect();
    let phantom: BTreeSet<&str> = voters
        .iter()
        .copied()
        .chain(g.learners.iter().map(String::as_str))
        .filter(|m| !want.contains(m))
        .collect();
    if missing.is_empty() && phantom.is_empty() {
        let text = format!("{} in {}: members [{}]", n.node, g.group, list(&voters));
        return Ok(evidence(text, Some(&n.node), Some(at), None));
    }
    let mut parts = vec![];
    if !missing.is_empty() {
        parts.push(format!("missing [{}]", list(&missing)));
    }
    if !phantom.is_empty() {
        parts.push(format!("phantom [{}]", list(&phantom)));
    }
    let text = format!(
        "{} in {}: members [{}], learners [{}] vs configured [{}]: {}",
        n.node,
        g.group,
        list(&voters),
        g.learners.join(", "),
        list(want),
        parts.join(", ")
    );
    Err(evidence(text, Some(&n.node), Some(at), None))
}

/// `a, b, c`.
fn list(s: &BTreeSet<&str>) -> String {
    s.iter().copied().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::{down, node, obs, view};
    use crate::record::Role;

    fn cfg(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn three(members: &[&str]) -> Observation {
        obs(
            10,
            (1..=3)
                .map(|i| {
                    let role = if i == 1 { Role::Leader } else { Role::Follower };
                    node(i, vec![view("g", role, Some(1), Some("1"), members)])
                })
                .collect(),
        )
    }

    #[test]
    fn matching_members_on_every_node_pass() {
        let v = membership(&[three(&["1", "2", "3"])], &cfg(&["1", "2", "3"]));
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert!(v.summary.contains("[1, 2, 3] on all 3"), "{}", v.summary);
    }

    #[test]
    fn a_phantom_member_fails_naming_the_node() {
        // n4 was removed from the configuration only: the Raft group still counts it.
        let v = membership(&[three(&["1", "2", "3", "4"])], &cfg(&["1", "2", "3"]));
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("phantom [4]"), "{}", v.summary);
        assert!(v.summary.contains("on n1, n2, n3"), "{}", v.summary);
    }

    #[test]
    fn a_missing_member_fails_and_only_the_node_that_disagrees_is_named() {
        let mut o = three(&["1", "2", "3"]);
        o.nodes[2].groups[0].members = vec!["1".into(), "3".into()];
        o.nodes[2].groups[0].role = Role::NonVoter;
        let v = membership(&[o], &cfg(&["1", "2", "3"]));
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("on n3: n3 in g"), "{}", v.summary);
        assert!(v.summary.contains("missing [2]"), "{}", v.summary);
    }

    #[test]
    fn the_latest_answer_counts_and_a_silent_node_fails() {
        let early = three(&["1", "2"]);
        let mut late = three(&["1", "2", "3"]);
        late.at_ms = 20;
        let v = membership(&[late.clone(), early], &cfg(&["1", "2", "3"]));
        assert_eq!(v.status, Status::Pass, "{v:?}");
        late.nodes[2] = down(3);
        let mut never = late.clone();
        never.at_ms = 30;
        let v = membership(&[never], &cfg(&["1", "2", "3"]));
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("never answered"), "{}", v.summary);
    }

    #[test]
    fn a_learner_nobody_configured_is_a_phantom() {
        let mut o = three(&["1", "2", "3"]);
        o.nodes[0].groups[0].learners = vec!["9".into()];
        let v = membership(&[o], &cfg(&["1", "2", "3"]));
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("phantom [9]"), "{}", v.summary);
    }

    #[test]
    fn nothing_configured_or_observed_is_a_skip() {
        assert_eq!(membership(&[three(&["1"])], &[]).status, Status::Skip);
        assert_eq!(membership(&[], &cfg(&["1"])).status, Status::Skip);
    }
}

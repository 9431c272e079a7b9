//! Convergence check: after heal, every node agrees on Raft membership and on content.
//!
//! Membership is judged on the LAST observation (greatest `at_ms`): every node must answer,
//! and for every group any node reports, every node must report it with the same set of
//! members (order ignored). Content is judged on the final reads: for each (read kind, key),
//! every node that appears in `final_reads` must have read it successfully and the value
//! sets must be equal (order ignored). Where nodes report a 1.x → 2.x upgrade state
//! (official 2.0.x/2.1.x), every reachable one must report the same
//! ([`super::upgrade_agreement`]).

use std::collections::{BTreeMap, BTreeSet};

use super::{Evidence, Status, Verdict, clip, evidence, kind_name, restart_safety, skip, verdict};
use crate::record::BootMembership;
use crate::record::{FinalRead, OpKind};
use crate::record::{NodeObservation, Observation};

/// Judge convergence after heal. No observations → Skip.
///
/// ```
/// use nacos_chaos::check::{convergence, Status};
/// use nacos_chaos::cluster::observe::{NodeObservation, Observation};
/// use nacos_chaos::flavor::{GroupView, Role};
/// let n = |i: usize, members: &[&str]| NodeObservation { node: format!("n{i}"),
///     peer_id: i.to_string(), error: None, groups: vec![GroupView { group: "g".into(),
///     role: Role::Follower, term: Some(1), leader: Some("1".into()),
///     members: members.iter().map(|m| m.to_string()).collect(), learners: vec![],
///     discarded_leader: None }] };
/// let at = |nodes| Observation { at_ms: 0, wall: std::time::SystemTime::UNIX_EPOCH, upgrade: Default::default(), nodes };
/// let agree = at(vec![n(1, &["1", "2"]), n(2, &["2", "1"])]);
/// assert_eq!(convergence(&[agree], &[], &[], None).status, Status::Pass);
/// let differ = at(vec![n(1, &["1", "2"]), n(2, &["2", "3"])]);
/// assert_eq!(convergence(&[differ], &[], &[], None).status, Status::Fail);
/// ```
///
/// Restart safety is judged too: every node must boot with the live membership (see
/// [`super::restart_safety`]); `boots` empty = not judged.
///
/// ```
/// use nacos_chaos::check::{convergence, Status};
/// use nacos_chaos::cluster::BootMembership;
/// use nacos_chaos::cluster::observe::{NodeObservation, Observation};
/// use nacos_chaos::flavor::{GroupView, Role};
/// let n = |i: usize| NodeObservation { node: format!("n{i}"), peer_id: i.to_string(),
///     error: None, groups: vec![GroupView { group: "g".into(), role: Role::Follower,
///     term: Some(1), leader: Some("1".into()), members: vec!["1".into(), "2".into()],
///     learners: vec![], discarded_leader: None }] };
/// let obs = [Observation { at_ms: 0, wall: std::time::SystemTime::UNIX_EPOCH, upgrade: Default::default(),
///     nodes: vec![n(1), n(2)] }];
/// let boot = |i: usize, m: &[&str]| BootMembership { node: format!("n{i}"),
///     members: Some(m.iter().map(|s| s.to_string()).collect()) };
/// let safe = [boot(1, &["1", "2"]), boot(2, &["1", "2"])];
/// assert_eq!(convergence(&obs, &[], &safe, None).status, Status::Pass);
/// let regains = [boot(1, &["1", "2", "3"]), boot(2, &["1", "2"])];
/// assert_eq!(convergence(&obs, &[], &regains, None).status, Status::Fail);
/// ```
pub fn convergence(
    observations: &[Observation],
    final_reads: &[FinalRead],
    boots: &[BootMembership],
    boot_unread: Option<&str>,
) -> Verdict {
    let Some(last) = observations.iter().max_by_key(|o| o.at_ms) else {
        return skip("convergence", "no observations recorded");
    };
    let mut f = Findings {
        at: Some(last.at_ms),
        ..Findings::default()
    };
    let unreachable = f.unreachable(last);
    let reachable: Vec<_> = last.nodes.iter().filter(|n| n.reachable()).collect();
    let groups: BTreeSet<&str> = reachable
        .iter()
        .flat_map(|n| n.groups.iter().map(|g| g.group.as_str()))
        .collect();
    let membership_bad = f.membership(&reachable, &groups);
    f.restart_safety(boots, &reachable, &groups, membership_bad);
    let upgrade_bad = f.upgrade_state(last);
    let (keys, content_bad) = f.content(final_reads);

    let mut metrics = BTreeMap::new();
    metrics.insert("nodes".into(), last.nodes.len() as f64);
    metrics.insert("unreachable_nodes".into(), unreachable as f64);
    metrics.insert("groups".into(), groups.len() as f64);
    metrics.insert("membership_disagreements".into(), membership_bad as f64);
    metrics.insert("keys".into(), keys as f64);
    metrics.insert("content_disagreements".into(), content_bad as f64);
    if !last.upgrade.is_empty() {
        metrics.insert("upgrade_state_disagreements".into(), upgrade_bad as f64);
    }
    let agreed = format!(
        "{} node(s) agree on membership of {} group(s) and on {keys} key(s)",
        last.nodes.len(),
        groups.len(),
    );
    f.conclude(agreed, boot_unread, metrics)
}

/// Evidence and problems as the phases of [`convergence`] find them.
#[derive(Default)]
struct Findings {
    /// The last observation's time.
    at: Option<u64>,
    ev: Vec<Evidence>,
    problems: Vec<String>,
}

impl Findings {
    /// Every node that did not answer the last observation; returns how many.
    fn unreachable(&mut self, last: &Observation) -> usize {
        let down: Vec<_> = last.nodes.iter().filter(|n| !n.reachable()).collect();
        for n in &down {
            let why = clip(n.error.as_deref().unwrap_or("no answer"), 160);
            let text = format!("{} did not answer after heal: {why}", n.node);
            self.ev.push(evidence(text, Some(&n.node), self.at, None));
        }
        if !down.is_empty() {
            self.problems
                .push(format!("{} node(s) unreachable after heal", down.len()));
        }
        down.len()
    }

    /// Per group, do all reachable nodes report the same members? Returns the number of
    /// groups where they do not.
    fn membership(&mut self, reachable: &[&NodeObservation], groups: &BTreeSet<&str>) -> usize {
        let mut bad = 0;
        for group in groups {
            // members set -> nodes reporting it; None = group not reported.
            let mut views: BTreeMap<Option<BTreeSet<&str>>, Vec<&str>> = BTreeMap::new();
            for n in reachable {
                let members = n
                    .group(group)
                    .map(|g| g.members.iter().map(String::as_str).collect());
                views.entry(members).or_default().push(&n.node);
            }
            let text = if views.len() > 1 {
                bad += 1;
                let desc: Vec<String> = views
                    .iter()
                    .map(|(m, ns)| match m {
                        Some(m) => format!("{} say [{}]", ns.join(","), set(m)),
                        None => format!("{} do not report the group", ns.join(",")),
                    })
                    .collect();
                format!("group {group}: members differ: {}", desc.join("; "))
            } else if let Some((Some(m), _)) = views.iter().next() {
                let n = reachable.len();
                format!("group {group}: all {n} reachable node(s) say [{}]", set(m))
            } else {
                continue;
            };
            self.ev.push(evidence(text, None, self.at, None));
        }
        if bad > 0 {
            self.problems
                .push(format!("membership differs in {bad} group(s)"));
        }
        bad
    }

    /// Restart safety: judged for a single group whose live membership all nodes agree on.
    fn restart_safety(
        &mut self,
        boots: &[BootMembership],
        reachable: &[&NodeObservation],
        groups: &BTreeSet<&str>,
        membership_bad: usize,
    ) {
        let only_group = groups.iter().next().filter(|_| groups.len() == 1);
        let live: Option<Vec<String>> = match (only_group, membership_bad) {
            (Some(only), 0) => reachable
                .first()
                .and_then(|n| n.group(only))
                .map(|g| g.members.clone()),
            _ => None,
        };
        let (ev, problem) = restart_safety::judge(boots, live.as_deref(), self.at);
        self.ev.extend(ev);
        self.problems.extend(problem);
    }

    /// 1.x → 2.x upgrade state (official 2.0.x/2.1.x): reachable nodes must agree. Returns
    /// 1 where they do not.
    fn upgrade_state(&mut self, last: &Observation) -> usize {
        match super::upgrade_agreement(last) {
            None => 0,
            Some(Ok(e)) => {
                self.ev.extend(e);
                0
            }
            Some(Err((why, e))) => {
                self.ev.extend(e);
                self.problems.push(why);
                1
            }
        }
    }

    /// Per key, did every node read the same values after heal? Returns the number of keys
    /// and of keys where they did not.
    fn content(&mut self, final_reads: &[FinalRead]) -> (usize, usize) {
        let nodes: BTreeSet<&str> = final_reads.iter().map(|r| r.node.as_str()).collect();
        let keys: BTreeSet<(OpKind, &str)> = final_reads
            .iter()
            .map(|r| (r.kind, r.key.as_str()))
            .collect();
        let mut bad = 0;
        for &(kind, key) in &keys {
            if let Some(desc) = key_disagreement(final_reads, &nodes, kind, key) {
                bad += 1;
                let name = kind_name(kind);
                let text = format!("{name} '{key}': nodes differ: {desc}");
                let source = Some(format!("final:{name}"));
                self.ev.push(evidence(text, None, None, source));
            }
        }
        if bad > 0 {
            self.problems
                .push(format!("content differs on {bad} key(s)"));
        }
        if final_reads.is_empty() {
            let text = "no final reads recorded: content not compared";
            self.ev.push(evidence(text, None, None, None));
        }
        (keys.len(), bad)
    }

    /// Pass with `agreed` as the summary, Fail with the problems, or Skip where nothing
    /// failed but the boot memberships could not be read.
    fn conclude(
        self,
        agreed: String,
        boot_unread: Option<&str>,
        metrics: BTreeMap<String, f64>,
    ) -> Verdict {
        let (ev, problems) = (self.ev, self.problems);
        if !problems.is_empty() {
            return verdict(
                "convergence",
                Status::Fail,
                problems.join("; "),
                ev,
                metrics,
            );
        }
        if let Some(why) = boot_unread {
            // Agreement today proves nothing about the next restart: not judged is not a pass.
            let summary = format!("restart safety not judged: boot memberships unreadable: {why}");
            return verdict(
                "convergence",
                Status::Skip,
                clip(&summary, 300),
                ev,
                metrics,
            );
        }
        verdict("convergence", Status::Pass, agreed, ev, metrics)
    }
}

/// How the nodes' final reads of one key differ (`n1 have [..]; n2 read failed: ..`), or
/// `None` where every node read the same values.
fn key_disagreement(
    final_reads: &[FinalRead],
    nodes: &BTreeSet<&str>,
    kind: OpKind,
    key: &str,
) -> Option<String> {
    let mut views: BTreeMap<BTreeSet<&str>, Vec<&str>> = BTreeMap::new();
    let mut unread: Vec<String> = Vec::new();
    for node in nodes {
        let r = final_reads
            .iter()
            .find(|r| r.node == *node && r.kind == kind && r.key == key);
        match r.map(|r| (&r.values, &r.error)) {
            Some((Some(v), _)) => views
                .entry(v.iter().map(String::as_str).collect())
                .or_default()
                .push(node),
            Some((None, err)) => unread.push(format!(
                "{node} read failed: {}",
                clip(err.as_deref().unwrap_or("no error text"), 120)
            )),
            None => unread.push(format!("{node} has no final read")),
        }
    }
    if views.len() <= 1 && unread.is_empty() {
        return None;
    }
    let mut desc: Vec<String> = views
        .iter()
        .map(|(v, ns)| format!("{} have [{}]", ns.join(","), set(v)))
        .collect();
    desc.extend(unread);
    Some(desc.join("; "))
}

fn set(s: &BTreeSet<&str>) -> String {
    s.iter().map(|v| clip(v, 60)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::{down, failed_read, node, obs, read, view};
    use crate::record::Role;

    const M: &[&str] = &["1", "2", "3"];

    fn agreed(at: u64, members: [&[&str]; 3]) -> Observation {
        let nodes = members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                node(
                    i + 1,
                    vec![view("g", Role::Follower, Some(2), Some("1"), m)],
                )
            })
            .collect();
        obs(at, nodes)
    }

    fn reads(values: [&[&str]; 3]) -> Vec<FinalRead> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| read(&format!("n{}", i + 1), OpKind::ListInstances, "svc", v))
            .collect()
    }

    #[test]
    fn upgrade_state_disagreement_fails_and_agreement_passes() {
        use crate::record::UpgradeState;
        let s = |upgraded, double_write| UpgradeState {
            upgraded,
            all_2x: true,
            double_write,
        };
        let mut obs = agreed(10, [M, M, M]);
        obs.upgrade = [
            ("n1", s(true, true)),
            ("n2", s(true, true)),
            ("n3", s(true, true)),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect();
        let v = convergence(std::slice::from_ref(&obs), &[], &[], None);
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert_eq!(v.metrics["upgrade_state_disagreements"], 0.0);
        // Known-bad: n3 still double-writes in 1.x mode while n1 and n2 switched to 2.x.
        obs.upgrade.insert("n3".into(), s(false, true));
        let v = convergence(std::slice::from_ref(&obs), &[], &[], None);
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("upgrade state differs"), "{}", v.summary);
        let text = &v
            .evidence
            .iter()
            .find(|e| e.text.contains("upgrade state differs"))
            .unwrap()
            .text;
        assert!(text.contains("n3 say upgraded=false"), "{text}");
        // An unreachable node's last state does not count.
        obs.nodes[2].error = Some("down".into());
        obs.nodes[2].groups.clear();
        let v = convergence(std::slice::from_ref(&obs), &[], &[], None);
        assert!(!v.summary.contains("upgrade state"), "{}", v.summary);
    }

    #[test]
    fn no_observations_is_skip() {
        let v = convergence(&[], &reads([&[], &[], &[]]), &[], None);
        assert_eq!(v.status, Status::Skip);
        assert!(v.summary.contains("no observations"));
    }

    #[test]
    fn clean_run_passes() {
        let v = convergence(
            &[agreed(10, [M, &["3", "2", "1"], M])],
            &reads([&["a", "b"], &["b", "a"], &["a", "b"]]),
            &[],
            None,
        );
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert_eq!(v.metrics["groups"], 1.0);
        assert_eq!(v.metrics["keys"], 1.0);
    }

    #[test]
    fn membership_disagreement_fails() {
        let v = convergence(&[agreed(10, [M, M, &["1", "2", "4"]])], &[], &[], None);
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.metrics["membership_disagreements"], 1.0);
        let e = v
            .evidence
            .iter()
            .find(|e| e.text.contains("members differ"))
            .unwrap();
        assert!(
            e.text.contains("n1,n2 say [1, 2, 3]") && e.text.contains("n3 say [1, 2, 4]"),
            "{}",
            e.text
        );
        assert!(
            v.evidence
                .iter()
                .any(|e| e.text.contains("content not compared"))
        );
    }

    #[test]
    fn only_the_last_observation_counts() {
        let early_bad = agreed(5, [M, M, &["9"]]);
        let late_good = agreed(50, [M, M, M]);
        let v = convergence(&[late_good.clone(), early_bad.clone()], &[], &[], None);
        assert_eq!(v.status, Status::Pass, "{v:?}");
        let v = convergence(&[agreed(100, [M, M, &["9"]]), late_good], &[], &[], None);
        assert_eq!(v.status, Status::Fail);
    }

    #[test]
    fn node_missing_a_group_fails() {
        let mut o = agreed(10, [M, M, M]);
        o.nodes[1].groups[0].group = "other".into();
        let v = convergence(&[o], &[], &[], None);
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.text.contains("n2 do not report the group")),
            "{v:?}"
        );
    }

    #[test]
    fn unreachable_node_fails() {
        let mut o = agreed(10, [M, M, M]);
        o.nodes[2] = down(3);
        let v = convergence(&[o], &[], &[], None);
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.metrics["unreachable_nodes"], 1.0);
        let e = v
            .evidence
            .iter()
            .find(|e| e.node.as_deref() == Some("n3"))
            .unwrap();
        assert!(e.text.contains("connection refused"));
    }

    #[test]
    fn content_disagreement_fails() {
        let v = convergence(
            &[agreed(10, [M, M, M])],
            &reads([&["a"], &["a", "b"], &["a"]]),
            &[],
            None,
        );
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.metrics["content_disagreements"], 1.0);
        let e = v
            .evidence
            .iter()
            .find(|e| e.text.contains("'svc'"))
            .unwrap();
        assert!(e.text.contains("n2 have [a, b]"), "{}", e.text);
        assert_eq!(e.source.as_deref(), Some("final:list_instances"));
    }

    #[test]
    fn failed_final_read_fails() {
        let mut r = reads([&["a"], &["a"], &["a"]]);
        r[0] = failed_read("n1", OpKind::ListInstances, "svc", "503 server is DOWNnow");
        let v = convergence(&[agreed(10, [M, M, M])], &r, &[], None);
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.text.contains("n1 read failed: 503")),
            "{v:?}"
        );
    }

    #[test]
    fn unreadable_boot_memberships_are_not_judged_and_not_a_pass() {
        let o = [agreed(10, [M, M, M])];
        let r = reads([&["a"], &["a"], &["a"]]);
        let v = convergence(&o, &r, &[], Some("n2: index: permission denied"));
        assert_eq!(v.status, Status::Skip, "{v:?}");
        assert!(
            v.summary.contains("restart safety not judged"),
            "{}",
            v.summary
        );
        assert!(v.summary.contains("permission denied"), "{}", v.summary);
        // A real disagreement still fails: not being able to judge one part hides nothing.
        let bad = reads([&["a"], &["a", "b"], &["a"]]);
        let v = convergence(&o, &bad, &[], Some("unreadable"));
        assert_eq!(v.status, Status::Fail, "{v:?}");
        // Known-good: the flavor keeps no boot membership file (nothing to read) is no skip.
        assert_eq!(convergence(&o, &r, &[], None).status, Status::Pass);
    }
}

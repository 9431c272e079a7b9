//! Leader check: a leader at every checkpoint within the bound, never two leaders in one
//! term, and terms that never go backwards on a node (except across faults that reset Raft
//! state on purpose).

use std::collections::BTreeMap;

use super::{Checkpoint, Evidence, Status, Thresholds, Verdict, evidence, skip, verdict};
use crate::cluster::observe::Observation;
use crate::fault::FaultWindow;
use crate::flavor::Role;

/// Fault kinds that legitimately reset a node's Raft term: a term regression on a target
/// node across such a fault is exempt (and said so in the evidence).
///
/// ```
/// assert!(nacos_chaos::check::TERM_RESET_FAULTS.contains(&"wipe_raft"));
/// ```
pub const TERM_RESET_FAULTS: &[&str] = &["wipe_raft", "restore_snapshot", "clone_data"];

/// Judge leadership over a run.
///
/// Rules (the status does not depend on `expect_leader`; the suite's expectations table
/// decides whether a FAIL was expected):
/// - every checkpoint must have found a leader, within `t.max_time_to_leader_ms`; a
///   checkpoint without one is FAIL, annotated when the scenario did not expect a leader;
/// - per Raft group and term, at most one distinct peer may ever claim `Role::Leader` in its
///   own view, across all observations (claims without a term cannot be compared and are
///   counted in `leader_claims_without_term`);
/// - per node and group, the term never decreases between consecutive observations that
///   report one, unless a [`TERM_RESET_FAULTS`] fault targeting that node overlaps the
///   interval between them.
///
/// Nothing recorded → Skip.
///
/// ```
/// use nacos_chaos::check::{leader, Checkpoint, Status, Thresholds};
/// let cp = Checkpoint { name: "after upgrade n2".into(), at_ms: 1_000,
///     time_to_leader_ms: Some(4_000), deadline_ms: 60_000, reason: None, expect_leader: true };
/// let v = leader(&[cp], &[], &[], &Thresholds::default());
/// assert_eq!(v.status, Status::Pass);
/// assert_eq!(v.metrics["max_time_to_leader_ms"], 4_000.0);
/// ```
pub fn leader(
    checkpoints: &[Checkpoint],
    observations: &[Observation],
    faults: &[FaultWindow],
    t: &Thresholds,
) -> Verdict {
    if checkpoints.is_empty() && observations.is_empty() {
        return skip("leader", "no checkpoints or observations recorded");
    }
    let mut ev = Vec::new();
    let mut problems = Vec::new();
    let mut metrics = BTreeMap::new();

    let (leaderless, slow) = judge_checkpoints(checkpoints, t, &mut ev, &mut metrics);
    if leaderless > 0 {
        problems.push(format!("{leaderless} checkpoint(s) without a leader"));
    }
    if slow > 0 {
        problems.push(format!(
            "{slow} checkpoint(s) over the {} ms leader bound",
            t.max_time_to_leader_ms
        ));
    }

    let mut sorted: Vec<&Observation> = observations.iter().collect();
    sorted.sort_by_key(|o| o.at_ms);

    let split = split_brain(&sorted, &mut ev, &mut metrics);
    if split > 0 {
        problems.push(format!("{split} term(s) with two or more leaders"));
    }
    let regressions = term_regressions(&sorted, faults, &mut ev, &mut metrics);
    if regressions > 0 {
        problems.push(format!("{regressions} term regression(s)"));
    }
    metrics.insert("observations".into(), observations.len() as f64);

    if problems.is_empty() {
        let summary = format!(
            "{} checkpoint(s) found a leader within {} ms; one leader per term; terms monotonic",
            checkpoints.len(),
            t.max_time_to_leader_ms
        );
        verdict("leader", Status::Pass, summary, ev, metrics)
    } else {
        verdict("leader", Status::Fail, problems.join("; "), ev, metrics)
    }
}

/// Evidence per checkpoint; returns (leaderless, over the bound).
fn judge_checkpoints(
    checkpoints: &[Checkpoint],
    t: &Thresholds,
    ev: &mut Vec<Evidence>,
    metrics: &mut BTreeMap<String, f64>,
) -> (usize, usize) {
    let (mut leaderless, mut slow) = (0, 0);
    let mut max_ttl: Option<u64> = None;
    for cp in checkpoints {
        let note = if cp.expect_leader {
            ""
        } else {
            " (the scenario did not expect a leader here)"
        };
        let text = match cp.time_to_leader_ms {
            Some(ms) => {
                max_ttl = Some(max_ttl.map_or(ms, |m| m.max(ms)));
                if ms > t.max_time_to_leader_ms {
                    slow += 1;
                    format!(
                        "checkpoint '{}': leader after {ms} ms, over the {} ms bound{note}",
                        cp.name, t.max_time_to_leader_ms
                    )
                } else {
                    format!(
                        "checkpoint '{}': leader after {ms} ms (bound {} ms){note}",
                        cp.name, t.max_time_to_leader_ms
                    )
                }
            }
            None => {
                leaderless += 1;
                let why = cp.reason.as_deref().unwrap_or("no reason recorded");
                format!(
                    "checkpoint '{}': no agreed leader within {} ms: {why}{note}",
                    cp.name, cp.deadline_ms
                )
            }
        };
        ev.push(evidence(
            text,
            None,
            Some(cp.at_ms),
            Some("checkpoint".into()),
        ));
    }
    metrics.insert("checkpoints".into(), checkpoints.len() as f64);
    metrics.insert("leaderless_checkpoints".into(), leaderless as f64);
    metrics.insert("slow_checkpoints".into(), slow as f64);
    if let Some(m) = max_ttl {
        metrics.insert("max_time_to_leader_ms".into(), m as f64);
    }
    (leaderless, slow)
}

/// Leader claims in one (group, term): peer id -> (node, first seen at).
type Claims<'a> = BTreeMap<&'a str, (&'a str, u64)>;

/// Terms in which more than one distinct peer claimed leadership.
fn split_brain(
    sorted: &[&Observation],
    ev: &mut Vec<Evidence>,
    metrics: &mut BTreeMap<String, f64>,
) -> usize {
    let mut claims: BTreeMap<(&str, u64), Claims<'_>> = BTreeMap::new();
    let mut without_term = 0usize;
    for o in sorted {
        for n in &o.nodes {
            for g in n.groups.iter().filter(|g| g.role == Role::Leader) {
                match g.term {
                    Some(term) => {
                        claims
                            .entry((g.group.as_str(), term))
                            .or_default()
                            .entry(n.peer_id.as_str())
                            .or_insert((n.node.as_str(), o.at_ms));
                    }
                    None => without_term += 1,
                }
            }
        }
    }
    let mut split = 0;
    for ((group, term), peers) in &claims {
        if peers.len() > 1 {
            split += 1;
            let who: Vec<String> = peers
                .iter()
                .map(|(peer, (node, at))| format!("{node} (peer {peer}, from {at} ms)"))
                .collect();
            let first = peers.values().map(|(_, at)| *at).min();
            ev.push(evidence(
                format!(
                    "group {group} term {term}: {} leaders: {}",
                    peers.len(),
                    who.join(", ")
                ),
                None,
                first,
                None,
            ));
        }
    }
    if without_term > 0 {
        ev.push(Evidence::text(format!(
            "{without_term} leader claim(s) reported no term and could not be compared"
        )));
    }
    metrics.insert("split_brain_terms".into(), split as f64);
    metrics.insert("leader_claims_without_term".into(), without_term as f64);
    split
}

/// Term decreases per node and group that no term-resetting fault explains.
fn term_regressions(
    sorted: &[&Observation],
    faults: &[FaultWindow],
    ev: &mut Vec<Evidence>,
    metrics: &mut BTreeMap<String, f64>,
) -> usize {
    // (node, group) -> (last term, observed at)
    let mut last: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    let (mut bad, mut exempt) = (0usize, 0usize);
    for o in sorted {
        for n in &o.nodes {
            for g in &n.groups {
                let Some(term) = g.term else { continue };
                let key = (n.node.as_str(), g.group.as_str());
                if let Some(&(prev, prev_at)) = last.get(&key)
                    && term < prev
                {
                    let what = format!(
                        "{} group {}: term went from {prev} (at {prev_at} ms) to {term} (at {} ms)",
                        n.node, g.group, o.at_ms
                    );
                    match resetting_fault(faults, &n.node, prev_at, o.at_ms) {
                        Some(f) => {
                            exempt += 1;
                            let text = format!(
                                "{what}: exempt, fault {} ({}) targets {} in between",
                                f.id, f.kind, n.node
                            );
                            ev.push(evidence(text, Some(&n.node), Some(o.at_ms), None));
                        }
                        None => {
                            bad += 1;
                            let text = format!("{what}: terms must never go backwards");
                            ev.push(evidence(text, Some(&n.node), Some(o.at_ms), None));
                        }
                    }
                }
                last.insert(key, (term, o.at_ms));
            }
        }
    }
    metrics.insert("term_regressions".into(), bad as f64);
    metrics.insert("term_regressions_exempt".into(), exempt as f64);
    bad
}

/// A term-resetting fault on `node` whose window overlaps (`prev_at`, `at`].
fn resetting_fault<'f>(
    faults: &'f [FaultWindow],
    node: &str,
    prev_at: u64,
    at: u64,
) -> Option<&'f FaultWindow> {
    faults.iter().find(|f| {
        TERM_RESET_FAULTS.contains(&f.kind.as_str())
            && f.targets.iter().any(|t| t == node)
            && f.start_ms <= at
            && f.end_ms.is_none_or(|e| e >= prev_at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::{down, fault, node, obs, view};
    use rstest::rstest;

    fn cp(name: &str, ttl: Option<u64>, expect: bool) -> Checkpoint {
        Checkpoint {
            name: name.into(),
            at_ms: 100,
            time_to_leader_ms: ttl,
            deadline_ms: 60_000,
            reason: ttl.is_none().then(|| "views differ".to_string()),
            expect_leader: expect,
        }
    }

    const M: &[&str] = &["1", "2", "3"];

    /// A healthy 3-node observation: peer `leader` leads group g in `term`.
    fn healthy(at: u64, leader: usize, term: u64) -> Observation {
        let l = leader.to_string();
        let nodes = (1..=3)
            .map(|i| {
                let role = if i == leader {
                    Role::Leader
                } else {
                    Role::Follower
                };
                node(i, vec![view("g", role, Some(term), Some(&l), M)])
            })
            .collect();
        obs(at, nodes)
    }

    #[test]
    fn nothing_recorded_is_skip() {
        let v = leader(&[], &[], &[], &Thresholds::default());
        assert_eq!(v.status, Status::Skip);
        assert!(v.summary.contains("no checkpoints"));
    }

    #[test]
    fn clean_run_passes() {
        let cps = [
            cp("start", Some(2_000), true),
            cp("after kill n1", Some(9_000), true),
        ];
        let o = [healthy(0, 1, 1), healthy(5_000, 2, 2), healthy(9_000, 2, 2)];
        let v = leader(&cps, &o, &[], &Thresholds::default());
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert_eq!(v.metrics["checkpoints"], 2.0);
        assert_eq!(v.metrics["max_time_to_leader_ms"], 9_000.0);
        assert_eq!(v.metrics["leaderless_checkpoints"], 0.0);
        assert_eq!(v.evidence.len(), 2, "one line per checkpoint");
        assert!(v.evidence[1].text.contains("9000 ms"));
    }

    #[rstest]
    #[case::within(Some(30_000), Status::Pass)]
    #[case::over(Some(30_001), Status::Fail)]
    #[case::none(None, Status::Fail)]
    fn checkpoint_bound(#[case] ttl: Option<u64>, #[case] status: Status) {
        let v = leader(&[cp("step", ttl, true)], &[], &[], &Thresholds::default());
        assert_eq!(v.status, status, "{v:?}");
        if ttl == Some(30_001) {
            assert!(v.evidence[0].text.contains("over the 30000 ms bound"));
            assert_eq!(v.metrics["slow_checkpoints"], 1.0);
        }
    }

    #[test]
    fn unexpected_leaderless_checkpoint_is_evidence_and_still_fail() {
        let v = leader(
            &[cp("stale membership", None, false)],
            &[],
            &[],
            &Thresholds::default(),
        );
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.metrics["leaderless_checkpoints"], 1.0);
        assert!(v.evidence[0].text.contains("did not expect a leader"));
        assert!(v.evidence[0].text.contains("views differ"));
        assert!(!v.metrics.contains_key("max_time_to_leader_ms"));
    }

    #[test]
    fn two_leaders_in_one_term_fail() {
        // n1 and n2 each believe they lead term 3 (seen at different moments).
        let a = obs(
            1_000,
            vec![node(
                1,
                vec![view("g", Role::Leader, Some(3), Some("1"), M)],
            )],
        );
        let b = obs(
            2_000,
            vec![node(
                2,
                vec![view("g", Role::Leader, Some(3), Some("2"), M)],
            )],
        );
        let v = leader(&[], &[b, a], &[], &Thresholds::default());
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.metrics["split_brain_terms"], 1.0);
        let e = v
            .evidence
            .iter()
            .find(|e| e.text.contains("term 3"))
            .unwrap();
        assert!(e.text.contains("n1") && e.text.contains("n2"), "{}", e.text);
        assert_eq!(e.at_ms, Some(1_000));
    }

    #[test]
    fn same_leader_reported_twice_in_a_term_is_fine_and_other_groups_are_separate() {
        let o = [
            healthy(0, 1, 3),
            healthy(1_000, 1, 3),
            obs(
                2_000,
                vec![node(
                    2,
                    vec![view("other", Role::Leader, Some(3), Some("2"), M)],
                )],
            ),
        ];
        let v = leader(&[], &o, &[], &Thresholds::default());
        assert_eq!(v.status, Status::Pass, "{v:?}");
    }

    #[test]
    fn leader_claim_without_term_is_counted_not_compared() {
        let o = [obs(
            0,
            vec![
                node(1, vec![view("g", Role::Leader, None, Some("1"), M)]),
                node(2, vec![view("g", Role::Leader, None, Some("2"), M)]),
            ],
        )];
        let v = leader(&[], &o, &[], &Thresholds::default());
        assert_eq!(v.status, Status::Pass);
        assert_eq!(v.metrics["leader_claims_without_term"], 2.0);
    }

    #[test]
    fn term_regression_fails() {
        let o = [healthy(0, 1, 5), healthy(1_000, 1, 2)];
        let v = leader(&[], &o, &[], &Thresholds::default());
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.metrics["term_regressions"], 3.0, "every node regressed");
        assert!(v.evidence.iter().any(|e| e.node.as_deref() == Some("n1")
            && e.text.contains("from 5")
            && e.text.contains("to 2")));
    }

    #[test]
    fn term_regression_out_of_order_observations_are_sorted() {
        // Recorded out of order but monotonic in time: no regression.
        let o = [healthy(2_000, 1, 5), healthy(1_000, 1, 4)];
        let v = leader(&[], &o, &[], &Thresholds::default());
        assert_eq!(v.status, Status::Pass, "{v:?}");
    }

    #[rstest]
    #[case::wipe("wipe_raft", Status::Pass)]
    #[case::restore("restore_snapshot", Status::Pass)]
    #[case::clone("clone_data", Status::Pass)]
    #[case::kill_is_not_exempt("kill", Status::Fail)]
    fn term_regression_across_fault(#[case] kind: &str, #[case] status: Status) {
        // n3 is wiped between 1s and 3s: its term restarts from 1 while it is down.
        let before = healthy(0, 1, 5);
        let during = obs(
            2_000,
            vec![
                node(1, vec![view("g", Role::Leader, Some(5), Some("1"), M)]),
                node(2, vec![view("g", Role::Follower, Some(5), Some("1"), M)]),
                down(3),
            ],
        );
        let after = obs(
            4_000,
            vec![
                node(1, vec![view("g", Role::Leader, Some(5), Some("1"), M)]),
                node(2, vec![view("g", Role::Follower, Some(5), Some("1"), M)]),
                node(3, vec![view("g", Role::Follower, Some(1), None, M)]),
            ],
        );
        let f = [fault(kind, &["n3"], 1_000, Some(3_000))];
        let v = leader(&[], &[before, during, after], &f, &Thresholds::default());
        assert_eq!(v.status, status, "{v:?}");
        if status == Status::Pass {
            assert_eq!(v.metrics["term_regressions_exempt"], 1.0);
            let e = v
                .evidence
                .iter()
                .find(|e| e.text.contains("exempt"))
                .unwrap();
            assert_eq!(e.node.as_deref(), Some("n3"));
            assert!(e.text.contains(kind));
        }
    }

    #[test]
    fn wipe_of_another_node_or_earlier_wipe_does_not_exempt() {
        let o = [
            healthy(0, 1, 5),
            healthy(10_000, 1, 5),
            healthy(20_000, 1, 1),
        ];
        let other = [fault("wipe_raft", &["n9"], 15_000, Some(16_000))];
        let earlier = [fault("wipe_raft", &["n1", "n2", "n3"], 1_000, Some(2_000))];
        for f in [&other[..], &earlier[..]] {
            let v = leader(&[], &o, f, &Thresholds::default());
            assert_eq!(v.status, Status::Fail, "{v:?}");
            assert_eq!(v.metrics["term_regressions_exempt"], 0.0);
        }
    }
}

//! Leader check: a leader at every checkpoint within the bound, never two leaders in one
//! term of one Raft epoch, and terms that never go backwards on a node (except once, at the
//! boundary of an epoch a fault opened on purpose).
//!
//! **Epochs.** A fault that replaces a node's Raft state (`wipe_raft`, `restore_data`,
//! `clone_data`: [`FaultKind::resets_raft_term`](crate::fault::FaultKind::resets_raft_term))
//! or changes its peer id (`ip_change`) opens a new epoch for the nodes it targets
//! ([`FaultKind::opens_raft_epoch`](crate::fault::FaultKind::opens_raft_epoch)). Its window
//! spans the apply (an instant fault's window ends when the apply finished), so the change
//! happened somewhere inside it.

use std::collections::{BTreeMap, BTreeSet};

use super::{Checkpoint, Evidence, Status, Thresholds, Verdict, evidence, skip, verdict};
use crate::fault::FaultWindow;
use crate::record::Observation;
use crate::record::Role;

/// Judge leadership over a run.
///
/// Rules (the status does not depend on `expect_leader`; the suite's expectations table
/// decides whether a FAIL was expected):
/// - every checkpoint must have found a leader, within `t.max_time_to_leader_ms`; a
///   checkpoint without one is FAIL, annotated when the scenario did not expect a leader;
/// - per Raft group and term, at most one distinct peer may claim `Role::Leader` in its own
///   view within one epoch: two claims are compared unless an epoch-opening fault targeting
///   either claimant lies between them (its window reaches from at or after the earlier claim
///   to at or before the later one); claims in the same observation are always compared.
///   Terms whose claims were all in different epochs are said so in the evidence (claims
///   without a term cannot be compared and are counted in `leader_claims_without_term`);
/// - per node and group, the term never decreases between consecutive observations that
///   report one, except once per term-resetting fault targeting that node: the first
///   decrease whose interval reaches into the fault's window (the earlier reading at or
///   before the window's end, the later at or after its start) is the epoch boundary and is
///   exempt. A decrease after that, or after the window, fails. (A window without an end —
///   records written before instant faults recorded one — exempts the first decrease after
///   its start only.)
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

    let split = split_brain(&sorted, faults, &mut ev, &mut metrics);
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
            "{} checkpoint(s) found a leader within {} ms; one leader per term and epoch; terms monotonic",
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

/// One leader claim: the peer id it was made under, by which node, when.
#[derive(Clone, Copy)]
struct Claim<'a> {
    peer: &'a str,
    node: &'a str,
    at: u64,
}

/// An epoch-opening fault targeting `a.node` or `b.node` between two claims (`a` no later
/// than `b`), if any. Claims made in the same observation are never separated. A window
/// without an end (older records) counts as the instant it started.
fn separating<'f>(
    faults: &'f [FaultWindow],
    a: &Claim<'_>,
    b: &Claim<'_>,
) -> Option<&'f FaultWindow> {
    if a.at == b.at {
        return None;
    }
    faults.iter().find(|f| {
        f.opens_raft_epoch()
            && (f.targets_node(a.node) || f.targets_node(b.node))
            && a.at <= f.end_ms.unwrap_or(f.start_ms)
            && b.at >= f.start_ms
    })
}

/// Terms in which more than one distinct peer claimed leadership within one epoch.
fn split_brain(
    sorted: &[&Observation],
    faults: &[FaultWindow],
    ev: &mut Vec<Evidence>,
    metrics: &mut BTreeMap<String, f64>,
) -> usize {
    let (claims, without_term) = claims_by_term(sorted);
    let (mut split, mut other_epochs) = (0, 0);
    for ((group, term), cs) in &claims {
        let peers: BTreeSet<&str> = cs.iter().map(|c| c.peer).collect();
        if peers.len() < 2 {
            continue;
        }
        let (together, boundaries) = same_epoch(cs, faults);
        if together.len() > 1 {
            split += 1;
            let who: Vec<String> = together
                .iter()
                .map(|(peer, (node, at))| format!("{node} (peer {peer}, from {at} ms)"))
                .collect();
            let first = together.values().map(|(_, at)| *at).min();
            ev.push(evidence(
                format!(
                    "group {group} term {term}: {} leaders: {}",
                    together.len(),
                    who.join(", ")
                ),
                None,
                first,
                None,
            ));
        } else {
            other_epochs += 1;
            let mut first: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
            for c in cs {
                first.entry(c.peer).or_insert((c.node, c.at));
            }
            let who: Vec<String> = first
                .iter()
                .map(|(peer, (node, at))| format!("{node} (peer {peer}, from {at} ms)"))
                .collect();
            ev.push(Evidence::text(format!(
                "group {group} term {term}: {} claimed leadership in different epochs \
                 (fault {} between): not compared",
                who.join(", "),
                boundaries.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    if without_term > 0 {
        ev.push(Evidence::text(format!(
            "{without_term} leader claim(s) reported no term and could not be compared"
        )));
    }
    metrics.insert("split_brain_terms".into(), split as f64);
    metrics.insert(
        "terms_claimed_in_different_epochs".into(),
        other_epochs as f64,
    );
    metrics.insert("leader_claims_without_term".into(), without_term as f64);
    split
}

/// Leader claims per (group, term), in time order.
type Claims<'a> = BTreeMap<(&'a str, u64), Vec<Claim<'a>>>;

/// Peer -> (node, first claim at).
type Claimants<'a> = BTreeMap<&'a str, (&'a str, u64)>;

/// Leader claims per (group, term), in time order, and how many claims carried no term.
fn claims_by_term<'a>(sorted: &[&'a Observation]) -> (Claims<'a>, usize) {
    let mut claims: BTreeMap<(&str, u64), Vec<Claim<'_>>> = BTreeMap::new();
    let mut without_term = 0usize;
    for o in sorted {
        for n in &o.nodes {
            for g in n.groups.iter().filter(|g| g.role == Role::Leader) {
                let Some(term) = g.term else {
                    without_term += 1;
                    continue;
                };
                let claim = Claim {
                    peer: &n.peer_id,
                    node: &n.node,
                    at: o.at_ms,
                };
                claims
                    .entry((g.group.as_str(), term))
                    .or_default()
                    .push(claim);
            }
        }
    }
    (claims, without_term)
}

/// Of one term's claims, the peers in a pair of claims no epoch boundary separates
/// (peer -> (node, first at)), and the faults that separate the other pairs.
fn same_epoch<'a>(cs: &[Claim<'a>], faults: &[FaultWindow]) -> (Claimants<'a>, BTreeSet<String>) {
    let mut together: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    let mut boundaries: BTreeSet<String> = BTreeSet::new();
    for (i, a) in cs.iter().enumerate() {
        for b in cs[i + 1..].iter().filter(|b| b.peer != a.peer) {
            if let Some(f) = separating(faults, a, b) {
                boundaries.insert(format!("{} {}", f.id, f.kind));
                continue;
            }
            for c in [a, b] {
                let e = together.entry(c.peer).or_insert((c.node, c.at));
                if c.at < e.1 {
                    *e = (c.node, c.at);
                }
            }
        }
    }
    (together, boundaries)
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
    // (fault id, node, group) whose one exemption is spent.
    let mut spent: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
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
                    let boundary = faults.iter().find(|f| {
                        f.resets_raft_term()
                            && f.targets_node(&n.node)
                            && f.start_ms <= o.at_ms
                            && f.end_ms.is_none_or(|e| prev_at <= e)
                            && !spent.contains(&(f.id.as_str(), key.0, key.1))
                    });
                    match boundary {
                        Some(f) => {
                            exempt += 1;
                            spent.insert((f.id.as_str(), key.0, key.1));
                            let text = format!(
                                "{what}: exempt once, fault {} ({}) on {} between them opens a new epoch",
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
    #[case::restore("restore_data", Status::Pass)]
    #[case::restore_as_older_records_name_it("restore_snapshot", Status::Pass)]
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

    /// n1 leads (n2 follows) term 7 throughout; n3 follows at term `t`.
    fn n3_at(at: u64, t: u64) -> Observation {
        let lead = 7;
        obs(
            at,
            vec![
                node(1, vec![view("g", Role::Leader, Some(lead), Some("1"), M)]),
                node(2, vec![view("g", Role::Follower, Some(lead), Some("1"), M)]),
                node(3, vec![view("g", Role::Follower, Some(t), Some("1"), M)]),
            ],
        )
    }

    /// Windows as real runs record an instant fault: before the fix, `end_ms: None`
    /// (recorded at apply, never healed); after it, the moment the apply finished.
    #[rstest]
    #[case::recorded_without_end(None)]
    #[case::recorded_with_apply_end(Some(2_500))]
    fn instant_fault_exempts_one_regression_not_every_later_one(#[case] end: Option<u64>) {
        // wipe n3 at 1 s: 5 -> 1 is the epoch boundary (exempt); n3 catches up to 7; a
        // regression 7 -> 2 ten seconds later is in the same epoch and must fail.
        let o = [
            n3_at(0, 5),
            n3_at(3_000, 1),
            n3_at(10_000, 7),
            n3_at(20_000, 2),
        ];
        let f = [fault("wipe_raft", &["n3"], 1_000, end)];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert_eq!(v.metrics["term_regressions_exempt"], 1.0, "{v:?}");
        assert_eq!(v.metrics["term_regressions"], 1.0, "{v:?}");
        let bad = v
            .evidence
            .iter()
            .find(|e| e.text.contains("never go backwards"))
            .unwrap();
        assert_eq!(bad.at_ms, Some(20_000));
        assert!(
            bad.text.contains("from 7") && bad.text.contains("to 2"),
            "{}",
            bad.text
        );
    }

    #[rstest]
    #[case::recorded_without_end(None)]
    #[case::recorded_with_apply_end(Some(2_500))]
    fn second_regression_across_one_wipe_fails(#[case] end: Option<u64>) {
        // One wipe resets a term once: 5 -> 3 (exempt), then 3 -> 1 inside the same window.
        let o = [n3_at(0, 5), n3_at(1_500, 3), n3_at(2_000, 1)];
        let f = [fault("wipe_raft", &["n3"], 1_000, end)];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert_eq!(v.metrics["term_regressions_exempt"], 1.0);
        assert_eq!(v.metrics["term_regressions"], 1.0);
    }

    #[test]
    fn regression_seen_by_an_observation_made_during_the_apply_is_exempt() {
        // Resolving `leader`/`followers` targets observes after the window starts and
        // before the node is wiped: the old term is read inside the window.
        let o = [
            n3_at(0, 5),
            n3_at(1_200, 5),
            n3_at(3_000, 1),
            n3_at(9_000, 7),
        ];
        let f = [fault("restore_data", &["n3"], 1_000, Some(2_500))];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert_eq!(v.metrics["term_regressions_exempt"], 1.0);
    }

    #[test]
    fn reset_after_the_apply_finished_is_not_excused_by_it() {
        // The wipe finished at 2.5 s and n3 was seen at term 7 after it: a later drop to
        // 1 is not the wipe's doing.
        let o = [n3_at(0, 5), n3_at(3_000, 7), n3_at(4_000, 1)];
        let f = [fault("wipe_raft", &["n3"], 1_000, Some(2_500))];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert_eq!(v.metrics["term_regressions_exempt"], 0.0);
    }

    #[test]
    fn ip_change_does_not_excuse_a_term_regression() {
        // Data is kept across an IP change: terms must not go back.
        let o = [healthy(0, 1, 5), healthy(9_000, 1, 2)];
        let f = [fault("ip_change", &["n1", "n2", "n3"], 1_000, Some(8_000))];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert_eq!(v.metrics["term_regressions"], 3.0);
    }

    /// A node claiming leadership of group g in `term` under an explicit peer id.
    fn claim(i: usize, peer: &str, term: u64) -> crate::record::NodeObservation {
        let mut n = node(i, vec![view("g", Role::Leader, Some(term), Some(peer), M)]);
        n.peer_id = peer.into();
        n
    }

    #[rstest]
    #[case::recorded_without_end(None)]
    #[case::recorded_with_apply_end(Some(14_000))]
    fn whole_cluster_wipe_opens_a_new_epoch_for_split_brain(#[case] end: Option<u64>) {
        // Bring-up: n1 leads term 1. Everything is wiped; terms restart and n2 leads term 1.
        let o = [
            obs(0, vec![claim(1, "1", 1)]),
            obs(20_000, vec![claim(2, "2", 1)]),
        ];
        let f = [fault("wipe_raft", &["n1", "n2", "n3"], 10_000, end)];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert_eq!(v.metrics["split_brain_terms"], 0.0);
        let e = v
            .evidence
            .iter()
            .find(|e| e.text.contains("different epochs"))
            .unwrap_or_else(|| panic!("no epoch evidence: {v:?}"));
        assert!(e.text.contains("f-wipe_raft"), "{}", e.text);
    }

    #[test]
    fn two_leaders_in_one_term_after_a_wipe_still_fail() {
        let o = [
            obs(0, vec![claim(1, "1", 1)]),
            obs(20_000, vec![claim(2, "2", 1)]),
            obs(21_000, vec![claim(3, "3", 1)]),
        ];
        let f = [fault(
            "wipe_raft",
            &["n1", "n2", "n3"],
            10_000,
            Some(14_000),
        )];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert_eq!(v.metrics["split_brain_terms"], 1.0);
        let e = v
            .evidence
            .iter()
            .find(|e| e.text.contains("2 leaders"))
            .unwrap();
        assert!(e.text.contains("n2") && e.text.contains("n3"), "{}", e.text);
        assert!(
            !e.text.contains("n1"),
            "n1 led an earlier epoch: {}",
            e.text
        );
    }

    #[test]
    fn wiping_a_third_node_does_not_separate_two_others_claims() {
        let o = [
            obs(0, vec![claim(1, "1", 5)]),
            obs(5_000, vec![claim(2, "2", 5)]),
        ];
        let f = [fault("wipe_raft", &["n3"], 1_000, Some(2_000))];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert_eq!(v.metrics["split_brain_terms"], 1.0);
    }

    #[test]
    fn ip_change_separates_claims_under_old_and_new_peer_ids() {
        // Official Nacos: peer ids are ip:port. n1 led term 5 before its IP changed and is
        // seen leading term 5 under its new address right after.
        let o = [
            obs(0, vec![claim(1, "10.231.7.11:7848", 5)]),
            obs(8_000, vec![claim(1, "10.231.7.31:7848", 5)]),
        ];
        let f = [fault("ip_change", &["n1", "n2", "n3"], 5_000, Some(7_000))];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert_eq!(v.metrics["split_brain_terms"], 0.0);
        // Without the IP change between them the same claims are two leaders.
        let v = leader(&[], &o, &[], &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
    }

    #[test]
    fn two_leaders_after_an_ip_change_fail() {
        let o = [
            obs(0, vec![claim(1, "10.231.7.11:7848", 5)]),
            obs(8_000, vec![claim(1, "10.231.7.31:7848", 6)]),
            obs(9_000, vec![claim(2, "10.231.7.32:7848", 6)]),
        ];
        let f = [fault("ip_change", &["n1", "n2", "n3"], 5_000, Some(7_000))];
        let v = leader(&[], &o, &f, &Thresholds::default());
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert_eq!(v.metrics["split_brain_terms"], 1.0);
    }

    /// The shape of `suites/official-delete-protocol-remediation.toml`: bring-up (n1 leads
    /// term 1), IP change of every node (peer ids change, no leader: candidates raise their
    /// terms), `wipe_raft` of every node (terms restart; n2 leads term 1 under its new id).
    #[test]
    fn delete_protocol_remediation_shaped_run_has_no_split_brain_or_regression() {
        let ip = |g: u8, i: usize| format!("10.231.7.{}:7848", 11 + 20 * g as usize + i - 1);
        let group = |at: u64, g: u8, leader: Option<usize>, term: u64| {
            let members: Vec<String> = (1..=3).map(|i| ip(g, i)).collect();
            let m: Vec<&str> = members.iter().map(String::as_str).collect();
            let nodes = (1..=3)
                .map(|i| {
                    let role = match leader {
                        Some(l) if l == i => Role::Leader,
                        Some(_) => Role::Follower,
                        None => Role::Candidate,
                    };
                    let l = leader.map(|l| ip(g, l));
                    let mut n = node(i, vec![view("g", role, Some(term), l.as_deref(), &m)]);
                    n.peer_id = ip(g, i);
                    n
                })
                .collect();
            obs(at, nodes)
        };
        let o = [
            group(1_000, 0, Some(1), 1),
            group(20_000, 0, Some(1), 1),
            group(30_000, 1, None, 2),
            group(60_000, 1, None, 4),
            group(100_000, 1, Some(2), 1),
            group(110_000, 1, Some(2), 1),
        ];
        let all = &["n1", "n2", "n3"];
        let f = [
            fault("ip_change", all, 21_000, Some(28_000)),
            fault("wipe_raft", all, 90_000, Some(97_000)),
        ];
        let cps = [
            cp("bring-up", Some(9_000), true),
            cp("after ip change", None, false),
            cp("after wipe", Some(12_000), true),
        ];
        let v = leader(&cps, &o, &f, &Thresholds::default());
        assert_eq!(v.metrics["split_brain_terms"], 0.0, "{v:?}");
        assert_eq!(v.metrics["term_regressions"], 0.0, "{v:?}");
        assert_eq!(v.metrics["term_regressions_exempt"], 3.0, "{v:?}");
        // What is left is the checkpoint the suite itself marks as leaderless.
        assert_eq!(v.summary, "1 checkpoint(s) without a leader", "{v:?}");
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

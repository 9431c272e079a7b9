//! A suite rehearsal's outcomes as verdicts, judged by `[expect]` like the checks':
//! `rehearsal.<fix>.leader` (a leader came back) and `rehearsal.<fix>.lost` (no baseline
//! entry gone or changed), for the planned change (`planned`) and every fix. An expectation
//! naming a fix that was not rehearsed gets a skip verdict, so it can never pass unseen.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{FixOutcome, FixStatus, RehearsalReport};
use crate::check::{Evidence, Expectation, Status, Verdict};

/// What a rehearsal verdict judges.
pub const ASPECTS: [&str; 2] = ["leader", "lost"];

/// Prefix of every rehearsal verdict and expectation key.
pub const PREFIX: &str = "rehearsal.";

/// The check name for a fix's aspect.
///
/// ```
/// assert_eq!(nacos_chaos::rehearse::verdicts::key("delete-raft-dir", "lost"), "rehearsal.delete-raft-dir.lost");
/// ```
pub fn key(fix: &str, aspect: &str) -> String {
    format!("{PREFIX}{fix}.{aspect}")
}

/// `(fix, aspect)` of a rehearsal key; `None` for any other key.
///
/// ```
/// use nacos_chaos::rehearse::verdicts::split;
/// assert_eq!(split("rehearsal.planned.leader"), Some(("planned", "leader")));
/// assert_eq!(split("leader"), None);
/// ```
pub fn split(k: &str) -> Option<(&str, &str)> {
    k.strip_prefix(PREFIX)?.rsplit_once('.')
}

fn verdict(check: String, status: Status, summary: String, evidence: Vec<String>) -> Verdict {
    Verdict {
        check,
        status,
        summary,
        evidence: evidence.into_iter().map(Evidence::text).collect(),
        metrics: Default::default(),
    }
}

fn leader(f: &FixOutcome) -> Verdict {
    let k = key(&f.fix, "leader");
    let ev = f.evidence.clone();
    match (&f.status, f.leader_ms) {
        (FixStatus::NotAvailable(w), _) => {
            verdict(k, Status::Skip, format!("not available: {w}"), ev)
        }
        (FixStatus::Failed(w), _) => verdict(
            k,
            Status::Fail,
            format!("could not be carried out: {w}"),
            ev,
        ),
        (FixStatus::Ran, Some(ms)) => verdict(
            k,
            Status::Pass,
            format!("{}: leader back after {ms} ms", f.fix),
            ev,
        ),
        (FixStatus::Ran, None) => verdict(k, Status::Fail, format!("{}: no leader", f.fix), ev),
    }
}

fn lost(f: &FixOutcome) -> Verdict {
    let k = key(&f.fix, "lost");
    let entries: Vec<String> = f
        .lost
        .iter()
        .map(|l| format!("{} ({})", l.entry, l.how))
        .collect();
    match &f.status {
        FixStatus::NotAvailable(w) => {
            verdict(k, Status::Skip, format!("not available: {w}"), vec![])
        }
        FixStatus::Failed(w) => verdict(k, Status::Skip, format!("not measured: {w}"), vec![]),
        FixStatus::Ran if entries.is_empty() => verdict(
            k,
            Status::Pass,
            format!("{}: every baseline entry served", f.fix),
            vec![],
        ),
        FixStatus::Ran => verdict(
            k,
            Status::Fail,
            format!("{}: {} baseline entr(ies) lost", f.fix, entries.len()),
            entries,
        ),
    }
}

/// Two verdicts per rehearsed outcome (the planned change first).
pub fn of(r: &RehearsalReport) -> Vec<Verdict> {
    std::iter::once(&r.planned)
        .chain(&r.fixes)
        .flat_map(|f| [leader(f), lost(f)])
        .collect()
}

/// Verdicts a run's steps recorded, plus a skip for every rehearsal expectation nothing
/// answered (the step failed or never ran).
pub fn with_unanswered(
    mut recorded: Vec<Verdict>,
    expect: &BTreeMap<String, Expectation>,
) -> Vec<Verdict> {
    let have: BTreeSet<String> = recorded.iter().map(|v| v.check.clone()).collect();
    for k in expect.keys().filter(|k| split(k).is_some()) {
        if !have.contains(k) {
            recorded.push(verdict(
                k.clone(),
                Status::Skip,
                "not rehearsed (no rehearse step answered it)".into(),
                vec![],
            ));
        }
    }
    recorded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rehearse::Fix;
    use crate::rehearse::baseline::Lost;

    fn outcome(leader: Option<u64>, lost: usize) -> FixOutcome {
        let lost = (0..lost)
            .map(|i| Lost {
                entry: format!("config public/G/{i}"),
                how: "gone".into(),
            })
            .collect();
        FixOutcome::ran(
            Fix::DeleteRaftDir,
            crate::flavor::FlavorKind::RNacos,
            leader,
            (3, 3),
            lost,
            vec!["run evidence".into()],
            "r1".into(),
        )
    }

    fn expect(status: crate::check::Wanted, reason: Option<&str>) -> Expectation {
        Expectation {
            status,
            reason: reason.map(|r| crate::check::Reason::new(r).unwrap()),
        }
    }

    #[test]
    fn a_recovered_fix_with_losses_passes_leader_and_fails_lost_listing_them() {
        let o = outcome(Some(1200), 2);
        let (l, x) = (leader(&o), lost(&o));
        assert_eq!(
            (l.check.as_str(), l.status),
            ("rehearsal.delete-raft-dir.leader", Status::Pass)
        );
        assert_eq!(x.status, Status::Fail);
        assert!(
            x.evidence
                .iter()
                .any(|e| e.text == "config public/G/1 (gone)"),
            "{x:?}"
        );
    }

    #[test]
    fn a_wrong_rehearsal_expectation_is_unmet() {
        use crate::check::Wanted;
        let v = lost(&outcome(Some(1200), 2));
        // The known-bad: "delete the Raft dir loses nothing" is wrong, and says why.
        assert!(expect(Wanted::Pass, None).judge(&v).is_some());
        // The right one, with a reason naming an entry, is met; a reason naming another is not.
        assert!(
            expect(Wanted::Fail, Some("config public/G/0"))
                .judge(&v)
                .is_none()
        );
        assert!(
            expect(Wanted::Fail, Some("config public/G/9"))
                .judge(&v)
                .is_some()
        );
        let no_leader = leader(&outcome(None, 0));
        assert!(expect(Wanted::Pass, None).judge(&no_leader).is_some());
    }

    #[test]
    fn an_expectation_nothing_answered_is_a_skip() {
        use crate::check::Wanted;
        let mut e = BTreeMap::new();
        e.insert(
            "rehearsal.rolling.leader".to_string(),
            expect(Wanted::Pass, None),
        );
        e.insert("leader".to_string(), expect(Wanted::Pass, None));
        let v = with_unanswered(vec![], &e);
        assert_eq!(v.len(), 1, "only rehearsal keys are answered here: {v:?}");
        assert_eq!(v[0].status, Status::Skip);
        assert!(e["rehearsal.rolling.leader"].judge(&v[0]).is_some());
    }

    #[test]
    fn not_available_is_a_skip_and_failed_is_a_fail() {
        let na = FixOutcome::not_available(
            Fix::RaftReset,
            crate::flavor::FlavorKind::RNacos,
            "no such API".into(),
            "r".into(),
        );
        assert_eq!(leader(&na).status, Status::Skip);
        let failed = FixOutcome::failed(
            Fix::Rolling,
            crate::flavor::FlavorKind::RNacos,
            "boom".into(),
            vec![],
            "r".into(),
        );
        assert_eq!(leader(&failed).status, Status::Fail);
        assert_eq!(lost(&failed).status, Status::Skip);
    }
}

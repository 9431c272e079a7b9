//! Where a scenario's wall time goes: bring-up, the time the suite itself asks for (holds,
//! fault durations, leader waits), and the rest — the harness's overhead (stops, starts,
//! final reads, log collection, judging, teardown).
//!
//! Time the suite asks for is the union of intervals, so a leader wait inside an upgrade
//! step or a hold inside a fault step is counted once.

use std::time::Duration;

use crate::report::RunRecord;
use crate::scenario::{Step, Suite};

/// One run's wall time, split.
///
/// ```
/// use nacos_chaos::bench::Breakdown;
/// let b = Breakdown { wall_ms: 10_000, bringup_ms: 3_000, declared_ms: 6_000 };
/// assert_eq!(b.overhead_ms(), 1_000);
/// assert!((b.overhead_ratio() - 0.1).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Breakdown {
    /// Wall time of the whole run (provisioning excluded), ms.
    pub wall_ms: u64,
    /// Starting nodes until the cluster is fit to experiment on, ms.
    pub bringup_ms: u64,
    /// Holds, fault durations and leader waits the suite declares (their union), ms.
    pub declared_ms: u64,
}

impl Breakdown {
    /// Everything else: the harness's own time.
    pub fn overhead_ms(&self) -> u64 {
        self.wall_ms
            .saturating_sub(self.bringup_ms)
            .saturating_sub(self.declared_ms)
    }

    /// Overhead as a fraction of wall time (0 for an empty run).
    pub fn overhead_ratio(&self) -> f64 {
        if self.wall_ms == 0 {
            0.0
        } else {
            self.overhead_ms() as f64 / self.wall_ms as f64
        }
    }

    /// Split a run: `wall_ms` measured around the run, the rest read from its record and
    /// the suite it ran (steps are recorded one per suite step, in order).
    pub fn of(record: &RunRecord, suite: &Suite, wall_ms: u64) -> Breakdown {
        let mut bringup = Intervals::default();
        let mut declared = Intervals::default();
        for (step, rec) in suite.steps.iter().zip(&record.steps) {
            let step = step.get_ref();
            let span = (rec.start_ms, rec.end_ms.max(rec.start_ms));
            match step {
                Step::Start { .. }
                | Step::StartNode { .. }
                | Step::ScaleOut { .. }
                | Step::Replace { .. } => bringup.add(span),
                Step::Hold { duration } => declared.add(tail(span, *duration)),
                Step::Fault {
                    duration: Some(d), ..
                } => declared.add(tail(span, *d)),
                Step::WaitLeader { .. } => declared.add(span),
                _ => {}
            }
        }
        for c in &record.checkpoints {
            let waited = c.time_to_leader_ms.unwrap_or(c.deadline_ms);
            declared.add((c.at_ms, c.at_ms + waited));
        }
        let bringup_ms = bringup.total();
        // A leader wait inside a bring-up step is bring-up, not declared time.
        let declared_ms = declared.minus(&bringup);
        Breakdown {
            wall_ms,
            bringup_ms,
            declared_ms,
        }
    }
}

/// The last `d` of a span (a hold's sleep ends its step).
fn tail((start, end): (u64, u64), d: Duration) -> (u64, u64) {
    let d = d.as_millis() as u64;
    (end.saturating_sub(d).max(start), end)
}

/// A set of half-open millisecond intervals.
#[derive(Debug, Default)]
struct Intervals(Vec<(u64, u64)>);

impl Intervals {
    fn add(&mut self, (a, b): (u64, u64)) {
        if b > a {
            self.0.push((a, b));
        }
    }

    fn merged(&self) -> Vec<(u64, u64)> {
        let mut v = self.0.clone();
        v.sort_unstable();
        let mut out: Vec<(u64, u64)> = vec![];
        for (a, b) in v {
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        out
    }

    fn total(&self) -> u64 {
        self.merged().iter().map(|(a, b)| b - a).sum()
    }

    /// Length of this set's union outside `other`'s union.
    fn minus(&self, other: &Intervals) -> u64 {
        let cut = other.merged();
        self.merged()
            .iter()
            .map(|&(a, b)| {
                let inside: u64 = cut
                    .iter()
                    .map(|&(c, d)| b.min(d).saturating_sub(a.max(c)))
                    .sum();
                (b - a) - inside
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Checkpoint;
    use crate::report::StepRecord;

    fn suite(steps: &str) -> Suite {
        let text = format!(
            "name = \"t\"\ndescription = \"t\"\n[cluster]\nflavor = \"rnacos\"\nnodes = 3\n\
             [versions]\nfrom = [\"0.8.8\"]\n{steps}"
        );
        Suite::parse("t.toml", &text).expect("suite parses")
    }

    fn step(start_ms: u64, end_ms: u64) -> StepRecord {
        StepRecord {
            name: String::new(),
            start_ms,
            end_ms,
            ok: true,
            detail: String::new(),
        }
    }

    #[test]
    fn holds_bringup_and_leader_waits_are_not_overhead_but_the_rest_is() {
        let s = suite(
            "[[steps]]\naction = \"start\"\n[[steps]]\naction = \"hold\"\nduration = \"10s\"\n\
             [[steps]]\naction = \"fault\"\nfault = { kind = \"kill\", nodes = \"leader\" }\n",
        );
        let mut r = RunRecord::example();
        // start 0-3 s; hold 3-13.2 s (200 ms of it the harness's); kill 13.2-16 s.
        r.steps = vec![step(0, 3_000), step(3_000, 13_200), step(13_200, 16_000)];
        r.checkpoints = vec![Checkpoint {
            name: "after kill".into(),
            at_ms: 16_000,
            time_to_leader_ms: Some(4_000),
            deadline_ms: 30_000,
            reason: None,
            expect_leader: true,
        }];
        let b = Breakdown::of(&r, &s, 25_000);
        assert_eq!(b.bringup_ms, 3_000);
        assert_eq!(b.declared_ms, 10_000 + 4_000);
        // 200 ms of the hold step, the kill (2.8 s), and 5 s after the last leader wait.
        assert_eq!(b.overhead_ms(), 200 + 2_800 + 5_000);
    }

    #[test]
    fn a_leader_wait_inside_bringup_counts_once_and_a_missed_leader_counts_its_deadline() {
        let s = suite("[[steps]]\naction = \"start\"\n");
        let mut r = RunRecord::example();
        r.steps = vec![step(0, 5_000)];
        let cp = |at_ms, ttl| Checkpoint {
            name: "c".into(),
            at_ms,
            time_to_leader_ms: ttl,
            deadline_ms: 2_000,
            reason: None,
            expect_leader: true,
        };
        r.checkpoints = vec![cp(4_000, Some(500)), cp(6_000, None)];
        let b = Breakdown::of(&r, &s, 9_000);
        assert_eq!((b.bringup_ms, b.declared_ms), (5_000, 2_000));
        assert_eq!(b.overhead_ms(), 2_000);
    }
}

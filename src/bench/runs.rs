//! Running cases for a bench: wall time, peak container memory, and the outcomes compared
//! across configurations (jobs, build profiles) so a speed-up that moves a verdict shows.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::PeakSampler;
use crate::check::Status;
use crate::docker::Engine;
use crate::error::Result;
use crate::report::RunRecord;
use crate::scenario::{Case, RunOptions, run_all};

/// Cases run together, with what it cost.
#[derive(Debug)]
pub struct Measured {
    /// One record per case, in case order.
    pub records: Vec<RunRecord>,
    /// Wall time of the whole batch.
    pub wall: Duration,
    /// Peak working set of all managed containers while the batch ran, bytes.
    pub peak_container_bytes: u64,
}

impl Measured {
    /// Cases per hour.
    pub fn per_hour(&self) -> f64 {
        let h = self.wall.as_secs_f64() / 3600.0;
        if h == 0.0 {
            0.0
        } else {
            self.records.len() as f64 / h
        }
    }

    /// Did every case come out as expected?
    pub fn all_as_expected(&self) -> bool {
        self.records.iter().all(RunRecord::as_expected)
    }
}

/// Run `cases` with `jobs` clusters at once, sampling container memory every 2 s.
pub async fn measure(cases: Vec<Case>, jobs: usize, opts: RunOptions) -> Result<Measured> {
    let engine = Engine::connect("bench").await?;
    let sampler = PeakSampler::start(engine, Duration::from_secs(2));
    let started = Instant::now();
    let records = run_all(cases, jobs, opts).await;
    let wall = started.elapsed();
    Ok(Measured {
        records,
        wall,
        peak_container_bytes: sampler.stop(),
    })
}

/// Per case (scenario and versions, repeats pooled), per check: every status seen.
pub type Outcomes = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// The outcomes of some records; an aborted run or a runner error counts as the check
/// `run` with status `error`.
pub fn outcomes(records: &[RunRecord]) -> Outcomes {
    let mut out = Outcomes::new();
    for r in records {
        let case = out
            .entry(format!("{} [{}]", r.scenario, r.version_label()))
            .or_default();
        if r.error.is_some() {
            case.entry("run".into()).or_default().insert("error".into());
        }
        for v in &r.verdicts {
            case.entry(v.check.clone())
                .or_default()
                .insert(status_word(v.status).into());
        }
    }
    out
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

/// Where two sets of outcomes disagree: one line per case and check whose statuses differ
/// (also a flip inside one set, a check seen with two statuses over its repeats).
///
/// ```
/// use nacos_chaos::bench::{Outcomes, flips};
/// let one = |s: &str| -> Outcomes {
///     [("c [0.8.8]".to_string(), [("leader".to_string(), [s.to_string()].into())].into())].into()
/// };
/// assert!(flips(&one("pass"), &one("pass")).is_empty());
/// assert_eq!(flips(&one("pass"), &one("fail")), vec!["c [0.8.8] leader: pass vs fail"]);
/// ```
pub fn flips(a: &Outcomes, b: &Outcomes) -> Vec<String> {
    let cases: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let empty = BTreeMap::new();
    let mut out = vec![];
    for case in cases {
        let (ca, cb) = (a.get(case).unwrap_or(&empty), b.get(case).unwrap_or(&empty));
        let checks: BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
        for check in checks {
            let sa = join(ca.get(check));
            let sb = join(cb.get(check));
            if sa != sb || sa.contains('/') {
                out.push(format!("{case} {check}: {sa} vs {sb}"));
            }
        }
    }
    out
}

fn join(s: Option<&BTreeSet<String>>) -> String {
    s.map(|s| s.iter().cloned().collect::<Vec<_>>().join("/"))
        .unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Verdict;

    fn record(scenario: &str, status: Status) -> RunRecord {
        let mut r = RunRecord::example();
        r.scenario = scenario.into();
        r.verdicts = vec![Verdict {
            check: "durability".into(),
            status,
            summary: String::new(),
            evidence: vec![],
            metrics: Default::default(),
        }];
        r
    }

    #[test]
    fn a_check_that_changes_status_between_configurations_is_a_flip() {
        let a = outcomes(&[record("s", Status::Pass), record("s", Status::Pass)]);
        let b = outcomes(&[record("s", Status::Pass), record("s", Status::Fail)]);
        assert!(flips(&a, &a).is_empty());
        let f = flips(&a, &b);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("durability: pass vs fail/pass"), "{f:?}");
    }

    #[test]
    fn a_runner_error_is_an_outcome_and_a_missing_case_is_a_flip() {
        let mut broken = record("s", Status::Pass);
        broken.error = Some("bring-up failed".into());
        let label = broken.version_label();
        let a = outcomes(&[record("s", Status::Pass)]);
        let b = outcomes(&[broken]);
        assert_eq!(flips(&a, &b), vec![format!("s [{label}] run: - vs error")]);
        assert_eq!(flips(&a, &Outcomes::new()).len(), 1);
    }
}

//! Availability scoped to windows: operations that start while a fault is active, and those
//! that start after the last fault healed, judged by their own thresholds
//! (`[thresholds] during_fault`, `after_heal`). Without either, this is [`availability`].

use std::collections::BTreeMap;

use super::{Status, Thresholds, Verdict, WindowThresholds, availability, verdict};
use crate::fault::FaultWindow;
use crate::record::{History, Op};

/// Step windows (bring-up, upgrade) are not faults.
fn is_fault(w: &FaultWindow) -> bool {
    crate::fault::FaultKind::from_name(&w.kind).is_some()
}

fn with(t: &Thresholds, w: &WindowThresholds) -> Thresholds {
    Thresholds {
        min_success_ratio: w.min_success_ratio.unwrap_or(t.min_success_ratio),
        max_outage_ms: w.max_outage_ms.unwrap_or(t.max_outage_ms),
        during_fault: None,
        after_heal: None,
        ..t.clone()
    }
}

/// Availability with `during_fault` / `after_heal` windows: each operation is judged in the
/// first window it starts in (during a fault, else after the last heal, else the whole
/// run's thresholds); FAIL if any part fails. Parts are named in the summary and evidence.
///
/// ```
/// use nacos_chaos::check::{availability_in, Status, Thresholds, WindowThresholds};
/// use nacos_chaos::fault::FaultWindow;
/// use nacos_chaos::workload::{History, Op, OpKind, Outcome};
/// let op = |start_ms, outcome| Op { id: 0, node: "n1".into(), client: "http".into(),
///     kind: OpKind::GetConfig, key: "k".into(), value: None, start_ms, end_ms: start_ms + 10,
///     outcome, status: None, error: None, read: None };
/// let mut h = History::default();
/// for (t, o) in [(0, Outcome::Ok), (1_000, Outcome::Fail), (1_500, Outcome::Fail), (3_000, Outcome::Ok)] {
///     h.push(op(t, o));
/// }
/// let fault = FaultWindow { id: "f1".into(), kind: "partition".into(), description: String::new(),
///     targets: vec![], start_ms: 900, end_ms: Some(2_000), proof: vec![], heal_proof: vec![] };
/// let lenient = Thresholds { during_fault: Some(WindowThresholds { min_success_ratio: Some(0.0),
///     max_outage_ms: None }), ..Thresholds::default() };
/// assert_eq!(availability_in(&h, &[fault.clone()], &lenient).status, Status::Pass);
/// // Without the window the same history fails the whole run's 0.9.
/// assert_eq!(availability_in(&h, &[fault], &Thresholds::default()).status, Status::Fail);
/// ```
pub fn availability_in(history: &History, faults: &[FaultWindow], t: &Thresholds) -> Verdict {
    if t.during_fault.is_none() && t.after_heal.is_none() {
        return availability(history, t);
    }
    let faults: Vec<&FaultWindow> = faults.iter().filter(|w| is_fault(w)).collect();
    let inside = |o: &Op| {
        faults
            .iter()
            .any(|w| o.start_ms >= w.start_ms && w.end_ms.is_none_or(|e| o.start_ms < e))
    };
    let healed_at = if faults.is_empty() || faults.iter().any(|w| w.end_ms.is_none()) {
        None
    } else {
        faults.iter().filter_map(|w| w.end_ms).max()
    };
    let mut parts: BTreeMap<&str, History> = BTreeMap::new();
    for o in &history.ops {
        let part = if t.during_fault.is_some() && inside(o) {
            "during fault"
        } else if t.after_heal.is_some() && healed_at.is_some_and(|h| o.start_ms >= h) {
            "after heal"
        } else {
            "rest of the run"
        };
        parts.entry(part).or_default().push(o.clone());
    }
    let mut status = Status::Skip;
    let mut summaries = vec![];
    let mut evidence = vec![];
    let mut metrics = BTreeMap::new();
    for name in ["during fault", "after heal", "rest of the run"] {
        let th = match name {
            "during fault" => t.during_fault.as_ref().map(|w| with(t, w)),
            "after heal" => t.after_heal.as_ref().map(|w| with(t, w)),
            _ => Some(t.clone()),
        };
        let Some(th) = th else { continue };
        let Some(h) = parts.get(name) else {
            summaries.push(format!("{name}: no operations"));
            continue;
        };
        let v = availability(h, &th);
        status = match (status, v.status) {
            (_, Status::Fail) | (Status::Fail, _) => Status::Fail,
            (_, Status::Pass) | (Status::Pass, _) => Status::Pass,
            _ => Status::Skip,
        };
        summaries.push(format!("{name}: {}", v.summary));
        let key = name.replace(' ', "_");
        for (k, m) in v.metrics {
            metrics.insert(format!("{key}.{k}"), m);
        }
        for mut e in v.evidence {
            e.text = format!("{name}: {}", e.text);
            evidence.push(e);
        }
    }
    // Failing parts first, so the summary leads with the reason.
    summaries.sort_by_key(|s| !(s.contains(" < ") || s.contains(" > ")));
    verdict(
        "availability",
        status,
        summaries.join("; "),
        evidence,
        metrics,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::{fault, hist, publish};
    use crate::record::Outcome;

    fn window(ratio: f64) -> Option<WindowThresholds> {
        Some(WindowThresholds {
            min_success_ratio: Some(ratio),
            max_outage_ms: None,
        })
    }

    /// Ok before, failures during a partition (1000..2000), then `after` once healed.
    fn run(after: Outcome) -> History {
        hist(vec![
            publish("n1", "k", "v0", 0, 10, Outcome::Ok),
            publish("n1", "k", "v1", 1_100, 1_110, Outcome::Fail),
            publish("n1", "k", "v2", 1_500, 1_510, Outcome::Fail),
            publish("n1", "k", "v3", 2_500, 2_510, after),
            publish("n1", "k", "v4", 2_600, 2_610, after),
        ])
    }

    #[test]
    fn failures_inside_the_fault_meet_its_own_threshold_and_a_clean_heal_passes() {
        let t = Thresholds {
            during_fault: window(0.0),
            after_heal: window(1.0),
            ..Thresholds::default()
        };
        let f = [fault("partition", &["n1"], 1_000, Some(2_000))];
        let v = availability_in(&run(Outcome::Ok), &f, &t);
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.summary.contains("during fault:"), "{}", v.summary);
    }

    #[test]
    fn failures_after_heal_fail_the_after_heal_window() {
        let t = Thresholds {
            during_fault: window(0.0),
            after_heal: window(1.0),
            ..Thresholds::default()
        };
        let f = [fault("partition", &["n1"], 1_000, Some(2_000))];
        let v = availability_in(&run(Outcome::Fail), &f, &t);
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .starts_with("after heal: publish_config success ratio 0.000 < 1"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn step_windows_are_not_faults_and_no_windows_is_the_plain_check() {
        let t = Thresholds {
            during_fault: window(0.0),
            ..Thresholds::default()
        };
        let f = [fault("bring_up", &[], 1_000, Some(2_000))];
        let v = availability_in(&run(Outcome::Ok), &f, &t);
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        let plain = availability_in(&run(Outcome::Ok), &f, &Thresholds::default());
        assert_eq!(
            plain,
            availability(&run(Outcome::Ok), &Thresholds::default())
        );
    }
}

//! Availability check: success ratio overall, per node and per operation kind, and the
//! longest outage window per kind.
//!
//! The exact rules are documented on [`availability`].

use std::collections::BTreeMap;

use super::{Evidence, Status, Thresholds, Verdict, clip, evidence, kind_name, skip, verdict};
use crate::record::{History, Op, OpKind, Outcome};

/// Judge availability of a history against `t.min_success_ratio` and `t.max_outage_ms`.
///
/// An operation succeeds only with `Outcome::Ok`; `Fail` and `Unknown` both count against
/// the ratio (an indeterminate answer is not service).
///
/// Outage windows, per kind: the Ok operations of that kind, sorted by start time, are
/// merged into blocks of continuous success (an Ok op that starts before the running
/// maximum end joins the block — this absorbs overlapping ops of concurrent probes and
/// out-of-order records). The gaps between blocks, plus the open gaps before the first and
/// after the last block, are candidate windows. A gap is an outage if at least one non-Ok
/// op of that kind STARTED in it (`gap start <= start < gap end`): a request sent while a
/// concurrent probe of the same kind succeeded is covered by that success (it shows in its
/// node's ratio instead), and a timeout that began before a later success does not stretch
/// an outage past that success. An interior outage spans the end of the last Ok op to the
/// start of the next Ok op; the leading one starts at the first failure's start; the
/// trailing one (never recovered) ends at the latest end of its failures.
///
/// FAIL if any operation kind's success ratio is below the minimum or its longest outage
/// exceeds the bound; overall and per-node figures are reported, not judged. Empty history
/// → Skip ("no operations recorded").
///
/// ```
/// use nacos_chaos::check::{availability, Status, Thresholds};
/// use nacos_chaos::workload::{History, Op, OpKind, Outcome};
/// let op = |id, start_ms, outcome| Op { id, node: "n1".into(), client: "http".into(),
///     kind: OpKind::GetConfig, key: "k".into(), value: None, start_ms, end_ms: start_ms + 10,
///     outcome, status: None, error: None, read: None };
/// let mut h = History::default();
/// h.push(op(0, 0, Outcome::Ok));
/// h.push(op(1, 1_000, Outcome::Fail));
/// h.push(op(2, 2_000, Outcome::Ok));
/// let v = availability(&h, &Thresholds { min_success_ratio: 0.5, ..Thresholds::default() });
/// assert_eq!(v.status, Status::Pass);
/// assert_eq!(v.metrics["longest_outage_ms.get_config"], 1_990.0);
/// ```
pub fn availability(history: &History, t: &Thresholds) -> Verdict {
    if history.ops.is_empty() {
        return skip("availability", "no operations recorded");
    }
    let ops = history.by_start();
    let mut metrics = overall_metrics(&ops);
    let mut ev = Vec::new();
    let mut problems = Vec::new();

    let mut by_kind: BTreeMap<OpKind, Vec<&Op>> = BTreeMap::new();
    let mut by_node: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for o in &ops {
        by_kind.entry(o.kind).or_default().push(o);
        by_node.entry(o.node.as_str()).or_default().push(o);
    }

    let mut longest_overall = 0u64;
    for (kind, kops) in &by_kind {
        let judged = judge_kind(*kind, kops, t);
        longest_overall = longest_overall.max(judged.longest_ms);
        metrics.extend(judged.metrics);
        ev.extend(judged.ev);
        problems.extend(judged.problems);
    }
    metrics.insert("longest_outage_ms".into(), longest_overall as f64);

    for (node, nops) in &by_node {
        let r = ratio(nops);
        metrics.insert(format!("success_ratio.node.{node}"), r);
        if let Some(first) = nops.iter().find(|o| o.outcome != Outcome::Ok) {
            let ok = nops.iter().filter(|o| o.outcome == Outcome::Ok).count();
            ev.push(node_evidence(node, ok, nops.len(), r, first));
        }
    }

    if problems.is_empty() {
        let summary = format!(
            "every operation kind ≥ {} success and no outage over {} ms",
            t.min_success_ratio, t.max_outage_ms
        );
        verdict("availability", Status::Pass, summary, ev, metrics)
    } else {
        verdict(
            "availability",
            Status::Fail,
            problems.join("; "),
            ev,
            metrics,
        )
    }
}

/// Counts and success ratios over every operation, and over reads and writes apart.
fn overall_metrics(ops: &[&Op]) -> BTreeMap<String, f64> {
    let mut metrics = BTreeMap::new();
    metrics.insert("ops".into(), ops.len() as f64);
    metrics.insert("success_ratio".into(), ratio(ops));
    for (name, want) in [
        ("ok", Outcome::Ok),
        ("fail", Outcome::Fail),
        ("unknown", Outcome::Unknown),
    ] {
        let n = ops.iter().filter(|o| o.outcome == want).count();
        metrics.insert(format!("ops.{name}"), n as f64);
    }
    for (name, writes) in [("reads", false), ("writes", true)] {
        let part: Vec<&Op> = ops
            .iter()
            .copied()
            .filter(|o| o.kind.is_write() == writes)
            .collect();
        if !part.is_empty() {
            metrics.insert(format!("success_ratio.{name}"), ratio(&part));
        }
    }
    metrics
}

/// What one operation kind contributes to the verdict.
struct KindJudged {
    longest_ms: u64,
    metrics: BTreeMap<String, f64>,
    ev: Vec<Evidence>,
    problems: Vec<String>,
}

/// One operation kind: its ratio and longest outage against the thresholds, and every
/// other outage over the bound.
fn judge_kind(kind: OpKind, kops: &[&Op], t: &Thresholds) -> KindJudged {
    let name = kind_name(kind);
    let rw = if kind.is_write() { "write" } else { "read" };
    let r = ratio(kops);
    let ok = kops.iter().filter(|o| o.outcome == Outcome::Ok).count();
    let windows = outages(kops);
    let longest = windows
        .iter()
        .max_by_key(|w| (w.duration(), std::cmp::Reverse(w.from_ms)));
    let longest_ms = longest.map_or(0, Outage::duration);
    let mut metrics = BTreeMap::new();
    metrics.insert(format!("success_ratio.{name}"), r);
    metrics.insert(format!("longest_outage_ms.{name}"), longest_ms as f64);
    metrics.insert(format!("outages.{name}"), windows.len() as f64);

    let mut problems = Vec::new();
    let mut text = format!("{name} ({rw}): {ok}/{} ok ({r:.3})", kops.len());
    match longest {
        Some(w) => text.push_str(&format!(", longest outage {}", w.describe())),
        None => text.push_str(", no outage"),
    }
    if r < t.min_success_ratio {
        let min = t.min_success_ratio;
        problems.push(format!("{name} success ratio {r:.3} < {min}"));
        text.push_str(&format!("; ratio below the minimum {min}"));
    }
    if longest_ms > t.max_outage_ms {
        let max = t.max_outage_ms;
        problems.push(format!("{name} outage {longest_ms} ms > {max} ms"));
        text.push_str(&format!("; outage over the {max} ms bound"));
    }
    let at = longest.map(|w| w.from_ms);
    let source = || Some(format!("api:{name}"));
    let mut ev = vec![evidence(text, None, at, source())];
    // Every other window over the bound, so none hides behind the longest.
    for w in windows.iter().filter(|w| w.duration() > t.max_outage_ms) {
        if Some(w.from_ms) != at {
            let text = format!("{name} ({rw}): outage {} over the bound", w.describe());
            ev.push(evidence(text, None, Some(w.from_ms), source()));
        }
    }
    KindJudged {
        longest_ms,
        metrics,
        ev,
        problems,
    }
}

fn node_evidence(node: &str, ok: usize, total: usize, r: f64, first: &Op) -> Evidence {
    let err = first
        .error
        .as_deref()
        .map_or("no error text".to_string(), |e| clip(e, 160));
    let text = format!(
        "{node}: {ok}/{total} ok ({r:.3}); first non-ok: {} {:?} at {} ms: {err}",
        kind_name(first.kind),
        first.outcome,
        first.start_ms
    );
    evidence(
        text,
        Some(node),
        Some(first.start_ms),
        Some(format!("api:{}", kind_name(first.kind))),
    )
}

fn ratio(ops: &[&Op]) -> f64 {
    if ops.is_empty() {
        return 1.0;
    }
    ops.iter().filter(|o| o.outcome == Outcome::Ok).count() as f64 / ops.len() as f64
}

/// One outage window of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outage {
    from_ms: u64,
    to_ms: u64,
    /// False when no Ok op of the kind followed (the outage lasted to the end of the history).
    recovered: bool,
    /// Non-Ok ops that started in the window.
    non_ok: usize,
}

impl Outage {
    fn duration(&self) -> u64 {
        self.to_ms.saturating_sub(self.from_ms)
    }

    fn describe(&self) -> String {
        format!(
            "{} ms (from {} to {} ms, {} non-ok op(s){})",
            self.duration(),
            self.from_ms,
            self.to_ms,
            self.non_ok,
            if self.recovered {
                ""
            } else {
                ", not recovered by the end of the history"
            }
        )
    }
}

/// Outage windows of one kind's ops (any order), by the rule in the module docs.
fn outages(ops: &[&Op]) -> Vec<Outage> {
    let span = |o: &Op| (o.start_ms, o.end_ms.max(o.start_ms));
    let mut oks: Vec<(u64, u64)> = ops
        .iter()
        .filter(|o| o.outcome == Outcome::Ok)
        .map(|o| span(o))
        .collect();
    oks.sort_unstable();
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    for (s, e) in oks {
        match blocks.last_mut() {
            Some(b) if s <= b.1 => b.1 = b.1.max(e),
            _ => blocks.push((s, e)),
        }
    }
    // Gaps as (start, end); None = open.
    let mut gaps: Vec<(Option<u64>, Option<u64>)> = Vec::new();
    gaps.push((None, blocks.first().map(|b| b.0)));
    for w in blocks.windows(2) {
        gaps.push((Some(w[0].1), Some(w[1].0)));
    }
    if let Some(b) = blocks.last() {
        gaps.push((Some(b.1), None));
    }
    let bad: Vec<(u64, u64)> = ops
        .iter()
        .filter(|o| o.outcome != Outcome::Ok)
        .map(|o| span(o))
        .collect();
    gaps.into_iter()
        .filter_map(|(lo, hi)| {
            let inside: Vec<&(u64, u64)> = bad
                .iter()
                .filter(|(s, _)| lo.is_none_or(|lo| *s >= lo) && hi.is_none_or(|hi| *s < hi))
                .collect();
            if inside.is_empty() {
                return None;
            }
            let from_ms = lo.unwrap_or_else(|| inside.iter().map(|b| b.0).min().unwrap_or(0));
            let to_ms = hi.unwrap_or_else(|| inside.iter().map(|b| b.1).max().unwrap_or(0));
            Some(Outage {
                from_ms,
                to_ms,
                recovered: hi.is_some(),
                non_ok: inside.len(),
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "availability_tests.rs"]
mod tests;

//! Signatures check: known failure texts (a flavor's [`Signature`] catalogue, plus a suite's
//! own entries) found in API error bodies of the history or in collected node logs.
//!
//! Matching is per line: a text signature is an exact, case-sensitive substring, a regex
//! signature a search anywhere in the line; a line matching several signatures yields one
//! match per signature, a signature counts once per line. A signature's `source` limits it
//! to API errors or to logs.
//!
//! Transient signatures also fire in healthy runs (a restarted peer, an election). Their
//! matches are counted only when they fall outside every disturbance window — a fault
//! window, or a bring-up or upgrade step the runner records as one — plus the settle margin
//! (`Thresholds::transient_settle_ms`). A match whose time is unknown (a log line without a
//! timestamp the check can read) is counted.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Evidence, NodeLog, Status, Verdict, evidence, kind_name, skip, verdict};
use crate::fault::FaultWindow;
use crate::flavor::{Signature, SignatureMatcher};
use crate::record::History;
use crate::record::Observation;

/// Longest excerpt kept around a match, in characters.
const EXCERPT_CHARS: usize = 200;
/// Matches attached as evidence per (signature, node, source); the rest are counted.
const EVIDENCE_PER_SOURCE: usize = 5;

/// One occurrence of a known failure text.
///
/// ```
/// use nacos_chaos::check::SignatureMatch;
/// let m = SignatureMatch { signature: "rnacos-unknown-leader".into(), meaning: String::new(),
///     node: "n2".into(), source: "console".into(), line: Some(12),
///     excerpt: "unknown the raft leader addr!".into(), at_ms: None, transient: false,
///     excused_by: None };
/// assert_eq!(m.line, Some(12));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureMatch {
    /// Signature id (`no-leader-group`).
    pub signature: String,
    /// What the signature means for an operator.
    pub meaning: String,
    /// Node whose API answer or log showed it.
    pub node: String,
    /// `api:<op kind>` for an error body, or the log file name.
    pub source: String,
    /// 1-based line in the log (None for API errors).
    pub line: Option<usize>,
    /// The matching line, trimmed to about 200 characters around the match.
    pub excerpt: String,
    /// When, ms since run start, if known (API errors: the op's end; logs: the line's
    /// timestamp, or the last one above it, when the run's clock is known).
    pub at_ms: Option<u64>,
    /// The signature is transient.
    pub transient: bool,
    /// The window that excuses this transient match (`f2 (restart)`), if one does.
    #[serde(default)]
    pub excused_by: Option<String>,
}

/// Everything the verdict needs beyond the catalogue, the history and the logs.
///
/// ```
/// use nacos_chaos::check::SignatureScope;
/// let s = SignatureScope::default();
/// assert!(s.windows.is_empty() && s.epoch.is_none() && s.tolerated == 0);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SignatureScope<'a> {
    /// Disturbance windows: faults, and bring-up or upgrade steps recorded as windows.
    pub windows: &'a [FaultWindow],
    /// Wall-clock time of run ms 0, to place log lines; `None`: log times unknown.
    pub epoch: Option<SystemTime>,
    /// Settle margin after each window's end (an instant fault's end is its start), ms.
    pub settle_ms: u64,
    /// Matches tolerated when all are in API answers (`Thresholds::tolerated_signature_matches`).
    pub tolerated: u64,
}

/// Wall-clock time of run ms 0, from the observations (each records both clocks); the
/// earliest estimate wins. `None` without observations.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use nacos_chaos::check::run_epoch;
/// use nacos_chaos::cluster::observe::Observation;
/// let o = Observation { at_ms: 1_500, wall: UNIX_EPOCH + Duration::from_secs(100), upgrade: Default::default(), nodes: vec![] };
/// assert_eq!(run_epoch(&[o]), Some(UNIX_EPOCH + Duration::from_millis(98_500)));
/// ```
pub fn run_epoch(observations: &[Observation]) -> Option<SystemTime> {
    observations
        .iter()
        .filter_map(|o| o.wall.checked_sub(Duration::from_millis(o.at_ms)))
        .min()
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    part.iter().all(u8::is_ascii_digit).then(|| {
        part.iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
    })
}

/// The time a log line starts with: `YYYY-MM-DD[ T]HH:MM:SS[.,fraction]`, optionally after
/// `[`, optionally followed by `Z` or (after at most one space) `±HH:MM` / `±HHMM`. A
/// timestamp without a zone is read at `utc_offset_minutes` (None: not placed).
///
/// Covers official Nacos's logback `%date` (`2026-11-29 10:00:01,123 INFO ...`, zone-less)
/// and r-nacos's header (`[2026-11-29 02:00:01.123456 +00:00 INFO  ...]`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use nacos_chaos::check::log_line_time;
/// let t = UNIX_EPOCH + Duration::from_millis(1_764_381_601_123);
/// assert_eq!(log_line_time("2025-11-29 10:00:01,123 INFO x", Some(480)), Some(t));
/// assert_eq!(log_line_time("[2025-11-29 02:00:01.123 +00:00 INFO  x]", None), Some(t));
/// assert_eq!(log_line_time("2025-11-29 10:00:01,123 INFO x", None), None);
/// assert_eq!(log_line_time("\tat com.alipay.sofa.jraft.Node", Some(0)), None);
/// ```
pub fn log_line_time(line: &str, utc_offset_minutes: Option<i32>) -> Option<SystemTime> {
    let t = line.trim_start();
    let b = t.strip_prefix('[').unwrap_or(t).as_bytes();
    let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (h, mi, sec) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u64;
    if matches!(b.get(i), Some(b'.' | b',')) {
        i += 1;
        let mut scale = 100_000_000u64;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += u64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
    }
    let zone = |mut j: usize| -> Option<i64> {
        if b.get(j) == Some(&b'Z') {
            return Some(0);
        }
        if b.get(j) == Some(&b' ') {
            j += 1;
        }
        let sign = match b.get(j)? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let hh = digits(b, j + 1, 2)?;
        let mm = digits(b, j + 4, 2)
            .filter(|_| b.get(j + 3) == Some(&b':'))
            .or_else(|| digits(b, j + 3, 2))?;
        Some(sign * (hh * 60 + mm))
    };
    let offset = zone(i).or_else(|| utc_offset_minutes.map(i64::from))?;
    let secs =
        crate::fault::days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset * 60;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_nanos(nanos))
}

/// Every match of the catalogue in the history's error texts, then in the logs (in order);
/// log lines are not placed in time (see [`matches_at`]).
///
/// ```
/// use nacos_chaos::check::{matches, NodeLog};
/// use nacos_chaos::flavor::Signature;
/// use nacos_chaos::workload::History;
/// let catalog = [Signature::text("rnacos-unknown-leader",
///     "unknown the raft leader addr!", "no leader")];
/// let log = NodeLog { node: "n3".into(), file: "console".into(),
///     text: "starting\nERROR write failed: unknown the raft leader addr!\n".into(),
///     utc_offset_minutes: None };
/// let m = matches(&catalog, &History::default(), &[log]);
/// assert_eq!(m.len(), 1);
/// assert_eq!((m[0].node.as_str(), m[0].source.as_str(), m[0].line), ("n3", "console", Some(2)));
/// ```
pub fn matches(catalog: &[Signature], history: &History, logs: &[NodeLog]) -> Vec<SignatureMatch> {
    matches_at(catalog, history, logs, None)
}

/// [`matches`], with log lines placed in run time when `epoch` (wall-clock time of run ms 0)
/// is known. Signatures whose pattern does not compile are skipped (suite validation and the
/// catalogue tests refuse them earlier).
pub fn matches_at(
    catalog: &[Signature],
    history: &History,
    logs: &[NodeLog],
    epoch: Option<SystemTime>,
) -> Vec<SignatureMatch> {
    let compiled: Vec<(&Signature, SignatureMatcher)> = catalog
        .iter()
        .filter_map(|s| s.matcher().ok().map(|m| (s, m)))
        .collect();
    let api: Vec<_> = compiled
        .iter()
        .filter(|(s, _)| s.source.covers_api())
        .collect();
    let in_logs: Vec<_> = compiled
        .iter()
        .filter(|(s, _)| s.source.covers_logs())
        .collect();
    let mut out = Vec::new();
    for op in history.by_start() {
        let Some(err) = op.error.as_deref() else {
            continue;
        };
        let source = format!("api:{}", kind_name(op.kind));
        for line in err.lines() {
            let at = Place {
                node: &op.node,
                source: &source,
                line: None,
                at_ms: Some(op.end_ms),
            };
            scan_line(&api, line, &at, &mut out);
        }
    }
    for log in logs {
        let mut last: Option<u64> = None;
        for (i, line) in log.text.lines().enumerate() {
            if let Some(t) = log_line_time(line, log.utc_offset_minutes) {
                last = epoch
                    .and_then(|e| t.duration_since(e).ok())
                    .map(|d| d.as_millis() as u64);
            }
            let at = Place {
                node: &log.node,
                source: &log.file,
                line: Some(i + 1),
                at_ms: last,
            };
            scan_line(&in_logs, line, &at, &mut out);
        }
    }
    out
}

struct Place<'a> {
    node: &'a str,
    source: &'a str,
    line: Option<usize>,
    at_ms: Option<u64>,
}

fn scan_line(
    catalog: &[&(&Signature, SignatureMatcher)],
    line: &str,
    at: &Place<'_>,
    out: &mut Vec<SignatureMatch>,
) {
    for (s, m) in catalog {
        if let Some((from, to)) = m.find(line) {
            out.push(SignatureMatch {
                signature: s.id.to_string(),
                meaning: s.meaning.to_string(),
                node: at.node.to_string(),
                source: at.source.to_string(),
                line: at.line,
                excerpt: excerpt(line, from, to - from),
                at_ms: at.at_ms,
                transient: s.transient,
                excused_by: None,
            });
        }
    }
}

/// The line around byte range `at..at+len`, at most [`EXCERPT_CHARS`] characters.
fn excerpt(line: &str, at: usize, len: usize) -> String {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    if chars.len() <= EXCERPT_CHARS {
        return line.trim().to_string();
    }
    let first = chars.iter().position(|(b, _)| *b >= at).unwrap_or(0);
    let match_chars = line[at..at + len].chars().count();
    let before = EXCERPT_CHARS.saturating_sub(match_chars) / 2;
    let end = (first.saturating_sub(before) + EXCERPT_CHARS).min(chars.len());
    let start = end.saturating_sub(EXCERPT_CHARS);
    let from = chars[start].0;
    let to = chars.get(end).map_or(line.len(), |c| c.0);
    let lead = if start > 0 { "…" } else { "" };
    let tail = if end < chars.len() { "…" } else { "" };
    format!("{lead}{}{tail}", line[from..to].trim())
}

/// The window that excuses a transient match at `at_ms`, if any: `start ≤ at ≤ end + settle`,
/// where an instant fault (no end) ends at its start.
fn excusing(windows: &[FaultWindow], at_ms: u64, settle_ms: u64) -> Option<&FaultWindow> {
    windows.iter().find(|w| {
        let end = w.end_ms.unwrap_or(w.start_ms).max(w.start_ms);
        w.start_ms <= at_ms && at_ms <= end.saturating_add(settle_ms)
    })
}

/// Judge a run by its known failure texts: FAIL when any matched, PASS when none did.
///
/// Evidence: each match (node, source, line, excerpt, meaning), at most 5 per signature,
/// node and source, then a count of the rest. Metrics: `matches` and `matches.<id>` for every
/// catalog id. Empty catalog, or neither operations nor logs → Skip.
///
/// ```
/// use nacos_chaos::check::{signatures, NodeLog, Status};
/// use nacos_chaos::flavor::Signature;
/// use nacos_chaos::workload::History;
/// let catalog = [Signature::text("rnacos-unknown-leader",
///     "unknown the raft leader addr!", "no leader")];
/// let log = |text: &str| NodeLog { node: "n1".into(), file: "console".into(), text: text.into(),
///     utc_offset_minutes: None };
/// let h = History::default();
/// assert_eq!(signatures(&catalog, &h, &[log("all good")]).status, Status::Pass);
/// let v = signatures(&catalog, &h, &[log("unknown the raft leader addr!")]);
/// assert_eq!(v.status, Status::Fail);
/// assert_eq!(v.metrics["matches.rnacos-unknown-leader"], 1.0);
/// ```
pub fn signatures(catalog: &[Signature], history: &History, logs: &[NodeLog]) -> Verdict {
    signatures_in(catalog, history, logs, &SignatureScope::default())
}

/// [`signatures`] with a tolerance: when every match is in an API answer (none in a log) and
/// there are at most `tolerated` of them, the verdict is PASS — the evidence stays. For the
/// brief election while a leader restarts in a rolling upgrade
/// (`Thresholds::tolerated_signature_matches`).
///
/// ```
/// use nacos_chaos::check::{signatures_tolerating, Status};
/// use nacos_chaos::workload::History;
/// let v = signatures_tolerating(&[], &History::default(), &[], 5);
/// assert_eq!(v.status, Status::Skip);
/// ```
pub fn signatures_tolerating(
    catalog: &[Signature],
    history: &History,
    logs: &[NodeLog],
    tolerated: u64,
) -> Verdict {
    let scope = SignatureScope {
        tolerated,
        ..SignatureScope::default()
    };
    signatures_in(catalog, history, logs, &scope)
}

/// The full check: [`signatures_tolerating`] where a transient signature's match inside a
/// disturbance window (plus the settle margin) is not counted — it stays visible in the
/// evidence as excused. Metrics add `matches_excused` and `matches_excused.<id>`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use nacos_chaos::check::{signatures_in, NodeLog, SignatureScope, Status};
/// use nacos_chaos::fault::FaultWindow;
/// use nacos_chaos::flavor::Signature;
/// use nacos_chaos::workload::History;
/// let catalog = [Signature::text("peer-down", "channel init failed", "peer down").transient()];
/// let log = NodeLog { node: "n1".into(), file: "alipay-jraft.log".into(), utc_offset_minutes: Some(0),
///     text: "1970-01-01 00:00:12,000 WARN Node <g/a:7848> channel init failed, address=b:7848.\n".into() };
/// let restart = FaultWindow { id: "f1".into(), kind: "restart".into(), description: String::new(),
///     targets: vec!["n2".into()], start_ms: 10_000, end_ms: None, proof: vec![], heal_proof: vec![] };
/// let windows = [restart];
/// let scope = SignatureScope { windows: &windows, epoch: Some(UNIX_EPOCH), settle_ms: 5_000, tolerated: 0 };
/// let v = signatures_in(&catalog, &History::default(), &[log.clone()], &scope);
/// assert_eq!(v.status, Status::Pass);
/// assert_eq!(v.metrics["matches_excused"], 1.0);
/// // The same line 3 s after the settle margin counts.
/// let late = NodeLog { text: log.text.replace("00:00:12", "00:00:18"), ..log };
/// assert_eq!(signatures_in(&catalog, &History::default(), &[late], &scope).status, Status::Fail);
/// ```
pub fn signatures_in(
    catalog: &[Signature],
    history: &History,
    logs: &[NodeLog],
    scope: &SignatureScope<'_>,
) -> Verdict {
    if catalog.is_empty() {
        return skip("signatures", "no signatures in the catalog");
    }
    if history.ops.is_empty() && logs.is_empty() {
        return skip(
            "signatures",
            "nothing to scan: no operations or logs recorded",
        );
    }
    let mut all = matches_at(catalog, history, logs, scope.epoch);
    excuse_transients(&mut all, scope);
    let (excused, found): (Vec<SignatureMatch>, Vec<SignatureMatch>) =
        all.into_iter().partition(|m| m.excused_by.is_some());
    let metrics = scan_metrics(catalog, history, logs, &found, &excused);
    let mut ev = Vec::new();
    if logs.is_empty() {
        let text = "no logs collected: only API error bodies scanned";
        ev.push(evidence(text, None, None, None));
    }
    for s in catalog {
        if let Err(e) = s.matcher() {
            ev.push(evidence(format!("not checked: {e}"), None, None, None));
        }
    }
    ev.extend(found_evidence(&found));
    ev.extend(excused_evidence(&excused, scope.settle_ms));
    let scanned = Scanned {
        catalog: catalog.len(),
        api_errors: history.ops.iter().filter(|o| o.error.is_some()).count(),
        logs: logs.len(),
    };
    judge(&found, excused.len(), scanned, scope.tolerated, ev, metrics)
}

/// Mark each transient match inside a fault window (plus the settle margin) as excused by it.
fn excuse_transients(all: &mut [SignatureMatch], scope: &SignatureScope<'_>) {
    for m in all.iter_mut().filter(|m| m.transient) {
        if let Some(w) = m
            .at_ms
            .and_then(|at| excusing(scope.windows, at, scope.settle_ms))
        {
            m.excused_by = Some(format!("{} ({})", w.id, w.kind));
        }
    }
}

/// Matches per signature (counted and excused) and what was scanned.
fn scan_metrics(
    catalog: &[Signature],
    history: &History,
    logs: &[NodeLog],
    found: &[SignatureMatch],
    excused: &[SignatureMatch],
) -> BTreeMap<String, f64> {
    let mut metrics = BTreeMap::new();
    metrics.insert("matches".into(), found.len() as f64);
    metrics.insert("matches_excused".into(), excused.len() as f64);
    for s in catalog {
        metrics.insert(format!("matches.{}", s.id), 0.0);
    }
    for m in found {
        *metrics
            .entry(format!("matches.{}", m.signature))
            .or_insert(0.0) += 1.0;
    }
    for m in excused {
        *metrics
            .entry(format!("matches_excused.{}", m.signature))
            .or_insert(0.0) += 1.0;
    }
    let api_errors = history.ops.iter().filter(|o| o.error.is_some()).count();
    metrics.insert("api_errors_scanned".into(), api_errors as f64);
    metrics.insert("logs_scanned".into(), logs.len() as f64);
    let lines: usize = logs.iter().map(|l| l.text.lines().count()).sum();
    metrics.insert("log_lines_scanned".into(), lines as f64);
    metrics
}

/// Matches grouped by signature, node and source.
fn grouped(ms: &[SignatureMatch]) -> BTreeMap<(&str, &str, &str), Vec<&SignatureMatch>> {
    let mut per: BTreeMap<(&str, &str, &str), Vec<&SignatureMatch>> = BTreeMap::new();
    for m in ms {
        per.entry((m.signature.as_str(), m.node.as_str(), m.source.as_str()))
            .or_default()
            .push(m);
    }
    per
}

/// The first [`EVIDENCE_PER_SOURCE`] counted matches per signature, node and source, and how
/// many more there were.
fn found_evidence(found: &[SignatureMatch]) -> Vec<Evidence> {
    let mut ev = Vec::new();
    for ((id, node, source), ms) in &grouped(found) {
        for m in ms.iter().take(EVIDENCE_PER_SOURCE) {
            let place = m.line.map_or(String::new(), |l| format!(" line {l}"));
            let when = match (m.transient, m.at_ms, m.line) {
                (true, None, Some(_)) => " (transient, but the line's time is unknown)",
                (true, _, _) => " (transient, outside every fault window + settle margin)",
                _ => "",
            };
            let text = format!(
                "[{id}] {node} {source}{place}: {} — {}{when}",
                m.excerpt, m.meaning
            );
            ev.push(evidence(
                text,
                Some(node),
                m.at_ms,
                Some(source.to_string()),
            ));
        }
        if ms.len() > EVIDENCE_PER_SOURCE {
            let text = format!(
                "[{id}] {node} {source}: {} more match(es) not listed",
                ms.len() - EVIDENCE_PER_SOURCE
            );
            ev.push(evidence(text, Some(node), None, Some(source.to_string())));
        }
    }
    ev
}

/// One line per signature, node and source for the transient matches a window excused.
fn excused_evidence(excused: &[SignatureMatch], settle_ms: u64) -> Vec<Evidence> {
    let mut ev = Vec::new();
    for ((id, node, source), ms) in &grouped(excused) {
        let windows: std::collections::BTreeSet<&str> =
            ms.iter().filter_map(|m| m.excused_by.as_deref()).collect();
        let text = format!(
            "[{id}] {node} {source}: {} transient match(es) inside {} (+ {settle_ms} ms settle), not counted; first: {}",
            ms.len(),
            windows.into_iter().collect::<Vec<_>>().join(", "),
            ms[0].excerpt
        );
        ev.push(evidence(
            text,
            Some(node),
            ms[0].at_ms,
            Some(source.to_string()),
        ));
    }
    ev
}

/// How much a signatures verdict scanned, for its summary.
#[derive(Debug, Clone, Copy)]
struct Scanned {
    catalog: usize,
    api_errors: usize,
    logs: usize,
}

/// Pass (nothing found, or only API answers within the tolerance), Skip (nothing found
/// but no logs to clear the run), or Fail with the signatures found.
fn judge(
    found: &[SignatureMatch],
    excused: usize,
    scanned: Scanned,
    tolerated: u64,
    ev: Vec<Evidence>,
    metrics: BTreeMap<String, f64>,
) -> Verdict {
    let excused_note = if excused == 0 {
        String::new()
    } else {
        format!("; {excused} transient match(es) inside fault windows not counted")
    };
    let in_logs = found
        .iter()
        .filter(|m| !m.source.starts_with("api:"))
        .count();
    let tolerable = in_logs == 0 && (found.len() as u64) <= tolerated;
    let api_errors = scanned.api_errors;
    if (found.is_empty() || tolerable) && scanned.logs == 0 {
        // Most failure texts are only ever logged: API answers alone cannot clear a run.
        let summary =
            format!("not judged: no node logs collected (only {api_errors} API error(s) scanned)");
        return verdict("signatures", Status::Skip, summary, ev, metrics);
    }
    if found.is_empty() {
        let summary = format!(
            "none of {} known failure text(s) in {api_errors} API error(s) or {} log(s){excused_note}",
            scanned.catalog, scanned.logs
        );
        return verdict("signatures", Status::Pass, summary, ev, metrics);
    }
    if tolerable {
        let summary = format!(
            "{} known failure text(s) in API answers, within the {tolerated} tolerated; none in logs{excused_note}",
            found.len(),
        );
        return verdict("signatures", Status::Pass, summary, ev, metrics);
    }
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for m in found {
        *ids.entry(m.signature.as_str()).or_default() += 1;
    }
    let list: Vec<String> = ids.iter().map(|(id, n)| format!("{id} ×{n}")).collect();
    let summary = format!(
        "known failure text(s) matched: {}{excused_note}",
        list.join(", ")
    );
    verdict("signatures", Status::Fail, summary, ev, metrics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::{hist, op, publish};
    use crate::flavor::{self, FlavorKind};
    use crate::record::{OpKind, Outcome};
    use rstest::rstest;

    fn catalog() -> Vec<Signature> {
        flavor::for_kind(FlavorKind::RNacos).signatures()
    }

    fn log(node: &str, file: &str, text: &str) -> NodeLog {
        NodeLog {
            node: node.into(),
            file: file.into(),
            text: text.into(),
            utc_offset_minutes: None,
        }
    }

    #[test]
    fn empty_catalog_or_nothing_to_scan_is_skip() {
        let h = hist(vec![publish("n1", "k", "v", 0, 1, Outcome::Ok)]);
        assert_eq!(signatures(&[], &h, &[]).status, Status::Skip);
        let v = signatures(&catalog(), &History::default(), &[]);
        assert_eq!(v.status, Status::Skip);
        assert!(v.summary.contains("nothing to scan"));
    }

    #[test]
    fn without_node_logs_a_clean_scan_is_not_judged() {
        // Most failure texts are only logged: clean API answers alone are no pass.
        let h = hist(vec![publish("n1", "k", "v", 0, 1, Outcome::Ok)]);
        let v = signatures(&catalog(), &h, &[]);
        assert_eq!(v.status, Status::Skip, "{v:?}");
        assert!(v.summary.contains("no node logs"), "{}", v.summary);
        let tolerated = hist(vec![unknown_leader("n1", 10)]);
        let v = signatures_tolerating(&catalog(), &tolerated, &[], 2);
        assert_eq!(v.status, Status::Skip, "{v:?}");
        // Known-bad: a failure text in an API answer still fails without logs.
        let v = signatures(&catalog(), &tolerated, &[]);
        assert_eq!(v.status, Status::Fail, "{v:?}");
    }

    #[test]
    fn clean_run_passes_with_zero_counts() {
        let h = hist(vec![publish("n1", "k", "v", 0, 1, Outcome::Ok)]);
        let v = signatures(
            &catalog(),
            &h,
            &[log("n1", "console", "INFO started\nINFO ready")],
        );
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert_eq!(v.metrics["matches.rnacos-unknown-leader"], 0.0);
        assert_eq!(v.metrics["log_lines_scanned"], 2.0);
    }

    fn unknown_leader(node: &str, at: u64) -> crate::record::Op {
        let mut o = publish(node, "k", "v", at, at + 1, Outcome::Fail);
        o.error = Some("HTTP 500: unknown the raft leader addr!".into());
        o
    }

    #[test]
    fn api_matches_within_tolerance_pass_with_their_evidence() {
        let h = hist(vec![unknown_leader("n1", 10), unknown_leader("n2", 20)]);
        let quiet = [log("n1", "console", "INFO elected")];
        let v = signatures_tolerating(&catalog(), &h, &quiet, 2);
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert!(v.summary.contains("within the 2 tolerated"));
        assert!(
            v.evidence
                .iter()
                .any(|e| e.text.starts_with("[rnacos-unknown-leader]"))
        );
    }

    #[test]
    fn too_many_or_any_log_match_still_fails() {
        let three = hist(vec![
            unknown_leader("n1", 1),
            unknown_leader("n1", 2),
            unknown_leader("n1", 3),
        ]);
        assert_eq!(
            signatures_tolerating(&catalog(), &three, &[], 2).status,
            Status::Fail
        );
        let one = hist(vec![publish("n1", "k", "v", 0, 1, Outcome::Ok)]);
        let logs = [log("n1", "console", "WARN unknown the raft leader addr!")];
        assert_eq!(
            signatures_tolerating(&catalog(), &one, &logs, 5).status,
            Status::Fail
        );
        let single = hist(vec![unknown_leader("n1", 1)]);
        assert_eq!(
            signatures_tolerating(&catalog(), &single, &[], 0).status,
            Status::Fail
        );
    }

    #[test]
    fn text_in_an_api_error_body_fails() {
        let mut o = publish("n2", "k", "v", 100, 250, Outcome::Fail);
        o.error = Some("HTTP 500: {\"error\":\"unknown the raft leader addr!\"}".into());
        let v = signatures(&catalog(), &hist(vec![o]), &[]);
        assert_eq!(v.status, Status::Fail);
        let e = v
            .evidence
            .iter()
            .find(|e| e.text.starts_with("[rnacos-unknown-leader]"))
            .unwrap();
        assert_eq!(e.node.as_deref(), Some("n2"));
        assert_eq!(e.source.as_deref(), Some("api:publish_config"));
        assert_eq!(e.at_ms, Some(250));
        assert!(e.text.contains("config writes cannot commit"), "{}", e.text);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.text.contains("no logs collected"))
        );
    }

    #[test]
    fn text_in_a_log_fails_with_node_file_line_excerpt() {
        let text =
            "2024-01-01 INFO boot\n2024-01-01 WARN [raft] unknown the raft leader addr!   \n";
        let v = signatures(
            &catalog(),
            &History::default(),
            &[log("n3", "console", text)],
        );
        assert_eq!(v.status, Status::Fail);
        let m = &matches(
            &catalog(),
            &History::default(),
            &[log("n3", "console", text)],
        )[0];
        assert_eq!(
            (m.node.as_str(), m.source.as_str(), m.line),
            ("n3", "console", Some(2))
        );
        assert_eq!(
            m.excerpt,
            "2024-01-01 WARN [raft] unknown the raft leader addr!"
        );
        assert_eq!(m.at_ms, None);
        let e = &v.evidence[0];
        assert_eq!(e.node.as_deref(), Some("n3"));
        assert_eq!(e.source.as_deref(), Some("console"));
        assert!(e.text.contains("line 2"), "{}", e.text);
    }

    #[rstest]
    #[case::official_no_leader("did not find the Leader node", "no-leader-group")]
    #[case::official_forwarded("Could not find leader : nacos_config", "not-leader-forwarded")]
    #[case::official_degraded("System triggered degradation", "system-degraded")]
    #[case::official_down("server is DOWNnow", "server-down")]
    fn official_catalog_texts_match(#[case] text: &str, #[case] id: &str) {
        let cat = flavor::for_kind(FlavorKind::Official).signatures();
        let body = format!("caused: {text}; retry later");
        let o = op(
            "n1",
            OpKind::ListInstances,
            "svc",
            None,
            0,
            5,
            Outcome::Fail,
        );
        let h = hist(vec![crate::record::Op {
            error: Some(body),
            ..o
        }]);
        let found = matches(&cat, &h, &[]);
        assert!(
            found
                .iter()
                .any(|m| m.signature == id && m.source == "api:list_instances"),
            "{found:?}"
        );
        assert_eq!(signatures(&cat, &h, &[]).status, Status::Fail);
    }

    #[test]
    fn matching_is_case_sensitive_substring() {
        let v = signatures(
            &catalog(),
            &History::default(),
            &[log("n1", "console", "UNKNOWN THE RAFT LEADER ADDR!")],
        );
        assert_eq!(v.status, Status::Pass);
    }

    #[test]
    fn repeated_matches_are_counted_and_evidence_capped() {
        let text = "unknown the raft leader addr!\n".repeat(12);
        let v = signatures(
            &catalog(),
            &History::default(),
            &[log("n1", "console", &text)],
        );
        assert_eq!(v.metrics["matches.rnacos-unknown-leader"], 12.0);
        assert_eq!(v.evidence.len(), EVIDENCE_PER_SOURCE + 1);
        assert!(v.evidence.last().unwrap().text.contains("7 more"));
    }

    #[test]
    fn long_lines_are_trimmed_around_the_match() {
        let line = format!(
            "{}unknown the raft leader addr!{}",
            "é".repeat(500),
            "x".repeat(500)
        );
        let m = &matches(
            &catalog(),
            &History::default(),
            &[log("n1", "console", &line)],
        )[0];
        assert!(m.excerpt.contains("unknown the raft leader addr!"));
        assert!(m.excerpt.starts_with('…') && m.excerpt.ends_with('…'));
        assert!(m.excerpt.chars().count() <= EXCERPT_CHARS + 2);
        // Near the start of a line: no leading ellipsis.
        let line = format!("unknown the raft leader addr!{}", "x".repeat(500));
        let m = &matches(
            &catalog(),
            &History::default(),
            &[log("n1", "console", &line)],
        )[0];
        assert!(m.excerpt.starts_with("unknown") && m.excerpt.ends_with('…'));
    }

    fn window(id: &str, kind: &str, start_ms: u64, end_ms: Option<u64>) -> FaultWindow {
        FaultWindow {
            id: id.into(),
            kind: kind.into(),
            description: String::new(),
            targets: vec![],
            start_ms,
            end_ms,
            proof: vec![],
            heal_proof: vec![],
        }
    }

    /// A log at UTC whose lines are `(seconds since the epoch, message)`.
    fn timed_log(node: &str, lines: &[(u64, &str)]) -> NodeLog {
        let text: String = lines
            .iter()
            .map(|(s, m)| format!("1970-01-01 00:{:02}:{:02},000 WARN {m}\n", s / 60, s % 60))
            .collect();
        NodeLog {
            utc_offset_minutes: Some(0),
            ..log(node, "alipay-jraft.log", &text)
        }
    }

    fn scope(windows: &[FaultWindow]) -> SignatureScope<'_> {
        SignatureScope {
            windows,
            epoch: Some(UNIX_EPOCH),
            settle_ms: 10_000,
            tolerated: 0,
        }
    }

    fn peer_down() -> Vec<Signature> {
        vec![
            Signature::text("peer-down", "channel init failed", "peer down").transient(),
            Signature::text("stale", "not in conf", "stale membership"),
        ]
    }

    #[rstest]
    #[case::inside_window(25, Status::Pass)]
    #[case::at_window_start(20, Status::Pass)]
    #[case::within_settle(45, Status::Pass)]
    #[case::after_settle(51, Status::Fail)]
    #[case::before_window(19, Status::Fail)]
    fn transient_counted_only_outside_windows(#[case] at_s: u64, #[case] want: Status) {
        let w = [window("f1", "partition", 20_000, Some(40_000))];
        let logs = [timed_log("n1", &[(at_s, "channel init failed, address=x")])];
        let v = signatures_in(&peer_down(), &History::default(), &logs, &scope(&w));
        assert_eq!(v.status, want, "{v:?}");
        let excused = if want == Status::Pass { 1.0 } else { 0.0 };
        assert_eq!(v.metrics["matches_excused"], excused);
        if want == Status::Pass {
            assert!(v.evidence.iter().any(|e| e.text.contains("f1 (partition)")));
        }
    }

    #[test]
    fn instant_fault_window_is_its_start_plus_settle() {
        let w = [window("f2", "restart", 20_000, None)];
        let at = |s| [timed_log("n2", &[(s, "channel init failed")])];
        let st = |s| signatures_in(&peer_down(), &History::default(), &at(s), &scope(&w)).status;
        assert_eq!(st(30), Status::Pass);
        assert_eq!(st(31), Status::Fail);
    }

    #[test]
    fn non_transient_counts_inside_windows() {
        let w = [window("f1", "ip_change", 0, None)];
        let logs = [timed_log(
            "n1",
            &[(1, "ignore PreVoteRequest: not in conf")],
        )];
        let v = signatures_in(&peer_down(), &History::default(), &logs, &scope(&w));
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.metrics["matches.stale"], 1.0);
    }

    #[test]
    fn transient_with_unknown_time_counts() {
        // Known-bad for placement: no epoch, or no readable timestamp, means counted.
        let w = [window("f1", "restart", 0, Some(1_000_000))];
        let logs = [timed_log("n1", &[(5, "channel init failed")])];
        let no_epoch = SignatureScope {
            epoch: None,
            ..scope(&w)
        };
        let v = signatures_in(&peer_down(), &History::default(), &logs, &no_epoch);
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.text.contains("time is unknown"))
        );
        let bare = [log("n1", "x.log", "channel init failed")];
        let v = signatures_in(&peer_down(), &History::default(), &bare, &scope(&w));
        assert_eq!(v.status, Status::Fail);
    }

    #[test]
    fn lines_without_timestamp_take_the_last_one_above() {
        let text = "1970-01-01 00:00:05,000 WARN boom\n\tat channel init failed\n";
        let l = NodeLog {
            utc_offset_minutes: Some(0),
            ..log("n1", "x.log", text)
        };
        let m = matches_at(&peer_down(), &History::default(), &[l], Some(UNIX_EPOCH));
        assert_eq!(m[0].at_ms, Some(5_000));
        assert_eq!(m[0].line, Some(2));
    }

    #[test]
    fn api_matches_use_the_op_end_time() {
        let mut o = publish("n1", "k", "v", 100, 12_000, Outcome::Fail);
        o.error = Some("channel init failed".into());
        let w = [window("f1", "restart", 5_000, None)];
        let quiet = [log("n1", "x.log", "INFO ready")];
        let v = signatures_in(&peer_down(), &hist(vec![o.clone()]), &quiet, &scope(&w));
        assert_eq!(v.status, Status::Pass, "{v:?}");
        o.end_ms = 15_001;
        let v = signatures_in(&peer_down(), &hist(vec![o]), &quiet, &scope(&w));
        assert_eq!(v.status, Status::Fail);
    }

    #[test]
    fn source_limits_where_a_signature_is_looked_for() {
        use crate::flavor::SignatureSource;
        let cat = [
            Signature::text("in-api", "boom", "m").only(SignatureSource::Api),
            Signature::text("in-log", "bang", "m").only(SignatureSource::Log),
        ];
        let mut o = publish("n1", "k", "v", 0, 1, Outcome::Fail);
        o.error = Some("boom bang".into());
        let logs = [log("n1", "x.log", "boom bang")];
        let m = matches(&cat, &hist(vec![o]), &logs);
        let got: Vec<(&str, &str)> = m
            .iter()
            .map(|m| (m.signature.as_str(), m.source.as_str()))
            .collect();
        assert_eq!(got, [("in-api", "api:publish_config"), ("in-log", "x.log")]);
    }

    #[test]
    fn regex_signatures_match_and_bad_ones_are_reported() {
        let cat = [
            Signature::regex("re", r"ignore \S+ as it is not in conf", "m"),
            Signature::regex("bad", "(", "m"),
        ];
        let logs = [log(
            "n1",
            "x.log",
            "ignore a:7848, term=3\nignore b:7848 as it is not in conf <x>",
        )];
        let m = matches(&cat, &History::default(), &logs);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].line, Some(2));
        let v = signatures(&cat, &History::default(), &logs);
        assert!(v.evidence.iter().any(|e| e.text.contains("not checked")));
    }

    #[test]
    fn run_epoch_takes_the_earliest_estimate() {
        use crate::record::Observation;
        let o = |at_ms, wall_ms| Observation {
            at_ms,
            wall: UNIX_EPOCH + Duration::from_millis(wall_ms),
            upgrade: Default::default(),
            nodes: vec![],
        };
        assert_eq!(run_epoch(&[]), None);
        let e = run_epoch(&[o(1_000, 11_000), o(2_000, 11_900)]);
        assert_eq!(e, Some(UNIX_EPOCH + Duration::from_millis(9_900)));
    }

    #[rstest]
    #[case::official("2025-11-29 10:00:01,123 INFO x", Some(480), Some(1_764_381_601_123))]
    #[case::official_no_fraction("2025-11-29 10:00:01 INFO x", Some(480), Some(1_764_381_601_000))]
    #[case::rnacos(
        "[2025-11-29 02:00:01.123456 +00:00 INFO  x]",
        None,
        Some(1_764_381_601_123)
    )]
    #[case::iso_z("2025-11-29T02:00:01Z x", None, Some(1_764_381_601_000))]
    #[case::compact_zone("2025-11-29T04:00:01+0200 x", None, Some(1_764_381_601_000))]
    #[case::zoneless_unknown("2025-11-29 10:00:01,123 INFO x", None, None)]
    #[case::not_a_time("Node <g/x:7848> init", Some(0), None)]
    #[case::bad_month("2025-13-29 10:00:01 x", Some(0), None)]
    #[case::dash_message("2025-11-29 02:00:01 - msg", Some(0), Some(1_764_381_601_000))]
    fn log_timestamps(#[case] line: &str, #[case] off: Option<i32>, #[case] want: Option<u64>) {
        let got = log_line_time(line, off)
            .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64);
        assert_eq!(got, want, "{line}");
    }

    /// Routine lines of healthy runs, per flavor (`tests/fixtures/<flavor>/routine_*.log`).
    fn routine(flavor: &str) -> Vec<NodeLog> {
        let dir = format!("{}/tests/fixtures/{flavor}", env!("CARGO_MANIFEST_DIR"));
        let mut out = vec![];
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("routine_") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push(log("n1", &name, &text));
            }
        }
        assert!(!out.is_empty(), "no routine fixtures in {dir}");
        out
    }

    #[rstest]
    #[case::rnacos(FlavorKind::RNacos, "rnacos")]
    #[case::official(FlavorKind::Official, "official")]
    fn no_catalogue_entry_fires_non_transiently_on_routine_lines(
        #[case] kind: FlavorKind,
        #[case] dir: &str,
    ) {
        let cat = flavor::for_kind(kind).signatures();
        let logs = routine(dir);
        // Every routine line is also offered as an API error body, for API-only entries.
        let ops = logs
            .iter()
            .flat_map(|l| l.text.lines())
            .map(|line| crate::record::Op {
                error: Some(line.to_string()),
                ..publish("n1", "k", "v", 0, 1, Outcome::Fail)
            })
            .collect();
        let found = matches(&cat, &hist(ops), &logs);
        let hard: Vec<String> = found
            .iter()
            .filter(|m| !m.transient)
            .map(|m| {
                format!(
                    "{} in {} line {:?}: {}",
                    m.signature, m.source, m.line, m.excerpt
                )
            })
            .collect();
        assert!(hard.is_empty(), "non-transient on routine lines: {hard:#?}");
    }
}

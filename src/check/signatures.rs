//! Signatures check: known failure texts (a flavor's [`Signature`] catalog) found in API
//! error bodies of the history or in collected node logs.
//!
//! Matching is an exact, case-sensitive substring search per line (a line matching several
//! signatures yields one match per signature; a signature counts once per line).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{NodeLog, Status, Verdict, evidence, kind_name, skip, verdict};
use crate::flavor::Signature;
use crate::workload::History;

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
///     excerpt: "unknown the raft leader addr!".into(), at_ms: None };
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
    /// When, ms since run start, if known (API errors: the op's end; logs: unknown).
    pub at_ms: Option<u64>,
}

/// Every match of the catalog in the history's error texts, then in the logs (in order).
///
/// ```
/// use nacos_chaos::check::{matches, NodeLog};
/// use nacos_chaos::flavor::Signature;
/// use nacos_chaos::workload::History;
/// let catalog = [Signature { id: "rnacos-unknown-leader",
///     text: "unknown the raft leader addr!", meaning: "no leader" }];
/// let log = NodeLog { node: "n3".into(), file: "console".into(),
///     text: "starting\nERROR write failed: unknown the raft leader addr!\n".into() };
/// let m = matches(&catalog, &History::default(), &[log]);
/// assert_eq!(m.len(), 1);
/// assert_eq!((m[0].node.as_str(), m[0].source.as_str(), m[0].line), ("n3", "console", Some(2)));
/// ```
pub fn matches(catalog: &[Signature], history: &History, logs: &[NodeLog]) -> Vec<SignatureMatch> {
    let mut out = Vec::new();
    for op in history.by_start() {
        let Some(err) = op.error.as_deref() else {
            continue;
        };
        let source = format!("api:{}", kind_name(op.kind));
        for line in err.lines() {
            scan_line(
                catalog,
                line,
                &op.node,
                &source,
                None,
                Some(op.end_ms),
                &mut out,
            );
        }
    }
    for log in logs {
        for (i, line) in log.text.lines().enumerate() {
            scan_line(
                catalog,
                line,
                &log.node,
                &log.file,
                Some(i + 1),
                None,
                &mut out,
            );
        }
    }
    out
}

fn scan_line(
    catalog: &[Signature],
    line: &str,
    node: &str,
    source: &str,
    line_no: Option<usize>,
    at_ms: Option<u64>,
    out: &mut Vec<SignatureMatch>,
) {
    for s in catalog.iter().filter(|s| !s.text.is_empty()) {
        if let Some(at) = line.find(s.text) {
            out.push(SignatureMatch {
                signature: s.id.to_string(),
                meaning: s.meaning.to_string(),
                node: node.to_string(),
                source: source.to_string(),
                line: line_no,
                excerpt: excerpt(line, at, s.text.len()),
                at_ms,
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
/// let catalog = [Signature { id: "rnacos-unknown-leader",
///     text: "unknown the raft leader addr!", meaning: "no leader" }];
/// let log = |text: &str| NodeLog { node: "n1".into(), file: "console".into(), text: text.into() };
/// let h = History::default();
/// assert_eq!(signatures(&catalog, &h, &[log("all good")]).status, Status::Pass);
/// let v = signatures(&catalog, &h, &[log("unknown the raft leader addr!")]);
/// assert_eq!(v.status, Status::Fail);
/// assert_eq!(v.metrics["matches.rnacos-unknown-leader"], 1.0);
/// ```
pub fn signatures(catalog: &[Signature], history: &History, logs: &[NodeLog]) -> Verdict {
    signatures_tolerating(catalog, history, logs, 0)
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
    if catalog.is_empty() {
        return skip("signatures", "no signatures in the catalog");
    }
    if history.ops.is_empty() && logs.is_empty() {
        return skip(
            "signatures",
            "nothing to scan: no operations or logs recorded",
        );
    }
    let found = matches(catalog, history, logs);
    let mut metrics = BTreeMap::new();
    metrics.insert("matches".into(), found.len() as f64);
    for s in catalog {
        metrics.insert(format!("matches.{}", s.id), 0.0);
    }
    for m in &found {
        *metrics
            .entry(format!("matches.{}", m.signature))
            .or_insert(0.0) += 1.0;
    }
    let api_errors = history.ops.iter().filter(|o| o.error.is_some()).count();
    metrics.insert("api_errors_scanned".into(), api_errors as f64);
    metrics.insert("logs_scanned".into(), logs.len() as f64);
    let lines: usize = logs.iter().map(|l| l.text.lines().count()).sum();
    metrics.insert("log_lines_scanned".into(), lines as f64);

    let mut ev = Vec::new();
    if logs.is_empty() {
        ev.push(evidence(
            "no logs collected: only API error bodies scanned",
            None,
            None,
            None,
        ));
    }
    let mut per: BTreeMap<(&str, &str, &str), Vec<&SignatureMatch>> = BTreeMap::new();
    for m in &found {
        per.entry((m.signature.as_str(), m.node.as_str(), m.source.as_str()))
            .or_default()
            .push(m);
    }
    for ((id, node, source), ms) in &per {
        for m in ms.iter().take(EVIDENCE_PER_SOURCE) {
            let place = m.line.map_or(String::new(), |l| format!(" line {l}"));
            let text = format!(
                "[{id}] {node} {source}{place}: {} — {}",
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
    let in_logs = found
        .iter()
        .filter(|m| !m.source.starts_with("api:"))
        .count();
    let would_pass = found.is_empty() || (in_logs == 0 && (found.len() as u64) <= tolerated);
    if would_pass && logs.is_empty() {
        // Most failure texts are only ever logged: API answers alone cannot clear a run.
        let summary =
            format!("not judged: no node logs collected (only {api_errors} API error(s) scanned)");
        return verdict("signatures", Status::Skip, summary, ev, metrics);
    }
    if found.is_empty() {
        let summary = format!(
            "none of {} known failure text(s) in {api_errors} API error(s) or {} log(s)",
            catalog.len(),
            logs.len()
        );
        return verdict("signatures", Status::Pass, summary, ev, metrics);
    }
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &found {
        *ids.entry(m.signature.as_str()).or_default() += 1;
    }
    if in_logs == 0 && (found.len() as u64) <= tolerated {
        let summary = format!(
            "{} known failure text(s) in API answers, within the {tolerated} tolerated; none in logs",
            found.len()
        );
        return verdict("signatures", Status::Pass, summary, ev, metrics);
    }
    let list: Vec<String> = ids.iter().map(|(id, n)| format!("{id} ×{n}")).collect();
    let summary = format!("known failure text(s) matched: {}", list.join(", "));
    verdict("signatures", Status::Fail, summary, ev, metrics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testkit::{hist, op, publish};
    use crate::flavor::{self, FlavorKind};
    use crate::workload::{OpKind, Outcome};
    use rstest::rstest;

    fn catalog() -> Vec<Signature> {
        flavor::for_kind(FlavorKind::RNacos).signatures()
    }

    fn log(node: &str, file: &str, text: &str) -> NodeLog {
        NodeLog {
            node: node.into(),
            file: file.into(),
            text: text.into(),
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

    fn unknown_leader(node: &str, at: u64) -> crate::workload::Op {
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
    #[case::official_prevote("can't do preVote as it is not in conf", "prevote-not-in-conf")]
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
        let h = hist(vec![crate::workload::Op {
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
}

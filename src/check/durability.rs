//! Durability check: every acknowledged write is readable from every node after heal, and
//! no node shows a value nobody could have written.
//!
//! The exact rules are documented on [`durability`].

use std::collections::{BTreeMap, BTreeSet};

use super::{Evidence, Status, Verdict, clip, evidence, skip, verdict};
use crate::record::{FinalRead, History, Op, OpKind, Outcome};

/// Judge durability of a history's writes against what each node returned after heal.
///
/// The nodes are every node that appears in `final_reads`. A node whose final read of a key
/// failed, or that has no final read of a key, counts as missing what that key requires.
///
/// **Configs** (`publish_config`, read back with `get_config`). Per key, a write `w`
/// *precedes* `y` when `w.end_ms < y.start_ms`. The final content must be one of the
/// *allowed* values: the values of acknowledged (Ok) writes that no other acknowledged write
/// follows (the last acknowledged value; several if the last acknowledged writes were
/// concurrent), plus the value of every Unknown write (an indeterminate write may land at any
/// time after it started, even after the last acknowledged one). A node showing anything
/// else — absent, or an older acknowledged value — has LOST the write. Keys without an
/// acknowledged write require nothing. Definitely failed (Fail) writes never happened. An
/// empty string in a read's values counts as absent.
///
/// **Persistent instances** (`register_persistent`, `deregister`, read back with
/// `list_instances`). Per service and `ip:port`, the instance is required when some
/// acknowledged persistent register `r` cannot have been undone by a deregister: no
/// deregister of it is Unknown (it may land any time) and every Ok deregister ended before
/// `r` started. A required instance missing from a node's list is LOST on that node.
/// Ephemeral registrations are excluded from what is required: they expire by design when
/// their client stops heart-beating. Lost deregisters (resurrected instances) are not judged.
///
/// **Phantoms**: a value a node shows (config content, or `ip:port` of a service) that was
/// never written by an Ok or Unknown write of that key (for instances: a persistent or
/// ephemeral register) — either only ever written by definitely failed ops, or never at all.
///
/// No acknowledged write → Skip, unless a phantom was seen (then FAIL: the phantom proves
/// the violation on its own). Acknowledged writes but no final reads → Skip (unverified).
///
/// FAIL on any lost acknowledged write or any phantom value.
///
/// ```
/// use nacos_chaos::check::{durability, Status};
/// use nacos_chaos::workload::{FinalRead, History, Op, OpKind, Outcome};
/// let mut h = History::default();
/// h.push(Op { id: 0, node: "n1".into(), client: "http".into(), kind: OpKind::PublishConfig,
///     key: "k".into(), value: Some("v1".into()), start_ms: 0, end_ms: 10,
///     outcome: Outcome::Ok, status: Some(200), error: None, read: None });
/// let read = |node: &str, v: &str| FinalRead { node: node.into(), key: "k".into(),
///     kind: OpKind::GetConfig, values: Some(vec![v.into()]), error: None };
/// assert_eq!(durability(&h, &[read("n1", "v1"), read("n2", "v1")]).status, Status::Pass);
/// let v = durability(&h, &[read("n1", "v1"), read("n2", "")]);
/// assert_eq!(v.status, Status::Fail);
/// assert_eq!(v.metrics["lost_writes"], 1.0);
/// ```
pub fn durability(history: &History, final_reads: &[FinalRead]) -> Verdict {
    let a = analyse(history, final_reads);
    let mut metrics = BTreeMap::new();
    metrics.insert("acknowledged_writes".into(), a.acknowledged as f64);
    metrics.insert("unknown_writes".into(), a.unknown as f64);
    metrics.insert("ephemeral_excluded".into(), a.ephemeral as f64);
    metrics.insert("required_values".into(), a.required as f64);
    metrics.insert("lost_writes".into(), a.lost.len() as f64);
    metrics.insert("phantom_writes".into(), a.phantoms.len() as f64);
    metrics.insert("nodes".into(), a.nodes.len() as f64);
    let ev = analysis_evidence(&a);

    let bad = !a.lost.is_empty() || !a.phantoms.is_empty();
    if a.acknowledged == 0 && !bad {
        let reason = format!(
            "no acknowledged writes (publish_config / register_persistent) to verify; \
             {} ephemeral registration(s) excluded",
            a.ephemeral
        );
        return verdict("durability", Status::Skip, reason, ev, metrics);
    }
    if a.nodes.is_empty() {
        let mut v = skip(
            "durability",
            format!(
                "no final reads recorded: {} acknowledged write(s) unverified",
                a.acknowledged
            ),
        );
        v.metrics = metrics;
        v.evidence = ev;
        return v;
    }
    let nodes: Vec<&str> = a.nodes.iter().copied().collect();
    if bad {
        let summary = format!(
            "{} lost acknowledged write(s), {} phantom value(s)",
            a.lost.len(),
            a.phantoms.len()
        );
        verdict("durability", Status::Fail, summary, ev, metrics)
    } else {
        let summary = format!(
            "all {} required value(s) of {} acknowledged write(s) present on {}",
            a.required,
            a.acknowledged,
            nodes.join(", ")
        );
        verdict("durability", Status::Pass, summary, ev, metrics)
    }
}

/// The analysis as evidence: what was excluded or unknown, then every lost write and every
/// phantom value.
fn analysis_evidence(a: &Analysis<'_>) -> Vec<Evidence> {
    let mut ev = Vec::new();
    if a.ephemeral > 0 {
        let text = format!(
            "{} ephemeral registration(s) excluded: ephemeral instances expire by design",
            a.ephemeral
        );
        ev.push(evidence(text, None, None, None));
    }
    if a.unknown > 0 {
        let text = format!(
            "{} write(s) with unknown outcome: may be present or absent",
            a.unknown
        );
        ev.push(evidence(text, None, None, None));
    }
    ev.extend(a.lost.iter().map(lost_evidence));
    ev.extend(a.phantoms.iter().map(phantom_evidence));
    ev
}

/// `LOST config 'k': acknowledged 'v' (op #7, acked at 900 ms) missing on n2 (absent)`.
fn lost_evidence(l: &Lost) -> Evidence {
    let nodes: Vec<String> = l
        .nodes
        .iter()
        .map(|(n, had)| format!("{n} ({had})"))
        .collect();
    let single = (l.nodes.len() == 1).then(|| l.nodes[0].0.as_str());
    let text = format!(
        "LOST {} '{}': acknowledged {} (op #{}, acked at {} ms) missing on {}",
        l.what,
        l.key,
        l.expected,
        l.op_id,
        l.acked_ms,
        nodes.join(", ")
    );
    evidence(text, single, Some(l.acked_ms), Some(l.source.clone()))
}

/// `PHANTOM config 'k': value 'x' on n2 was never written`.
fn phantom_evidence(p: &Phantom) -> Evidence {
    let single = (p.nodes.len() == 1).then(|| p.nodes[0].as_str());
    let why = if p.only_failed {
        "only ever written by definitely failed ops"
    } else {
        "never written"
    };
    let text = format!(
        "PHANTOM {} '{}': value '{}' on {} was {why}",
        p.what,
        p.key,
        clip(&p.value, 80),
        p.nodes.join(", ")
    );
    evidence(text, single, None, Some(p.source.clone()))
}

/// An acknowledged value missing on some nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lost {
    what: &'static str,
    key: String,
    /// Human form of what was required (`'v3'`, `one of 'v3', 'v4'`, `instance 10.0.0.1:80`).
    expected: String,
    op_id: u64,
    acked_ms: u64,
    source: String,
    /// (node, what it had instead).
    nodes: Vec<(String, String)>,
}

/// A value seen that nobody could have written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Phantom {
    what: &'static str,
    key: String,
    value: String,
    only_failed: bool,
    source: String,
    nodes: Vec<String>,
}

#[derive(Debug, Default)]
struct Analysis<'a> {
    nodes: BTreeSet<&'a str>,
    acknowledged: usize,
    unknown: usize,
    ephemeral: usize,
    required: usize,
    lost: Vec<Lost>,
    phantoms: Vec<Phantom>,
}

/// What a node has for a key: Ok(values) or Err(why it has nothing to show).
type Seen<'a> = BTreeMap<&'a str, Result<BTreeSet<&'a str>, String>>;

fn analyse<'a>(history: &'a History, final_reads: &'a [FinalRead]) -> Analysis<'a> {
    let mut a = Analysis {
        nodes: final_reads.iter().map(|r| r.node.as_str()).collect(),
        ..Analysis::default()
    };
    for o in &history.ops {
        match (o.kind, o.outcome) {
            (OpKind::PublishConfig | OpKind::RegisterPersistent, Outcome::Ok) => {
                a.acknowledged += 1
            }
            (OpKind::RegisterEphemeral, _) => a.ephemeral += 1,
            (k, Outcome::Unknown) if k.is_write() => a.unknown += 1,
            _ => {}
        }
    }
    configs(history, final_reads, &mut a);
    instances(history, final_reads, &mut a);
    a
}

/// Per node, what its final read of (kind, key) showed.
fn seen<'a>(final_reads: &'a [FinalRead], kind: OpKind, key: &str) -> Seen<'a> {
    let mut out = Seen::new();
    for r in final_reads
        .iter()
        .filter(|r| r.kind == kind && r.key == key)
    {
        let v = match &r.values {
            Some(vs) => Ok(vs
                .iter()
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .collect()),
            None => Err(format!(
                "read failed: {}",
                clip(r.error.as_deref().unwrap_or("no error text"), 120)
            )),
        };
        out.insert(r.node.as_str(), v);
    }
    out
}

/// What a node had, for evidence.
fn had(s: Option<&Result<BTreeSet<&str>, String>>) -> String {
    match s {
        None => "no final read recorded".into(),
        Some(Err(e)) => e.clone(),
        Some(Ok(v)) if v.is_empty() => "absent".into(),
        Some(Ok(v)) => {
            let vs: Vec<String> = v.iter().map(|x| format!("'{}'", clip(x, 60))).collect();
            format!("has {}", vs.join(", "))
        }
    }
}

fn keys<'a>(
    history: &'a History,
    final_reads: &'a [FinalRead],
    write: &[OpKind],
    read: OpKind,
) -> BTreeSet<&'a str> {
    let w = history
        .ops
        .iter()
        .filter(|o| write.contains(&o.kind))
        .map(|o| o.key.as_str());
    let r = final_reads
        .iter()
        .filter(|r| r.kind == read)
        .map(|r| r.key.as_str());
    w.chain(r).collect()
}

fn phantoms_of(
    what: &'static str,
    key: &str,
    source: &str,
    seen: &Seen<'_>,
    writes: &[&Op],
    out: &mut Vec<Phantom>,
) {
    let possible: BTreeSet<&str> = writes
        .iter()
        .filter(|w| w.outcome != Outcome::Fail)
        .filter_map(|w| w.value.as_deref())
        .collect();
    let mut by_value: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (node, s) in seen {
        for v in s.iter().flatten().filter(|v| !possible.contains(**v)) {
            by_value.entry(v).or_default().push(node.to_string());
        }
    }
    for (value, nodes) in by_value {
        let only_failed = writes.iter().any(|w| w.value.as_deref() == Some(value));
        out.push(Phantom {
            what,
            key: key.into(),
            value: value.into(),
            only_failed,
            source: source.into(),
            nodes,
        });
    }
}

fn configs(history: &History, final_reads: &[FinalRead], a: &mut Analysis<'_>) {
    let source = "final:get_config";
    for key in keys(
        history,
        final_reads,
        &[OpKind::PublishConfig],
        OpKind::GetConfig,
    ) {
        let writes: Vec<&Op> = history
            .ops
            .iter()
            .filter(|o| o.kind == OpKind::PublishConfig && o.key == key && o.value.is_some())
            .collect();
        let seen = seen(final_reads, OpKind::GetConfig, key);
        phantoms_of("config", key, source, &seen, &writes, &mut a.phantoms);

        let acked: Vec<&Op> = writes
            .iter()
            .copied()
            .filter(|w| w.outcome == Outcome::Ok)
            .collect();
        // Acknowledged writes no other acknowledged write follows.
        let last: Vec<&Op> = acked
            .iter()
            .copied()
            .filter(|w| !acked.iter().any(|y| w.end_ms < y.start_ms))
            .collect();
        let Some(newest) = last.iter().max_by_key(|w| (w.end_ms, w.id)) else {
            continue;
        };
        let allowed: BTreeSet<&str> = last
            .iter()
            .chain(writes.iter().filter(|w| w.outcome == Outcome::Unknown))
            .filter_map(|w| w.value.as_deref())
            .collect();
        a.required += 1;
        let missing: Vec<(String, String)> = a
            .nodes
            .iter()
            .filter(
                |n| !matches!(seen.get(**n), Some(Ok(v)) if v.iter().any(|x| allowed.contains(x))),
            )
            .map(|n| (n.to_string(), had(seen.get(*n))))
            .collect();
        if !missing.is_empty() {
            let vals: Vec<String> = allowed
                .iter()
                .map(|v| format!("'{}'", clip(v, 60)))
                .collect();
            let expected = if vals.len() == 1 {
                format!("value {}", vals[0])
            } else {
                format!("value (one of {})", vals.join(", "))
            };
            a.lost.push(Lost {
                what: "config",
                key: key.into(),
                expected,
                op_id: newest.id,
                acked_ms: newest.end_ms,
                source: source.into(),
                nodes: missing,
            });
        }
    }
}

fn instances(history: &History, final_reads: &[FinalRead], a: &mut Analysis<'_>) {
    let source = "final:list_instances";
    let regs = [OpKind::RegisterPersistent, OpKind::RegisterEphemeral];
    for key in keys(history, final_reads, &regs, OpKind::ListInstances) {
        let writes: Vec<&Op> = history
            .ops
            .iter()
            .filter(|o| regs.contains(&o.kind) && o.key == key && o.value.is_some())
            .collect();
        let seen = seen(final_reads, OpKind::ListInstances, key);
        phantoms_of("instance of", key, source, &seen, &writes, &mut a.phantoms);

        let values: BTreeSet<&str> = writes.iter().filter_map(|w| w.value.as_deref()).collect();
        for value in values {
            let deregs: Vec<&Op> = history
                .ops
                .iter()
                .filter(|o| o.kind == OpKind::Deregister && o.key == key)
                .filter(|o| o.value.as_deref() == Some(value) && o.outcome != Outcome::Fail)
                .collect();
            // An acknowledged persistent register no deregister can have undone.
            let survivor = writes
                .iter()
                .filter(|w| w.kind == OpKind::RegisterPersistent && w.outcome == Outcome::Ok)
                .filter(|w| w.value.as_deref() == Some(value))
                .filter(|r| {
                    deregs
                        .iter()
                        .all(|d| d.outcome == Outcome::Ok && d.end_ms < r.start_ms)
                })
                .max_by_key(|r| (r.end_ms, r.id));
            let Some(r) = survivor else { continue };
            a.required += 1;
            let missing: Vec<(String, String)> = a
                .nodes
                .iter()
                .filter(|n| !matches!(seen.get(**n), Some(Ok(v)) if v.contains(value)))
                .map(|n| (n.to_string(), had(seen.get(*n))))
                .collect();
            if !missing.is_empty() {
                a.lost.push(Lost {
                    what: "instance of",
                    key: key.into(),
                    expected: format!("persistent instance {value}"),
                    op_id: r.id,
                    acked_ms: r.end_ms,
                    source: source.into(),
                    nodes: missing,
                });
            }
        }
    }
}

#[cfg(test)]
#[path = "durability_tests.rs"]
mod tests;

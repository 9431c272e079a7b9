//! Reads after heal: every written config key and every probed service, from every
//! configured node, repeated until the nodes agree — replication lag is not loss — or until
//! waiting longer cannot help.
//!
//! Waiting stops at the first of: every node agrees; `settle` has passed; or nothing has
//! changed for the flavor's [election window](crate::flavor::Flavor::election_window) plus a
//! margin. A cluster that is still catching up changes between rounds; one that has not
//! changed for longer than an election takes is stuck (leaderless after an IP change, say),
//! and its last round is the answer whether we wait 6 s or 15 s more.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::probe::{Request, send};
use super::runner::endpoints;
use crate::cluster::Cluster;
use crate::poll::Poll;
use crate::record::{FinalRead, History, OpKind, Outcome};

/// Interval between rounds of [`final_reads`].
const FINAL_READ_EVERY: Duration = Duration::from_millis(500);
/// Stillness beyond the election window before a disagreeing cluster counts as stuck: one
/// r-nacos heartbeat (1000 ms, `src/starter.rs` at v0.7.3).
const QUIET_MARGIN: Duration = Duration::from_millis(1000);
/// Reads in flight at once within a round.
const READS_AT_ONCE: usize = 16;

/// After heal: read every written key from every node until all agree (see the module
/// docs for when waiting stops). Returns the last round.
pub async fn final_reads(
    cluster: &Cluster,
    history: &History,
    timeout: Duration,
    settle: Duration,
) -> Vec<FinalRead> {
    let quiet = cluster.flavor().election_window(&cluster.spec().version) + QUIET_MARGIN;
    let mut poll = Poll::new("nodes to agree on every read", settle).every(FINAL_READ_EVERY);
    let mut still = Stillness::new(quiet);
    loop {
        let round = final_reads_once(cluster, history, timeout).await;
        if agree(&round) || still.is_stuck(&round) || poll.next(String::new()).await.is_err() {
            return round;
        }
    }
}

/// How long the rounds have stayed the same.
struct Stillness {
    quiet: Duration,
    last: Option<Vec<FinalRead>>,
    since: Instant,
}

impl Stillness {
    fn new(quiet: Duration) -> Self {
        Stillness {
            quiet,
            last: None,
            since: Instant::now(),
        }
    }

    /// Record a round; true once rounds have been identical for `quiet`.
    fn is_stuck(&mut self, round: &[FinalRead]) -> bool {
        if self.last.as_deref() != Some(round) {
            self.last = Some(round.to_vec());
            self.since = Instant::now();
            return false;
        }
        self.since.elapsed() >= self.quiet
    }
}

fn agree(reads: &[FinalRead]) -> bool {
    use std::collections::BTreeMap;
    let mut by_key: BTreeMap<(&str, OpKind), Vec<Option<Vec<String>>>> = BTreeMap::new();
    for r in reads {
        let mut v = r.values.clone();
        if let Some(v) = v.as_mut() {
            v.sort();
        }
        by_key.entry((r.key.as_str(), r.kind)).or_default().push(v);
    }
    by_key
        .values()
        .all(|vs| vs.iter().all(|v| v.is_some() && v == &vs[0]))
}

/// The distinct keys operations of one kind touched, sorted.
fn distinct_keys(history: &History, kind: OpKind) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> = history
        .ops
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| o.key.as_str())
        .collect();
    set.into_iter().map(String::from).collect()
}

/// Every read of one round, for configured nodes (scaled-in or never-started nodes hold
/// nothing to read back).
fn round_requests(cluster: &Cluster, history: &History) -> Vec<(String, Option<String>, Request)> {
    let keys = distinct_keys(history, OpKind::PublishConfig);
    // Every service a persistent instance was registered into (HTTP and SDK probes).
    let services = distinct_keys(history, OpKind::RegisterPersistent);
    let reads = keys
        .iter()
        .map(|k| (OpKind::GetConfig, k))
        .chain(services.iter().map(|s| (OpKind::ListInstances, s)));
    let reads: Vec<(OpKind, &String)> = reads.collect();
    let mut out = vec![];
    for ep in endpoints(cluster)
        .into_iter()
        .filter(|e| cluster.is_configured(&e.node))
    {
        for (kind, key) in &reads {
            let req = Request {
                kind: *kind,
                key: (*key).clone(),
                value: None,
            };
            out.push((ep.node.clone(), ep.base.clone(), req));
        }
    }
    out
}

/// One round, `READS_AT_ONCE` reads in flight, results in request order.
async fn final_reads_once(
    cluster: &Cluster,
    history: &History,
    timeout: Duration,
) -> Vec<FinalRead> {
    let api = cluster.flavor().api(&cluster.spec().version);
    let api = &api;
    futures_util::stream::iter(round_requests(cluster, history))
        .map(|(node, base, r)| async move {
            let (values, error) = match &base {
                None => (None, Some("node not running".to_string())),
                Some(base) => {
                    let op = send(
                        cluster.http(),
                        base,
                        api,
                        &node,
                        &r,
                        cluster.epoch(),
                        timeout,
                    )
                    .await;
                    if op.outcome == Outcome::Ok {
                        (op.read, None)
                    } else {
                        (None, op.error)
                    }
                }
            };
            FinalRead {
                node,
                key: r.key,
                kind: r.kind,
                values,
                error,
            }
        })
        .buffered(READS_AT_ONCE)
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(node: &str, values: Option<&[&str]>) -> FinalRead {
        FinalRead {
            node: node.into(),
            key: "k".into(),
            kind: OpKind::GetConfig,
            values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
            error: values.is_none().then(|| "timeout".to_string()),
        }
    }

    #[test]
    fn agreement_needs_every_node_to_answer_the_same() {
        assert!(agree(&[read("n1", Some(&["a"])), read("n2", Some(&["a"]))]));
        assert!(!agree(&[
            read("n1", Some(&["a"])),
            read("n2", Some(&["b"]))
        ]));
        assert!(!agree(&[read("n1", Some(&["a"])), read("n2", None)]));
    }

    #[test]
    fn a_changing_cluster_is_never_stuck_and_a_still_one_is_after_the_quiet_period() {
        let mut s = Stillness::new(Duration::ZERO);
        let a = vec![read("n1", Some(&["a"])), read("n2", None)];
        let b = vec![read("n1", Some(&["a"])), read("n2", Some(&["b"]))];
        // Every change restarts the clock, whatever the quiet period.
        assert!(!s.is_stuck(&a));
        assert!(!s.is_stuck(&b));
        assert!(!s.is_stuck(&a));
        // The same round again, with a zero quiet period, is stuck at once.
        assert!(s.is_stuck(&a));
        let mut patient = Stillness::new(Duration::from_secs(3600));
        assert!(!patient.is_stuck(&a));
        assert!(!patient.is_stuck(&a), "an hour has not passed");
    }
}

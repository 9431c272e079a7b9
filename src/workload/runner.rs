//! The continuous workload: one task per node sending a bounded, rate-limited mix of
//! operations, recording every one into a shared [`History`]. Node endpoints are updated by
//! the scenario runner after every step (ports change when containers are recreated).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::probe::{KeySpace, SERVICE, Writer, next_request, send};
use crate::cluster::{Cluster, NodeState};
use crate::flavor::ApiPaths;
use crate::record::{History, Op, OpKind};

/// The HTTP probe's key space (the SDK probe has its own).
const HTTP_KEYS: KeySpace<'static> = KeySpace {
    key_prefix: "chaos-",
    value_prefix: "v",
    service: SERVICE,
    port_base: 20000,
    port_stride: 10000,
    port_span: 40000,
};

/// Workload parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadSpec {
    /// Operations per second per node.
    pub rate_per_node: f64,
    /// The mix, cycled in order.
    pub ops: Vec<OpKind>,
    /// Per-operation timeout.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Also probe every node through the official Rust client (`nacos-sdk`, gRPC), with the
    /// same mix and rate (needs the `grpc-probe` feature; see [`WorkloadSpec::validate`]).
    #[serde(default)]
    pub sdk: bool,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            rate_per_node: 4.0,
            ops: vec![
                OpKind::PublishConfig,
                OpKind::GetConfig,
                OpKind::RegisterPersistent,
                OpKind::ListInstances,
            ],
            timeout: Duration::from_secs(3),
            sdk: false,
        }
    }
}

impl WorkloadSpec {
    /// Check the spec can run in this build: `sdk = true` needs the `grpc-probe` feature.
    ///
    /// ```
    /// use nacos_chaos::workload::WorkloadSpec;
    /// assert!(WorkloadSpec::default().validate().is_ok());
    /// let sdk = WorkloadSpec { sdk: true, ..Default::default() };
    /// assert_eq!(sdk.validate().is_ok(), cfg!(feature = "grpc-probe"));
    /// ```
    pub fn validate(&self) -> crate::Result<()> {
        if self.sdk && !cfg!(feature = "grpc-probe") {
            return Err(crate::Error::Unsupported {
                flavor: "this build".into(),
                what: "the SDK probe (workload sdk = true)".into(),
                why: "nacos-chaos was built without the `grpc-probe` cargo feature; rebuild \
                      with `--features grpc-probe` (on by default)"
                    .into(),
            });
        }
        Ok(())
    }
}

/// A node endpoint as the workload sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Node name.
    pub node: String,
    /// Base URL while the node is running.
    pub base: Option<String>,
    /// Host port the node's gRPC port is published on, while it is running.
    pub grpc: Option<u16>,
    /// Out of rotation: probes skip it.
    pub drained: bool,
}

/// Endpoints of a cluster's nodes right now.
pub fn endpoints(cluster: &Cluster) -> Vec<Endpoint> {
    cluster
        .nodes()
        .iter()
        .map(|n| Endpoint {
            node: n.name().to_string(),
            base: if n.state == NodeState::Running {
                n.base_url()
            } else {
                None
            },
            grpc: n.grpc_port.filter(|_| n.state == NodeState::Running),
            drained: false,
        })
        .collect()
}

/// A running workload.
pub struct Workload {
    history: Arc<Mutex<History>>,
    ops_at_start: usize,
    drained: std::collections::BTreeSet<String>,
    endpoints: watch::Sender<Vec<Endpoint>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workload {
    /// Start probing every node of `cluster`: the run's first workload session. Written
    /// instance IPs are inside the run's own subnet (never anyone else's address). With
    /// `spec.sdk`, each node also gets an SDK probe task (see
    /// [`crate::workload::SdkClients`]).
    ///
    /// Panics if `spec.sdk` is set in a build without the `grpc-probe` feature: call
    /// [`WorkloadSpec::validate`] first.
    pub fn start(cluster: &Cluster, spec: &WorkloadSpec) -> Self {
        Self::resume(cluster, spec, History::default())
    }

    /// Start the next workload session of a run whose history so far is `history`: the
    /// new session appends to it (ids go on), and every probe counts its ticks on from
    /// where it stopped, so no write repeats one of an earlier session.
    ///
    /// Panics like [`Workload::start`].
    pub fn resume(cluster: &Cluster, spec: &WorkloadSpec, mut history: History) -> Self {
        if let Err(e) = spec.validate() {
            panic!("{e}");
        }
        history.sessions += 1;
        let ops_at_start = history.ops.len();
        let tag = format!("{}.s{}", cluster.run_id(), history.sessions);
        let history = Arc::new(Mutex::new(history));
        let (ep_tx, ep_rx) = watch::channel(endpoints(cluster));
        let (stop_tx, stop_rx) = watch::channel(false);
        let api = cluster.flavor().api(&cluster.spec().version);
        let net = cluster.network().clone();
        let epoch = cluster.epoch();
        let period = Duration::from_secs_f64(1.0 / spec.rate_per_node.max(0.01));
        let mut tasks = vec![];
        for (i, n) in cluster.nodes().iter().enumerate() {
            let ctx = Ctx {
                node: n.name().to_string(),
                index: i,
                tag: tag.clone(),
                api: api.clone(),
                http: cluster.http().clone(),
                history: history.clone(),
                endpoints: ep_rx.clone(),
                stop: stop_rx.clone(),
                ops: spec.ops.clone(),
                timeout: spec.timeout,
                epoch,
                subnet_octet: net.octet,
            };
            tasks.push(tokio::spawn(node_loop(ctx, period)));
            #[cfg(feature = "grpc-probe")]
            if spec.sdk {
                let ctx = super::sdk::SdkCtx {
                    node: n.name().to_string(),
                    index: i,
                    tag: tag.clone(),
                    history: history.clone(),
                    endpoints: ep_rx.clone(),
                    stop: stop_rx.clone(),
                    ops: spec.ops.clone(),
                    timeout: spec.timeout,
                    epoch,
                    subnet_octet: net.octet,
                    service: super::sdk::sdk_service(cluster.run_id()),
                };
                tasks.push(tokio::spawn(super::sdk::sdk_loop(ctx, period)));
            }
        }
        Workload {
            history,
            ops_at_start,
            drained: Default::default(),
            endpoints: ep_tx,
            stop: stop_tx,
            tasks,
        }
    }

    /// Tell the probes where the nodes are now.
    pub fn update(&self, cluster: &Cluster) {
        let mut eps = endpoints(cluster);
        for e in &mut eps {
            e.drained = self.drained.contains(&e.node);
        }
        let _ = self.endpoints.send(eps);
    }

    /// Take a node out of (or back into) rotation, as a load balancer's readiness check
    /// would: while drained, no operation is sent to it and none is recorded.
    pub fn drain(&mut self, cluster: &Cluster, node: &str, drained: bool) {
        if drained {
            self.drained.insert(node.to_string());
        } else {
            self.drained.remove(node);
        }
        self.update(cluster);
    }

    /// How many operations the run's history held when this session started.
    pub fn ops_at_start(&self) -> usize {
        self.ops_at_start
    }

    /// A copy of the history so far.
    pub fn snapshot(&self) -> History {
        self.history.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Stop all probes (in-flight operations finish, bounded by their timeout) and return
    /// the run's history: every session's operations, this one's appended.
    pub async fn stop(self) -> History {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.history.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

struct Ctx {
    node: String,
    index: usize,
    tag: String,
    api: ApiPaths,
    http: reqwest::Client,
    history: Arc<Mutex<History>>,
    endpoints: watch::Receiver<Vec<Endpoint>>,
    stop: watch::Receiver<bool>,
    ops: Vec<OpKind>,
    timeout: Duration,
    epoch: Instant,
    subnet_octet: u8,
}

/// The probes' shared schedule: one tick per period, the operation mix cycled in order,
/// until the workload is stopped. Ticks count on across sessions: the schedule of probe
/// `probe` (`http/n1`) starts after the last tick the run's history records for it, and
/// records each tick it hands out there.
pub(crate) struct Schedule {
    ticker: tokio::time::Interval,
    stop: watch::Receiver<bool>,
    ops: Vec<OpKind>,
    history: Arc<Mutex<History>>,
    probe: String,
    seq: u64,
}

impl Schedule {
    pub(crate) fn new(
        period: Duration,
        stop: watch::Receiver<bool>,
        ops: Vec<OpKind>,
        history: Arc<Mutex<History>>,
        probe: String,
    ) -> Self {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let seq = history
            .lock()
            .ok()
            .and_then(|h| h.ticks.get(&probe).copied())
            .unwrap_or(0);
        Schedule {
            ticker,
            stop,
            ops,
            history,
            probe,
            seq,
        }
    }

    /// The next operation kind and its 1-based sequence number (unique for the probe over
    /// the whole run); None once stopped.
    pub(crate) async fn next(&mut self) -> Option<(OpKind, u64)> {
        tokio::select! {
            _ = self.ticker.tick() => {}
            _ = self.stop.changed() => return None,
        }
        if *self.stop.borrow() || self.ops.is_empty() {
            return None;
        }
        let kind = self.ops[(self.seq as usize) % self.ops.len()];
        self.seq += 1;
        if let Ok(mut h) = self.history.lock() {
            h.ticks.insert(self.probe.clone(), self.seq);
        }
        Some((kind, self.seq))
    }
}

async fn node_loop(ctx: Ctx, period: Duration) {
    let mut schedule = Schedule::new(
        period,
        ctx.stop.clone(),
        ctx.ops.clone(),
        ctx.history.clone(),
        format!("http/{}", ctx.node),
    );
    let mut last_key: Option<String> = None;
    let writer = Writer {
        node: &ctx.node,
        index: ctx.index,
        octet: ctx.subnet_octet,
        tag: &ctx.tag,
    };
    while let Some((kind, seq)) = schedule.next().await {
        let (base, drained) = ctx
            .endpoints
            .borrow()
            .get(ctx.index)
            .map(|e| (e.base.clone(), e.drained))
            .unwrap_or((None, false));
        if drained {
            continue;
        }
        let req = next_request(&HTTP_KEYS, &writer, kind, seq, &mut last_key);
        let op = match base {
            Some(base) => {
                send(
                    &ctx.http,
                    &base,
                    &ctx.api,
                    &ctx.node,
                    &req,
                    ctx.epoch,
                    ctx.timeout,
                )
                .await
            }
            None => {
                // The node is down by the harness's own hand: record a refused operation so
                // availability reflects it, without sending traffic anywhere.
                let now = ctx.epoch.elapsed().as_millis() as u64;
                Op::unsent(&ctx.node, "http", req, now, "node not running")
            }
        };
        if let Ok(mut h) = ctx.history.lock() {
            h.push(op);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writes one probe of `n1` sends in `ticks` ticks of session `session`, continuing
    /// the run's `history` exactly as [`Workload::resume`] does.
    async fn session_writes(
        history: &Arc<Mutex<History>>,
        session: u32,
        ticks: usize,
    ) -> Vec<(String, String)> {
        let (_stop_tx, stop_rx) = watch::channel(false);
        let ops = vec![OpKind::PublishConfig, OpKind::RegisterPersistent];
        let mut schedule = Schedule::new(
            Duration::from_millis(1),
            stop_rx,
            ops,
            history.clone(),
            "http/n1".into(),
        );
        let tag = format!("r1.s{session}");
        let w = Writer {
            node: "n1",
            index: 0,
            octet: 9,
            tag: &tag,
        };
        let mut last = None;
        let mut out = vec![];
        for _ in 0..ticks {
            let (kind, seq) = schedule.next().await.expect("not stopped");
            let r = next_request(&HTTP_KEYS, &w, kind, seq, &mut last);
            out.push((r.key, r.value.expect("a write")));
        }
        out
    }

    #[tokio::test]
    async fn a_later_session_never_repeats_an_earlier_sessions_write() {
        let history = Arc::new(Mutex::new(History::default()));
        let mut writes = session_writes(&history, 1, 40).await;
        // The workload was switched off (a restart, say) and on again.
        writes.extend(session_writes(&history, 2, 40).await);
        let configs: std::collections::BTreeSet<_> = writes
            .iter()
            .filter(|(k, _)| k.starts_with("chaos-"))
            .collect();
        let instances: std::collections::BTreeSet<_> = writes
            .iter()
            .filter(|(k, _)| !k.starts_with("chaos-"))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(configs.len(), 40, "config writes repeat: {writes:?}");
        assert_eq!(instances.len(), 40, "instance writes repeat: {writes:?}");
        assert_eq!(history.lock().unwrap().ticks["http/n1"], 80);
    }
}

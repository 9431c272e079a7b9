//! Faults (the nemesis): each applied, proven in place by read-back, and healed.
//!
//! A fault whose read-back fails is an error: the run fails with the reason instead of
//! pretending the fault was in place.
//!
//! ```no_run
//! use nacos_chaos::fault::{Fault, Targets, Nemesis};
//! # async fn f(cluster: &mut nacos_chaos::cluster::Cluster) -> nacos_chaos::Result<()> {
//! let mut nemesis = Nemesis::default();
//! let fault = Fault::Latency { nodes: Targets::Leader, delay_ms: 200, jitter_ms: 20, loss: 0.0, peers: None };
//! let id = nemesis.apply(cluster, &fault).await?;
//! nemesis.heal(cluster, &id).await?;
//! # Ok(()) }
//! ```

mod clock;
mod data;
mod identity;
mod kind;
mod network;
mod phantom;
mod process;
mod rtt;
mod targets;
mod window;

pub(crate) use clock::days_from_civil;
pub use clock::{clock_offset_s, parse_http_date};
pub use kind::FaultKind;
pub use network::NetOptions;
pub use rtt::{measure_rtt_ms, parse_ping_avg, parse_ping_loss, ping};
pub use targets::Targets;
pub use window::FaultWindow;

use serde::{Deserialize, Serialize};

use crate::cluster::{Cluster, MembershipPolicy};
use crate::error::Result;

/// How a partition splits the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Partition {
    /// Cut the targets off from every other node (both directions).
    Isolate(Targets),
    /// Cut `a` from `b` (both directions).
    Split {
        /// One side.
        a: Targets,
        /// Other side.
        b: Targets,
    },
    /// Drop packets from `from` to `to` only.
    OneWay {
        /// Senders whose packets are dropped.
        from: Targets,
        /// Receivers.
        to: Targets,
    },
}

/// How a `dns` fault's name misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsMode {
    /// The name does not resolve.
    #[default]
    Unresolvable,
    /// The name resolves after `delay_ms`.
    Slow,
    /// The name resolves to an address the node no longer has.
    Stale,
}

/// A fault a scenario can inject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Restart the targets with new static IPs, data volumes kept.
    IpChange {
        /// Which nodes.
        nodes: Targets,
        /// Whether the membership servers are told follows the new IPs or stays stale.
        #[serde(default)]
        membership: MembershipPolicy,
    },
    /// Delay (and optionally drop) the targets' outgoing packets.
    Latency {
        /// Which nodes.
        nodes: Targets,
        /// Mean delay.
        delay_ms: u64,
        /// Uniform jitter ±.
        #[serde(default)]
        jitter_ms: u64,
        /// Loss probability (0..1).
        #[serde(default)]
        loss: f64,
        /// Only towards these peers (default: all traffic).
        #[serde(default)]
        peers: Option<Targets>,
    },
    /// Drop a fraction of the targets' outgoing packets.
    Loss {
        /// Which nodes.
        nodes: Targets,
        /// Probability (0..1).
        probability: f64,
    },
    /// Limit the targets' egress bandwidth.
    Bandwidth {
        /// Which nodes.
        nodes: Targets,
        /// Rate in kbit/s.
        rate_kbit: u32,
    },
    /// Network partition.
    Partition {
        /// Shape.
        partition: Partition,
    },
    /// SIGKILL the targets (data kept; healed by starting them).
    Kill {
        /// Which nodes.
        nodes: Targets,
    },
    /// Graceful stop (healed by starting).
    Stop {
        /// Which nodes.
        nodes: Targets,
    },
    /// Freeze (healed by unpausing).
    Pause {
        /// Which nodes.
        nodes: Targets,
    },
    /// Stop then start the targets together, data and IPs kept.
    Restart {
        /// Which nodes.
        nodes: Targets,
    },
    /// Stop the targets, delete their Raft state, start them again.
    WipeRaft {
        /// Which nodes.
        nodes: Targets,
    },
    /// Copy a node's data dir aside under a name.
    SnapshotData {
        /// Which node.
        node: Targets,
        /// Snapshot name.
        name: String,
    },
    /// Stop a node, replace its data dir with a named snapshot, start it.
    RestoreData {
        /// Which node.
        node: Targets,
        /// Snapshot name.
        name: String,
    },
    /// Stop `to`, replace its data dir with `from`'s, start it.
    CloneData {
        /// Source node.
        from: Targets,
        /// Destination node.
        to: Targets,
    },
    /// Start an extra, misconfigured node pointing at the cluster (healed by removing it).
    PhantomPeer {
        /// Claim this existing node's id instead of a new one.
        #[serde(default)]
        as_node: Option<usize>,
    },
    /// A node's name stops resolving for some or all peers, resolves slowly, or resolves to
    /// a stale address (healed by restoring the name).
    Dns {
        /// Whose name.
        nodes: Targets,
        /// For which peers (default: all).
        #[serde(default)]
        peers: Option<Targets>,
        /// How the name misbehaves.
        #[serde(default)]
        mode: DnsMode,
        /// Extra resolution delay (`mode = "slow"` only).
        #[serde(default)]
        delay_ms: Option<u64>,
    },
    /// Skew a node's clock.
    ClockSkew {
        /// Which nodes.
        nodes: Targets,
        /// Offset in seconds (may be negative).
        offset_s: i64,
    },
}

impl Fault {
    /// The fault's kind; its name is what windows and reports record, and equals the
    /// suite's `kind` tag.
    ///
    /// ```
    /// use nacos_chaos::fault::{Fault, FaultKind, Targets};
    /// assert_eq!(Fault::Kill { nodes: Targets::All }.kind(), FaultKind::Kill);
    /// assert_eq!(Fault::Kill { nodes: Targets::All }.kind().as_str(), "kill");
    /// ```
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::IpChange { .. } => FaultKind::IpChange,
            Fault::Latency { .. } => FaultKind::Latency,
            Fault::Loss { .. } => FaultKind::Loss,
            Fault::Bandwidth { .. } => FaultKind::Bandwidth,
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::Kill { .. } => FaultKind::Kill,
            Fault::Stop { .. } => FaultKind::Stop,
            Fault::Pause { .. } => FaultKind::Pause,
            Fault::Restart { .. } => FaultKind::Restart,
            Fault::WipeRaft { .. } => FaultKind::WipeRaft,
            Fault::SnapshotData { .. } => FaultKind::SnapshotData,
            Fault::RestoreData { .. } => FaultKind::RestoreData,
            Fault::CloneData { .. } => FaultKind::CloneData,
            Fault::PhantomPeer { .. } => FaultKind::PhantomPeer,
            Fault::ClockSkew { .. } => FaultKind::ClockSkew,
            Fault::Dns { .. } => FaultKind::Dns,
        }
    }

    /// The nodes a fault applied while the nodes boot waits for (it is applied as soon as
    /// all of them are up): `None` for a fault that cannot be active during boot (it needs a
    /// running cluster, or its targets are resolved from the cluster's state).
    ///
    /// ```
    /// use nacos_chaos::fault::{Fault, Targets};
    /// let f = Fault::Loss { nodes: Targets::Nodes(vec![3]), probability: 0.5 };
    /// assert_eq!(f.boot_targets(), Some(vec![3]));
    /// assert_eq!(Fault::Kill { nodes: Targets::Nodes(vec![3]) }.boot_targets(), None);
    /// ```
    pub fn boot_targets(&self) -> Option<Vec<usize>> {
        match self {
            Fault::Latency {
                nodes: Targets::Nodes(v),
                peers: None,
                ..
            }
            | Fault::Loss {
                nodes: Targets::Nodes(v),
                ..
            }
            | Fault::Bandwidth {
                nodes: Targets::Nodes(v),
                ..
            }
            | Fault::Dns {
                nodes: Targets::Nodes(v),
                ..
            } => Some(v.clone()),
            _ => None,
        }
    }

    /// Faults that are done once applied (nothing to heal).
    pub fn is_instant(&self) -> bool {
        matches!(
            self,
            Fault::IpChange { .. }
                | Fault::Restart { .. }
                | Fault::WipeRaft { .. }
                | Fault::SnapshotData { .. }
                | Fault::RestoreData { .. }
                | Fault::CloneData { .. }
        )
    }
}

/// What must be undone to heal an applied fault.
#[derive(Debug, Clone)]
enum Undo {
    Nothing,
    Network(Vec<usize>, Vec<String>),
    Start(Vec<usize>),
    Unpause(Vec<usize>),
    Remove(String),
    Clock(Vec<usize>),
}

#[derive(Debug, Clone)]
struct Active {
    window: FaultWindow,
    undo: Undo,
}

/// Applies faults, remembers how to heal them, and records their windows.
#[derive(Debug, Default)]
pub struct Nemesis {
    active: Vec<Active>,
    done: Vec<FaultWindow>,
    counter: usize,
    /// Options for network helpers (tests use them to make a helper fail on purpose).
    pub net: NetOptions,
}

impl Nemesis {
    /// A nemesis whose network helpers run with these options.
    pub fn with_net(net: NetOptions) -> Self {
        Nemesis {
            net,
            ..Default::default()
        }
    }

    /// Apply a fault, prove it is in place, and return its id.
    pub async fn apply(&mut self, cluster: &mut Cluster, fault: &Fault) -> Result<String> {
        self.counter += 1;
        let id = format!("f{}", self.counter);
        let start_ms = cluster.now_ms();
        let (targets, description, proof, undo) = match fault {
            Fault::IpChange { nodes, membership } => {
                let t = nodes.resolve(cluster).await?;
                let proof = identity::ip_change(cluster, &t, *membership).await?;
                (
                    t,
                    format!("new IPs, membership {membership:?}"),
                    proof,
                    Undo::Nothing,
                )
            }
            Fault::Latency {
                nodes,
                delay_ms,
                jitter_ms,
                loss,
                peers,
            } => {
                let t = nodes.resolve(cluster).await?;
                let p = match peers {
                    Some(p) => Some(p.resolve(cluster).await?),
                    None => None,
                };
                let (proof, helpers) = network::latency(
                    cluster,
                    &id,
                    &t,
                    *delay_ms,
                    *jitter_ms,
                    *loss,
                    p.as_deref(),
                    &self.net,
                )
                .await?;
                (
                    t.clone(),
                    format!("{delay_ms}ms ±{jitter_ms}ms, loss {loss}"),
                    proof,
                    Undo::Network(t, helpers),
                )
            }
            Fault::Loss { nodes, probability } => {
                let t = nodes.resolve(cluster).await?;
                let proof = network::loss(cluster, &t, *probability, &self.net).await?;
                (
                    t.clone(),
                    format!("loss {probability}"),
                    proof,
                    Undo::Network(t, vec![]),
                )
            }
            Fault::Bandwidth { nodes, rate_kbit } => {
                let t = nodes.resolve(cluster).await?;
                let proof = network::bandwidth(cluster, &t, *rate_kbit, &self.net).await?;
                (
                    t.clone(),
                    format!("{rate_kbit} kbit/s"),
                    proof,
                    Undo::Network(t, vec![]),
                )
            }
            Fault::Partition { partition } => {
                let (t, desc, proof) = network::partition(cluster, partition, &self.net).await?;
                (t.clone(), desc, proof, Undo::Network(t, vec![]))
            }
            Fault::Kill { nodes } => {
                let t = nodes.resolve(cluster).await?;
                let proof = process::kill(cluster, &t).await?;
                (t.clone(), "SIGKILL".into(), proof, Undo::Start(t))
            }
            Fault::Stop { nodes } => {
                let t = nodes.resolve(cluster).await?;
                let proof = process::stop(cluster, &t).await?;
                (t.clone(), "graceful stop".into(), proof, Undo::Start(t))
            }
            Fault::Pause { nodes } => {
                let t = nodes.resolve(cluster).await?;
                let proof = process::pause(cluster, &t).await?;
                (t.clone(), "paused".into(), proof, Undo::Unpause(t))
            }
            Fault::Restart { nodes } => {
                let t = nodes.resolve(cluster).await?;
                let proof = process::restart(cluster, &t).await?;
                (t, "restart, data and IPs kept".into(), proof, Undo::Nothing)
            }
            Fault::WipeRaft { nodes } => {
                let t = nodes.resolve(cluster).await?;
                let proof = data::wipe_raft(cluster, &t).await?;
                (t, "raft state deleted".into(), proof, Undo::Nothing)
            }
            Fault::SnapshotData { node, name } => {
                let t = node.resolve_one(cluster).await?;
                let proof = data::snapshot(cluster, t, name).await?;
                (vec![t], format!("snapshot '{name}'"), proof, Undo::Nothing)
            }
            Fault::RestoreData { node, name } => {
                let t = node.resolve_one(cluster).await?;
                let proof = data::restore(cluster, t, name).await?;
                (vec![t], format!("restore '{name}'"), proof, Undo::Nothing)
            }
            Fault::CloneData { from, to } => {
                let f = from.resolve_one(cluster).await?;
                let t = to.resolve_one(cluster).await?;
                let proof = data::clone(cluster, f, t).await?;
                (vec![t], format!("clone data of n{f}"), proof, Undo::Nothing)
            }
            Fault::PhantomPeer { as_node } => {
                let (cid, proof) = phantom::start(cluster, *as_node).await?;
                (vec![], "phantom peer".into(), proof, Undo::Remove(cid))
            }
            Fault::Dns { .. } => {
                return Err(crate::error::Error::NotImplemented {
                    flavor: cluster.spec().flavor.to_string(),
                    what: "the dns fault (rewriting peers' name resolution)".into(),
                    fix: "leave the dns fault out of suites that run; `nacos-chaos validate` accepts it".into(),
                });
            }
            Fault::ClockSkew { nodes, offset_s } => {
                let t = nodes.resolve(cluster).await?;
                let caveat = cluster.flavor().capabilities().clock_skew;
                let proof = clock::skew(cluster, &t, *offset_s, caveat).await?;
                (
                    t.clone(),
                    format!("clock {offset_s:+} s"),
                    proof,
                    Undo::Clock(t),
                )
            }
        };
        let window = FaultWindow {
            id: id.clone(),
            kind: fault.kind().as_str().into(),
            description,
            targets: targets.iter().map(|i| format!("n{i}")).collect(),
            start_ms,
            end_ms: None,
            proof,
            heal_proof: vec![],
        };
        if matches!(undo, Undo::Nothing) {
            // Instant: over once applied. The window spans the apply, so whatever the fault
            // changed (a term reset, new peer ids) happened inside it.
            let mut window = window;
            window.end_ms = Some(cluster.now_ms());
            self.done.push(window);
        } else {
            self.active.push(Active { window, undo });
        }
        Ok(id)
    }

    /// Heal one active fault and prove it healed.
    pub async fn heal(&mut self, cluster: &mut Cluster, id: &str) -> Result<()> {
        let Some(pos) = self.active.iter().position(|a| a.window.id == id) else {
            return Ok(());
        };
        let mut a = self.active.remove(pos);
        let proof = match &a.undo {
            Undo::Nothing => vec![],
            Undo::Network(nodes, helpers) => {
                network::heal(cluster, nodes, helpers, &self.net).await?
            }
            Undo::Start(nodes) => process::start(cluster, nodes).await?,
            Undo::Unpause(nodes) => process::unpause(cluster, nodes).await?,
            Undo::Remove(id) => phantom::stop(cluster, id).await?,
            Undo::Clock(nodes) => clock::reset(cluster, nodes).await?,
        };
        a.window.end_ms = Some(cluster.now_ms());
        a.window.heal_proof = proof;
        self.done.push(a.window);
        Ok(())
    }

    /// Heal everything still active (end of run, failure or interruption). Keeps going past
    /// errors and returns the first one.
    pub async fn heal_all(&mut self, cluster: &mut Cluster) -> Result<()> {
        let ids: Vec<String> = self.active.iter().map(|a| a.window.id.clone()).collect();
        let mut first = None;
        for id in ids.iter().rev() {
            if let Err(e) = self.heal(cluster, id).await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Ids of faults still in place.
    pub fn active_ids(&self) -> Vec<String> {
        self.active.iter().map(|a| a.window.id.clone()).collect()
    }

    /// Every window so far (active ones with `end_ms: None`; instant ones end when their
    /// apply finished).
    pub fn windows(&self) -> Vec<FaultWindow> {
        let mut w: Vec<FaultWindow> = self.done.clone();
        w.extend(self.active.iter().map(|a| a.window.clone()));
        w.sort_by_key(|w| w.start_ms);
        w
    }

    /// The read-back recorded when fault `id` was applied, one line (empty for an unknown id).
    pub fn proof_of(&self, id: &str) -> String {
        self.done
            .iter()
            .chain(self.active.iter().map(|a| &a.window))
            .find(|w| w.id == id)
            .map(|w| w.proof.join("; "))
            .unwrap_or_default()
    }
}

//! Faults (the nemesis): each a value ([`Fault`], one parameters struct per kind in
//! `kinds/`) that validates, applies itself, is proven in place by read-back, and heals.
//!
//! A fault whose read-back fails is an error: the run fails with the reason instead of
//! pretending the fault was in place.
//!
//! ```no_run
//! use nacos_chaos::fault::{Fault, Targets, Nemesis};
//! # async fn f(cluster: &mut nacos_chaos::cluster::Cluster) -> nacos_chaos::Result<()> {
//! let mut nemesis = Nemesis::default();
//! let fault = Fault::latency(Targets::Leader, 200).with_jitter(20);
//! let id = nemesis.apply(cluster, &fault).await?;
//! nemesis.heal(cluster, &id).await?;
//! # Ok(()) }
//! ```

mod clock;
mod data;
mod identity;
mod inject;
mod kind;
mod kinds;
mod network;
mod phantom;
mod process;
mod rtt;
mod targets;
mod window;

pub(crate) use clock::days_from_civil;
pub use clock::{clock_offset_s, parse_http_date};
pub use inject::{Invalid, Rule};
pub use kinds::{
    Bandwidth, ClockSkew, CloneData, Dns, DnsMode, Fault, FaultKind, IpChange, Kill, Latency, Loss,
    PartitionFault, Pause, PhantomPeer, Restart, RestoreData, SnapshotData, Stop, WipeRaft,
};
pub use network::NetOptions;
pub use rtt::{measure_rtt_ms, parse_ping_avg, parse_ping_loss, ping};
pub use targets::Targets;
pub use window::FaultWindow;

use serde::{Deserialize, Serialize};

use crate::cluster::{Cluster, MembershipPolicy};
use crate::error::Result;
use inject::{Applied, ApplyCtx, Heal};

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

/// Readable constructors: `Fault::isolate(Targets::Leader)`, `Fault::latency(..)`.
impl Fault {
    /// Restart `nodes` with new IPs; servers' membership follows them.
    pub fn ip_change(nodes: Targets) -> Fault {
        IpChange {
            nodes,
            membership: MembershipPolicy::default(),
        }
        .into()
    }
    /// Delay `nodes`' outgoing packets by `delay_ms` (see [`Fault::with_jitter`]).
    pub fn latency(nodes: Targets, delay_ms: u64) -> Fault {
        Latency::new(nodes, delay_ms).into()
    }
    /// Add ± jitter to a latency fault (other kinds are returned unchanged).
    pub fn with_jitter(mut self, jitter_ms: u64) -> Fault {
        if let Fault::Latency(l) = &mut self {
            l.jitter_ms = jitter_ms;
        }
        self
    }
    /// Drop `probability` of `nodes`' outgoing packets.
    pub fn loss(nodes: Targets, probability: f64) -> Fault {
        Loss { nodes, probability }.into()
    }
    /// Cut `nodes` off from every other node.
    pub fn isolate(nodes: Targets) -> Fault {
        PartitionFault {
            partition: Partition::Isolate(nodes),
        }
        .into()
    }
    /// Cut `a` from `b`, both directions.
    pub fn split(a: Targets, b: Targets) -> Fault {
        PartitionFault {
            partition: Partition::Split { a, b },
        }
        .into()
    }
    /// SIGKILL `nodes` (healed by starting them).
    pub fn kill(nodes: Targets) -> Fault {
        Kill { nodes }.into()
    }
    /// Stop `nodes` gracefully (healed by starting them).
    pub fn stop(nodes: Targets) -> Fault {
        Stop { nodes }.into()
    }
    /// Freeze `nodes` (healed by unpausing).
    pub fn pause(nodes: Targets) -> Fault {
        Pause { nodes }.into()
    }
    /// Stop then start `nodes` together.
    pub fn restart(nodes: Targets) -> Fault {
        Restart { nodes }.into()
    }
    /// Delete `nodes`' Raft state and start them again.
    pub fn wipe_raft(nodes: Targets) -> Fault {
        WipeRaft { nodes }.into()
    }
    /// Skew `nodes`' clocks by `offset_s` seconds.
    pub fn clock_skew(nodes: Targets, offset_s: i64) -> Fault {
        ClockSkew { nodes, offset_s }.into()
    }
    /// Make `nodes`' names misbehave for every peer (`slow` needs a delay: set
    /// [`Dns::delay_ms`]).
    pub fn dns(nodes: Targets, mode: DnsMode) -> Fault {
        Dns {
            nodes,
            peers: None,
            mode,
            delay_ms: None,
        }
        .into()
    }

    /// Faults that are done once applied (nothing to heal).
    ///
    /// ```
    /// use nacos_chaos::fault::{Fault, Targets};
    /// assert!(Fault::ip_change(Targets::All).is_instant());
    /// assert!(!Fault::kill(Targets::All).is_instant());
    /// ```
    pub fn is_instant(&self) -> bool {
        self.kind().is_instant()
    }
}

#[derive(Debug)]
struct Active {
    window: FaultWindow,
    heal: Box<dyn Heal>,
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
        let mut cx = ApplyCtx {
            cluster: &mut *cluster,
            id: &id,
            net: &self.net,
        };
        let Applied {
            targets,
            description,
            proof,
            heal,
        } = fault.inject(&mut cx).await?;
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
        let Some(heal) = heal else {
            // Instant: over once applied. The window spans the apply, so whatever the fault
            // changed (a term reset, new peer ids) happened inside it.
            let mut window = window;
            window.end_ms = Some(cluster.now_ms());
            self.done.push(window);
            return Ok(id);
        };
        self.active.push(Active { window, heal });
        Ok(id)
    }

    /// Heal one active fault and prove it healed.
    pub async fn heal(&mut self, cluster: &mut Cluster, id: &str) -> Result<()> {
        let Some(pos) = self.active.iter().position(|a| a.window.id == id) else {
            return Ok(());
        };
        let mut a = self.active.remove(pos);
        let proof = a.heal.heal(cluster, &self.net).await?;
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

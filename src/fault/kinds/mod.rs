//! The registry of fault kinds: one line per kind (its suite tag, its parameters struct),
//! from which the [`Fault`] enum (the suite's serde surface), [`FaultKind`] and the
//! dispatch to each kind's [`Inject`] are generated. The tag is written once, so a window's
//! kind, a suite's `kind` and [`FaultKind::as_str`] cannot drift.
//!
//! Adding a kind: write `kinds/<kind>.rs` (a struct implementing [`Inject`], its rules,
//! its apply and heal, its tests) and add its line below.

mod bandwidth;
mod clock_skew;
mod data;
mod dns;
mod ip_change;
mod latency;
mod loss;
mod partition;
mod phantom_peer;
mod process;

pub use bandwidth::Bandwidth;
pub use clock_skew::ClockSkew;
pub use data::{CloneData, RestoreData, SnapshotData, WipeRaft};
pub use dns::{Dns, DnsMode};
pub use ip_change::IpChange;
pub use latency::Latency;
pub use loss::Loss;
pub use partition::PartitionFault;
pub use phantom_peer::PhantomPeer;
pub use process::{Kill, Pause, Restart, Stop};

use serde::{Deserialize, Serialize};

use super::inject::{Applied, ApplyCtx, Inject, Rule};
use crate::error::Result;

macro_rules! faults {
    ($( $(#[$doc:meta])* $var:ident($ty:ty) = $tag:literal $(alias $alias:literal)?; )*) => {
        /// A fault a scenario can inject: the suite's `fault = { kind = "...", ... }`.
        /// Each arm holds its kind's parameters; build one with a constructor such as
        /// [`Fault::isolate`] or from the parameters struct (`Latency { .. }.into()`).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum Fault {
            $( $(#[$doc])* #[serde(rename = $tag)] $var($ty), )*
        }

        /// The kind of a [`Fault`], as windows and reports name it (its suite tag).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum FaultKind {
            $( #[doc = concat!("`", $tag, "`.")] #[serde(rename = $tag $(, alias = $alias)?)] $var, )*
        }

        impl FaultKind {
            /// Every kind, in registry order.
            pub const ALL: &'static [FaultKind] = &[$(FaultKind::$var),*];

            /// The name windows record (the suite's `kind` tag).
            ///
            /// ```
            /// use nacos_chaos::fault::FaultKind;
            /// assert_eq!(FaultKind::RestoreData.as_str(), "restore_data");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self { $(FaultKind::$var => $tag,)* }
            }

            pub(super) fn props(self) -> Props {
                match self {
                    $(FaultKind::$var => Props {
                        instant: <$ty as Inject>::INSTANT,
                        resets_raft_term: <$ty as Inject>::RESETS_RAFT_TERM,
                        opens_raft_epoch: <$ty as Inject>::OPENS_RAFT_EPOCH,
                    },)*
                }
            }
        }

        $( impl From<$ty> for Fault {
            fn from(f: $ty) -> Fault { Fault::$var(f) }
        } )*

        impl Fault {
            /// The fault's kind; its name is what windows and reports record, and equals
            /// the suite's `kind` tag.
            ///
            /// ```
            /// use nacos_chaos::fault::{Fault, FaultKind, Targets};
            /// assert_eq!(Fault::kill(Targets::All).kind(), FaultKind::Kill);
            /// assert_eq!(Fault::kill(Targets::All).kind().as_str(), "kill");
            /// ```
            pub fn kind(&self) -> FaultKind {
                match self { $(Fault::$var(_) => FaultKind::$var,)* }
            }

            /// The nodes a fault applied while the nodes boot waits for (it is applied as
            /// soon as all of them are up): `None` for a fault that cannot be active during
            /// boot (it needs a running cluster, or its targets are resolved from the
            /// cluster's state).
            ///
            /// ```
            /// use nacos_chaos::fault::{Fault, Targets};
            /// let f = Fault::loss(Targets::Nodes(vec![3]), 0.5);
            /// assert_eq!(f.boot_targets(), Some(vec![3]));
            /// assert_eq!(Fault::kill(Targets::Nodes(vec![3])).boot_targets(), None);
            /// ```
            pub fn boot_targets(&self) -> Option<Vec<usize>> {
                match self { $(Fault::$var(f) => f.boot_targets(),)* }
            }

            /// What to validate, in order, for a cluster of `nodes` nodes.
            pub fn rules(&self, nodes: usize) -> Vec<Rule<'_>> {
                match self { $(Fault::$var(f) => f.rules(nodes),)* }
            }

            pub(in crate::fault) async fn inject(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
                match self { $(Fault::$var(f) => f.apply(cx).await,)* }
            }
        }
    };
}

/// A kind's properties, read from its [`Inject`] constants.
pub(super) struct Props {
    pub instant: bool,
    pub resets_raft_term: bool,
    pub opens_raft_epoch: bool,
}

faults! {
    /// Restart the targets with new static IPs, data volumes kept.
    IpChange(IpChange) = "ip_change";
    /// Delay (and optionally drop) the targets' outgoing packets.
    Latency(Latency) = "latency";
    /// Drop a fraction of the targets' outgoing packets.
    Loss(Loss) = "loss";
    /// Limit the targets' egress bandwidth.
    Bandwidth(Bandwidth) = "bandwidth";
    /// Network partition.
    Partition(PartitionFault) = "partition";
    /// SIGKILL the targets (data kept; healed by starting them).
    Kill(Kill) = "kill";
    /// Graceful stop (healed by starting).
    Stop(Stop) = "stop";
    /// Freeze (healed by unpausing).
    Pause(Pause) = "pause";
    /// Stop then start the targets together, data and IPs kept.
    Restart(Restart) = "restart";
    /// Stop the targets, delete their Raft state, start them again.
    WipeRaft(WipeRaft) = "wipe_raft";
    /// Copy a node's data dir aside under a name.
    SnapshotData(SnapshotData) = "snapshot_data";
    /// Stop a node, replace its data dir with a named snapshot, start it (records written
    /// before the names were unified say `restore_snapshot`).
    RestoreData(RestoreData) = "restore_data" alias "restore_snapshot";
    /// Stop `to`, replace its data dir with `from`'s, start it.
    CloneData(CloneData) = "clone_data";
    /// Start an extra, misconfigured node pointing at the cluster (healed by removing it).
    PhantomPeer(PhantomPeer) = "phantom_peer";
    /// Skew a node's clock.
    ClockSkew(ClockSkew) = "clock_skew";
    /// A node's name stops resolving for some or all peers, resolves slowly, or resolves
    /// to a stale address (healed by restoring the name).
    Dns(Dns) = "dns";
}

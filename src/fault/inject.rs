//! What a fault value does: validate its parameters, apply itself (returning its targets,
//! read-back proof and, unless it is instant, how to heal), and heal.
//!
//! Each fault kind is a struct in [`super::kinds`] implementing [`Inject`]; the
//! [`Fault`](super::Fault) enum only delegates to it, so adding a kind touches its own file
//! and one line of the registry.

use futures_util::future::BoxFuture;

use super::{NetOptions, Targets};
use crate::cluster::Cluster;
use crate::error::Result;

/// What an applying fault may use: the cluster, its window id (names helpers), and the
/// options network helpers run with.
pub struct ApplyCtx<'a> {
    /// The cluster the fault acts on.
    pub cluster: &'a mut Cluster,
    /// The fault's window id (`f3`).
    pub id: &'a str,
    /// Options for helpers sharing a node's namespace.
    pub net: &'a NetOptions,
}

/// An applied fault: on whom, what, the read-back proving it is in place, and how to heal
/// it (`None`: instant, over once applied).
pub struct Applied {
    /// Nodes the fault acted on.
    pub targets: Vec<usize>,
    /// Human description of the parameters.
    pub description: String,
    /// Read-back evidence.
    pub proof: Vec<String>,
    /// How to undo it, or `None` for an instant fault.
    pub heal: Option<Box<dyn Heal>>,
}

impl Applied {
    /// An instant fault's result (nothing to heal).
    pub fn instant(
        targets: Vec<usize>,
        description: impl Into<String>,
        proof: Vec<String>,
    ) -> Self {
        Applied {
            targets,
            description: description.into(),
            proof,
            heal: None,
        }
    }

    /// A lasting fault's result, healed by `heal`.
    pub fn lasting(
        targets: Vec<usize>,
        description: impl Into<String>,
        proof: Vec<String>,
        heal: impl Heal + 'static,
    ) -> Self {
        Applied {
            targets,
            description: description.into(),
            proof,
            heal: Some(Box::new(heal)),
        }
    }
}

/// How to undo one applied fault and prove it is undone (the returned lines).
pub trait Heal: std::fmt::Debug + Send + Sync {
    /// Undo the fault; returns the heal's read-back.
    fn heal<'a>(
        &'a self,
        cluster: &'a mut Cluster,
        net: &'a NetOptions,
    ) -> BoxFuture<'a, Result<Vec<String>>>;
}

/// A fault kind's behaviour and properties. Properties are constants so that
/// [`FaultKind`](super::FaultKind) reads them from the same place.
pub(crate) trait Inject {
    /// Over once applied (nothing to heal; a `duration` makes no sense).
    const INSTANT: bool = false;
    /// Replaces the targets' Raft state, so their term may start again lower.
    const RESETS_RAFT_TERM: bool = false;
    /// Begins a new Raft epoch for its targets (state replaced, or peer ids changed).
    const OPENS_RAFT_EPOCH: bool = Self::RESETS_RAFT_TERM;

    /// The nodes the boot waits for before applying it, when it may be active while the
    /// nodes boot (`None`: it needs a running cluster).
    fn boot_targets(&self) -> Option<Vec<usize>> {
        None
    }

    /// What to validate, in order, for a cluster of `nodes` nodes.
    fn rules(&self, nodes: usize) -> Vec<Rule<'_>>;

    /// Apply the fault and prove it is in place.
    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied>;
}

/// One validation rule of a fault's parameters; `at` is the key path under `fault`.
#[derive(Debug)]
pub enum Rule<'a> {
    /// These targets must name existing nodes.
    Targets(Vec<&'static str>, &'a Targets),
    /// These targets must name exactly one node.
    Single(Vec<&'static str>, &'a Targets),
    /// A parameter is wrong.
    Invalid(Invalid),
}

/// A parameter error: where (key path under `fault`; `value` points at the value rather
/// than the key), what, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Key path under the fault table.
    pub at: Vec<&'static str>,
    /// Point at the value, not the key.
    pub value: bool,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl Rule<'_> {
    /// A rule that fails with `message` at key `at` when `ok` is false (else `None`).
    pub fn require(ok: bool, at: &'static str, message: String, fix: &str) -> Option<Self> {
        (!ok).then(|| {
            Rule::Invalid(Invalid {
                at: vec![at],
                value: false,
                message,
                fix: fix.into(),
            })
        })
    }
}

/// `p` as a probability rule on key `k` (`0..=1`).
pub(crate) fn ratio(k: &'static str, p: f64) -> Option<Rule<'static>> {
    Rule::require(
        (0.0..=1.0).contains(&p),
        k,
        format!("{k} = {p}: a probability, not within 0..=1"),
        "0.1 drops one packet in ten",
    )
}

/// Resolve optional peers.
pub(crate) async fn resolve_opt(
    t: &Option<Targets>,
    cluster: &mut Cluster,
) -> Result<Option<Vec<usize>>> {
    match t {
        Some(p) => Ok(Some(p.resolve(cluster).await?)),
        None => Ok(None),
    }
}

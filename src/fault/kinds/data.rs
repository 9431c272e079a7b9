//! Data faults, all instant: `wipe_raft`, `snapshot_data`, `restore_data`, `clone_data`.
//! Those replacing a node's Raft state reset its term ([`Inject::RESETS_RAFT_TERM`]).

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Targets;
use crate::fault::data;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Invalid, Rule};

/// Parameters of a `wipe_raft` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, Targets};
/// assert!(Fault::wipe_raft(Targets::All).kind().resets_raft_term());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WipeRaft {
    /// Which nodes.
    pub nodes: Targets,
}

/// Parameters of a `snapshot_data` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, SnapshotData, Targets};
/// let f: Fault = SnapshotData { node: Targets::Leader, name: "before".into() }.into();
/// assert!(f.is_instant());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotData {
    /// Which node.
    pub node: Targets,
    /// Snapshot name.
    pub name: String,
}

/// Parameters of a `restore_data` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, RestoreData, Targets};
/// let f: Fault = RestoreData { node: Targets::Leader, name: "before".into() }.into();
/// assert!(f.kind().resets_raft_term());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreData {
    /// Which node.
    pub node: Targets,
    /// Snapshot name.
    pub name: String,
}

/// Parameters of a `clone_data` fault.
///
/// ```
/// use nacos_chaos::fault::{CloneData, Fault, Targets};
/// let f: Fault = CloneData { from: Targets::Leader, to: Targets::OneFollower }.into();
/// assert!(f.kind().resets_raft_term());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloneData {
    /// Source node.
    pub from: Targets,
    /// Destination node.
    pub to: Targets,
}

fn snapshot_rules<'a>(node: &'a Targets, name: &str) -> Vec<Rule<'a>> {
    let mut r = vec![Rule::Single(vec!["node"], node)];
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        r.push(Rule::Invalid(Invalid {
            at: vec!["name"],
            value: true,
            message: format!("snapshot name {name:?} must be non-empty [A-Za-z0-9_-]"),
            fix: "e.g. name = \"before-upgrade\"".into(),
        }));
    }
    r
}

impl Inject for WipeRaft {
    const INSTANT: bool = true;
    const RESETS_RAFT_TERM: bool = true;

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        vec![Rule::Targets(vec!["nodes"], &self.nodes)]
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = data::wipe_raft(cx.cluster, &t).await?;
        Ok(Applied::instant(t, "raft state deleted", proof))
    }
}

impl Inject for SnapshotData {
    const INSTANT: bool = true;

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        snapshot_rules(&self.node, &self.name)
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.node.resolve_one(cx.cluster).await?;
        let proof = data::snapshot(cx.cluster, t, &self.name).await?;
        let desc = format!("snapshot '{}'", self.name);
        Ok(Applied::instant(vec![t], desc, proof))
    }
}

impl Inject for RestoreData {
    const INSTANT: bool = true;
    const RESETS_RAFT_TERM: bool = true;

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        snapshot_rules(&self.node, &self.name)
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.node.resolve_one(cx.cluster).await?;
        let proof = data::restore(cx.cluster, t, &self.name).await?;
        let desc = format!("restore '{}'", self.name);
        Ok(Applied::instant(vec![t], desc, proof))
    }
}

impl Inject for CloneData {
    const INSTANT: bool = true;
    const RESETS_RAFT_TERM: bool = true;

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        let mut r = vec![
            Rule::Single(vec!["from"], &self.from),
            Rule::Single(vec!["to"], &self.to),
        ];
        r.extend(Rule::require(
            !(self.from == self.to && matches!(self.from, Targets::Nodes(_))),
            "to",
            "clone_data: from and to are the same node".into(),
            "clone one node's data onto another",
        ));
        r
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let f = self.from.resolve_one(cx.cluster).await?;
        let t = self.to.resolve_one(cx.cluster).await?;
        let proof = data::clone(cx.cluster, f, t).await?;
        Ok(Applied::instant(
            vec![t],
            format!("clone data of n{f}"),
            proof,
        ))
    }
}

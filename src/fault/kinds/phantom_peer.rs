//! `phantom_peer`: an extra, misconfigured node pointing at the cluster (healed by removing
//! it).

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule};
use crate::fault::phantom::{self, RemovePhantom};

/// Parameters of a `phantom_peer` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, PhantomPeer};
/// let f: Fault = PhantomPeer { as_node: Some(2) }.into();
/// assert_eq!(f.rules(3).len(), 0);
/// assert_eq!(f.rules(1).len(), 1); // no node 2 in a 1-node cluster
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhantomPeer {
    /// Claim this existing node's id instead of a new one.
    #[serde(default)]
    pub as_node: Option<usize>,
}

impl Inject for PhantomPeer {
    fn rules(&self, n: usize) -> Vec<Rule<'_>> {
        let Some(a) = self.as_node else {
            return vec![];
        };
        Rule::require(
            a != 0 && a <= n,
            "as_node",
            format!("phantom_peer as_node = {a}: no such node in a {n}-node cluster"),
            &format!("as_node is 1..={n}, or leave it out for a new id"),
        )
        .into_iter()
        .collect()
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let (cid, proof) = phantom::start(cx.cluster, self.as_node).await?;
        Ok(Applied::lasting(
            vec![],
            "phantom peer",
            proof,
            RemovePhantom(cid),
        ))
    }
}

//! `ip_change`: restart the targets with new static IPs, data volumes kept.

use serde::{Deserialize, Serialize};

use crate::cluster::MembershipPolicy;
use crate::error::Result;
use crate::fault::Targets;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule};

/// Parameters of an `ip_change` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, Targets};
/// let f = Fault::ip_change(Targets::Nodes(vec![3]));
/// assert_eq!(f.kind().as_str(), "ip_change");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpChange {
    /// Which nodes.
    pub nodes: Targets,
    /// Whether the membership servers are told follows the new IPs or stays stale.
    #[serde(default)]
    pub membership: MembershipPolicy,
}

impl Inject for IpChange {
    const INSTANT: bool = true;
    // Official Nacos names peers `ip:port`: new IPs are new peer ids.
    const OPENS_RAFT_EPOCH: bool = true;

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        vec![Rule::Targets(vec!["nodes"], &self.nodes)]
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = crate::fault::identity::ip_change(cx.cluster, &t, self.membership).await?;
        let desc = format!("new IPs, membership {:?}", self.membership);
        Ok(Applied::instant(t, desc, proof))
    }
}

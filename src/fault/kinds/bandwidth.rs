//! `bandwidth`: limit the targets' egress bandwidth.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Targets;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule};
use crate::fault::network::{self, NetHeal};

/// Parameters of a `bandwidth` fault.
///
/// ```
/// use nacos_chaos::fault::{Bandwidth, Fault, Targets};
/// let f: Fault = Bandwidth { nodes: Targets::Leader, rate_kbit: 64 }.into();
/// assert_eq!(f.kind().as_str(), "bandwidth");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bandwidth {
    /// Which nodes.
    pub nodes: Targets,
    /// Rate in kbit/s.
    pub rate_kbit: u32,
}

impl Inject for Bandwidth {
    fn boot_targets(&self) -> Option<Vec<usize>> {
        match &self.nodes {
            Targets::Nodes(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        vec![Rule::Targets(vec!["nodes"], &self.nodes)]
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = network::bandwidth(cx.cluster, &t, self.rate_kbit, cx.net).await?;
        let desc = format!("{} kbit/s", self.rate_kbit);
        Ok(Applied::lasting(
            t.clone(),
            desc,
            proof,
            NetHeal::new(t, vec![]),
        ))
    }
}

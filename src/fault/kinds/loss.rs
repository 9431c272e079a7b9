//! `loss`: drop a fraction of the targets' outgoing packets.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Targets;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule, ratio};
use crate::fault::network::{self, NetHeal};

/// Parameters of a `loss` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, Targets};
/// assert_eq!(Fault::loss(Targets::Leader, 0.3).kind().as_str(), "loss");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loss {
    /// Which nodes.
    pub nodes: Targets,
    /// Probability (0..1).
    pub probability: f64,
}

impl Inject for Loss {
    fn boot_targets(&self) -> Option<Vec<usize>> {
        match &self.nodes {
            Targets::Nodes(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        let mut r: Vec<Rule<'_>> = ratio("probability", self.probability).into_iter().collect();
        r.push(Rule::Targets(vec!["nodes"], &self.nodes));
        r
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = network::loss(cx.cluster, &t, self.probability, cx.net).await?;
        let desc = format!("loss {}", self.probability);
        Ok(Applied::lasting(
            t.clone(),
            desc,
            proof,
            NetHeal::new(t, vec![]),
        ))
    }
}

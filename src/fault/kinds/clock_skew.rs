//! `clock_skew`: skew the targets' clocks (healed by resetting them).

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Targets;
use crate::fault::clock::{self, ClockReset};
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule};

/// Parameters of a `clock_skew` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, Targets};
/// assert_eq!(Fault::clock_skew(Targets::Leader, -30).kind().as_str(), "clock_skew");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSkew {
    /// Which nodes.
    pub nodes: Targets,
    /// Offset in seconds (may be negative).
    pub offset_s: i64,
}

impl Inject for ClockSkew {
    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        vec![Rule::Targets(vec!["nodes"], &self.nodes)]
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let caveat = cx.cluster.flavor().capabilities().clock_skew;
        let proof = clock::skew(cx.cluster, &t, self.offset_s, caveat).await?;
        let desc = format!("clock {:+} s", self.offset_s);
        Ok(Applied::lasting(t.clone(), desc, proof, ClockReset(t)))
    }
}

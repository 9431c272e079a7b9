//! `latency`: delay (and optionally drop) the targets' outgoing packets.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Targets;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule, ratio, resolve_opt};
use crate::fault::network::{self, NetHeal};

/// Parameters of a `latency` fault.
///
/// ```
/// use nacos_chaos::fault::{Fault, Latency, Targets};
/// let f: Fault = Latency { jitter_ms: 20, ..Latency::new(Targets::Leader, 200) }.into();
/// assert_eq!(f, Fault::latency(Targets::Leader, 200).with_jitter(20));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Which nodes.
    pub nodes: Targets,
    /// Mean delay.
    pub delay_ms: u64,
    /// Uniform jitter ±.
    #[serde(default)]
    pub jitter_ms: u64,
    /// Loss probability (0..1).
    #[serde(default)]
    pub loss: f64,
    /// Only towards these peers (default: all traffic).
    #[serde(default)]
    pub peers: Option<Targets>,
}

impl Latency {
    /// `delay_ms` on every outgoing packet of `nodes`, no jitter, no loss.
    pub fn new(nodes: Targets, delay_ms: u64) -> Self {
        Latency {
            nodes,
            delay_ms,
            jitter_ms: 0,
            loss: 0.0,
            peers: None,
        }
    }
}

impl Inject for Latency {
    fn boot_targets(&self) -> Option<Vec<usize>> {
        match (&self.nodes, &self.peers) {
            (Targets::Nodes(v), None) => Some(v.clone()),
            _ => None,
        }
    }

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        let (j, d) = (self.jitter_ms, self.delay_ms);
        let mut r: Vec<Rule<'_>> = [
            Rule::require(
                j <= d,
                "jitter_ms",
                format!("jitter_ms {j} exceeds delay_ms {d}"),
                "jitter is ± around the delay",
            ),
            ratio("loss", self.loss),
        ]
        .into_iter()
        .flatten()
        .collect();
        r.push(Rule::Targets(vec!["nodes"], &self.nodes));
        if let Some(p) = &self.peers {
            r.push(Rule::Targets(vec!["peers"], p));
        }
        r
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let p = resolve_opt(&self.peers, cx.cluster).await?;
        let (proof, helpers) = network::latency(
            cx.cluster,
            cx.id,
            &t,
            self.delay_ms,
            self.jitter_ms,
            self.loss,
            p.as_deref(),
            cx.net,
        )
        .await?;
        let desc = format!(
            "{}ms ±{}ms, loss {}",
            self.delay_ms, self.jitter_ms, self.loss
        );
        Ok(Applied::lasting(
            t.clone(),
            desc,
            proof,
            NetHeal::new(t, helpers),
        ))
    }
}

//! `dns`: a node's name stops resolving for some or all peers, resolves slowly, or resolves
//! to a stale address.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Targets;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule};

/// How a `dns` fault's name misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsMode {
    /// The name does not resolve.
    #[default]
    Unresolvable,
    /// The name resolves after `delay_ms`.
    Slow,
    /// The name resolves to an address the node no longer has.
    Stale,
}

/// Parameters of a `dns` fault.
///
/// ```
/// use nacos_chaos::fault::{DnsMode, Fault, Targets};
/// let f = Fault::dns(Targets::Nodes(vec![3]), DnsMode::Unresolvable);
/// assert_eq!(f.kind().as_str(), "dns");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Whose name.
    pub nodes: Targets,
    /// For which peers (default: all).
    #[serde(default)]
    pub peers: Option<Targets>,
    /// How the name misbehaves.
    #[serde(default)]
    pub mode: DnsMode,
    /// Extra resolution delay (`mode = "slow"` only).
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

impl Inject for Dns {
    fn boot_targets(&self) -> Option<Vec<usize>> {
        match &self.nodes {
            Targets::Nodes(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        let mut r = vec![Rule::Targets(vec!["nodes"], &self.nodes)];
        if let Some(p) = &self.peers {
            r.push(Rule::Targets(vec!["peers"], p));
        }
        let slow = self.mode == DnsMode::Slow;
        r.extend(Rule::require(
            slow == self.delay_ms.is_some(),
            if slow { "mode" } else { "delay_ms" },
            "dns: delay_ms goes with mode = \"slow\", and only with it".into(),
            "e.g. fault = { kind = \"dns\", nodes = \"n3\", mode = \"slow\", delay_ms = 3000 }",
        ));
        r
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        Err(crate::error::Error::NotImplemented {
            flavor: cx.cluster.spec().flavor.to_string(),
            what: "the dns fault (rewriting peers' name resolution)".into(),
            fix: "leave the dns fault out of suites that run; `nacos-chaos validate` accepts it"
                .into(),
        })
    }
}

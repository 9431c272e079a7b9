//! Process faults: `kill`, `stop`, `pause` (healed by starting or unpausing) and `restart`
//! (instant), each read back from the engine's view of the container state.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Targets;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule};
use crate::fault::process::{self, Start, Unpause};

macro_rules! process_fault {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Which nodes.
            pub nodes: Targets,
        }
    };
}

process_fault!(
    /// Parameters of a `kill` fault (SIGKILL; healed by starting).
    ///
    /// ```
    /// use nacos_chaos::fault::{Fault, Kill, Targets};
    /// assert_eq!(Fault::kill(Targets::Leader), Kill { nodes: Targets::Leader }.into());
    /// ```
    Kill
);
process_fault!(
    /// Parameters of a `stop` fault (graceful; healed by starting).
    ///
    /// ```
    /// use nacos_chaos::fault::{Fault, Targets};
    /// assert_eq!(Fault::stop(Targets::Leader).kind().as_str(), "stop");
    /// ```
    Stop
);
process_fault!(
    /// Parameters of a `pause` fault (frozen; healed by unpausing).
    ///
    /// ```
    /// use nacos_chaos::fault::{Fault, Targets};
    /// assert_eq!(Fault::pause(Targets::Leader).kind().as_str(), "pause");
    /// ```
    Pause
);
process_fault!(
    /// Parameters of a `restart` fault (stop all targets, then start them; instant).
    ///
    /// ```
    /// use nacos_chaos::fault::{Fault, Targets};
    /// assert!(Fault::restart(Targets::All).is_instant());
    /// ```
    Restart
);

fn nodes_rule(nodes: &Targets) -> Vec<Rule<'_>> {
    vec![Rule::Targets(vec!["nodes"], nodes)]
}

impl Inject for Kill {
    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        nodes_rule(&self.nodes)
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = process::kill(cx.cluster, &t).await?;
        Ok(Applied::lasting(t.clone(), "SIGKILL", proof, Start(t)))
    }
}

impl Inject for Stop {
    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        nodes_rule(&self.nodes)
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = process::stop(cx.cluster, &t).await?;
        Ok(Applied::lasting(
            t.clone(),
            "graceful stop",
            proof,
            Start(t),
        ))
    }
}

impl Inject for Pause {
    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        nodes_rule(&self.nodes)
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = process::pause(cx.cluster, &t).await?;
        Ok(Applied::lasting(t.clone(), "paused", proof, Unpause(t)))
    }
}

impl Inject for Restart {
    const INSTANT: bool = true;

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        nodes_rule(&self.nodes)
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let t = self.nodes.resolve(cx.cluster).await?;
        let proof = process::restart(cx.cluster, &t).await?;
        Ok(Applied::instant(t, "restart, data and IPs kept", proof))
    }
}

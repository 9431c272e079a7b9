//! Upgrade and rollback steps: the version, the order (`leader_last` asks the leader group
//! who leads), the nodes whose IP moves, then rolling or full stop.

use std::time::Duration;

use super::steps::{Ctx, checkpoint, refresh};
use super::suite::Order;
use crate::cluster::{Cluster, MembershipPolicy, Recreate};
use crate::error::{Error, Result};
use crate::fault::Targets;

/// The nodes an upgrade step touches, in order: by index, the leader (of the leader group)
/// last, or as listed; only those in `only` where the step names some.
pub(super) async fn upgrade_order(
    cluster: &mut Cluster,
    order: &Order,
    only: Option<&Targets>,
) -> Result<Vec<usize>> {
    let n = cluster.nodes().len();
    let mut nodes: Vec<usize> = match order {
        Order::Named(s) if s == "index" => (1..=n).collect(),
        Order::Named(s) if s == "leader_last" => {
            let obs = cluster.observe().await;
            let leader = obs
                .leader_of(&cluster.leader_group())
                .and_then(|o| cluster.index_of(&o.node));
            let mut v: Vec<usize> = (1..=n).filter(|i| Some(*i) != leader).collect();
            v.extend(leader);
            v
        }
        Order::Named(other) => {
            return Err(Error::Config(format!(
                "upgrade order '{other}': expected leader_last, index, or a node list"
            )));
        }
        Order::Nodes(list) => {
            Targets::Nodes(
                list.iter()
                    .map(|s| s.trim_start_matches('n').parse().unwrap_or(0))
                    .collect(),
            )
            .resolve(cluster)
            .await?
        }
    };
    if let Some(t) = only {
        let keep = t.resolve(cluster).await?;
        nodes.retain(|i| keep.contains(i));
    }
    Ok(nodes)
}

/// The version an upgrade step moves to: the to-version, or the from-version on rollback.
pub(super) fn upgrade_version(ctx: &Ctx<'_>, rollback: bool) -> Result<String> {
    if rollback {
        return Ok(ctx.from.to_string());
    }
    ctx.to
        .map(str::to_string)
        .ok_or_else(|| Error::Config("upgrade step without a to-version".into()))
}

/// The nodes whose IP changes as they are upgraded (a new address generation first).
pub(super) async fn moved_ips(
    cluster: &mut Cluster,
    ip_change: Option<&Targets>,
) -> Result<Vec<usize>> {
    match ip_change {
        Some(t) => {
            cluster.bump_generation();
            t.resolve(cluster).await
        }
        None => Ok(vec![]),
    }
}

/// What an upgrade step resolved to before it touches a node.
pub(super) struct UpgradePlan {
    /// The version nodes move to.
    pub version: String,
    /// Nodes in upgrade order.
    pub order: Vec<usize>,
    /// Nodes whose IP changes as they are upgraded.
    pub moved: Vec<usize>,
    /// What the servers are told after an IP change.
    pub policy: MembershipPolicy,
    /// Leader wait per node (rolling) or overall (full stop).
    pub wait: Duration,
    /// Whether a leader is expected after each wait.
    pub expect_leader: bool,
    /// Take each node out of the workload's rotation while it restarts.
    pub drain: bool,
}

impl UpgradePlan {
    /// How node `i` is recreated.
    fn recreate(&self, i: usize) -> Recreate {
        Recreate {
            new_ip: self.moved.contains(&i),
            version: Some(self.version.clone()),
            policy: self.policy,
        }
    }
}

/// Node by node: stop, recreate at the version, wait for a leader (drained from the
/// workload meanwhile, if the step says so).
pub(super) async fn rolling(
    ctx: &mut Ctx<'_>,
    cluster: &mut Cluster,
    plan: &UpgradePlan,
) -> Result<String> {
    let (wait, expect) = (plan.wait, plan.expect_leader);
    let mut details = vec![];
    for &i in &plan.order {
        let name = format!("n{i}");
        if plan.drain
            && let Some(w) = ctx.workload.as_mut()
        {
            w.drain(cluster, &name, true);
        }
        cluster.stop_node(i, 10).await.ok();
        cluster.recreate_node(i, &plan.recreate(i)).await?;
        refresh(ctx, cluster);
        let what = format!("after n{i} -> {}", plan.version);
        details.push(checkpoint(ctx, cluster, what, wait, expect).await);
        if plan.drain
            && let Some(w) = ctx.workload.as_mut()
        {
            w.drain(cluster, &name, false);
        }
    }
    Ok(details.join("; "))
}

/// Stop every node in the order, recreate them all at the version, wait for a leader.
pub(super) async fn full_stop(
    ctx: &mut Ctx<'_>,
    cluster: &mut Cluster,
    plan: &UpgradePlan,
) -> Result<String> {
    let (wait, expect) = (plan.wait, plan.expect_leader);
    for &i in &plan.order {
        cluster.stop_node(i, 10).await.ok();
    }
    for &i in &plan.order {
        cluster.recreate_node(i, &plan.recreate(i)).await?;
    }
    refresh(ctx, cluster);
    let what = format!("after full stop -> {}", plan.version);
    Ok(checkpoint(ctx, cluster, what, wait, expect).await)
}

//! Executing one step against the cluster.

use std::path::PathBuf;
use std::time::Duration;

use super::suite::{AdminExpect, Step, Strategy, Suite};
use super::upgrade::{UpgradePlan, full_stop, moved_ips, rolling, upgrade_order, upgrade_version};
use crate::check::Checkpoint;
use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::fault::{Nemesis, Targets};
use crate::flavor::FlavorKind;
use crate::report::RunRecord;
use crate::workload::Workload;

/// Mutable state of a run.
pub struct Ctx<'a> {
    /// The suite.
    pub suite: &'a Suite,
    /// From-version.
    pub from: &'a str,
    /// To-version.
    pub to: Option<&'a str>,
    /// The nemesis.
    pub nemesis: Nemesis,
    /// The workload, while on.
    pub workload: Option<Workload>,
    /// The record being built.
    pub record: RunRecord,
    /// Results directory of this run.
    pub results_dir: PathBuf,
    /// Faults the suite put before `start`, applied as their nodes come up.
    pub boot_faults: Vec<crate::fault::Fault>,
}

/// Short human description of a step.
pub fn describe(step: &Step) -> String {
    match step {
        Step::Start {
            nodes,
            order,
            stagger,
            ..
        } => {
            let mut d = "start cluster".to_string();
            if let Some(n) = nodes {
                d += &format!(" nodes {}", n.join(","));
            }
            if let Some(o) = order {
                d += &format!(" order {}", o.join(","));
            }
            if let Some(s) = stagger {
                d += &format!(" stagger {s}");
            }
            d
        }
        Step::StartNode { node, .. } => format!("start node {node}"),
        Step::ScaleOut { .. } => "scale out by one node".into(),
        Step::ScaleIn { node, raft } => format!(
            "scale in {node} ({})",
            if *raft {
                "config and raft"
            } else {
                "config only"
            }
        ),
        Step::Replace { node, keep } => format!("replace {node} (keep {keep:?})"),
        Step::Admin { op, node, .. } => match node {
            Some(n) => format!("admin {op} {n}"),
            None => format!("admin {op}"),
        },
        Step::WaitLeader { expect, .. } => format!("wait for leader (expect {expect})"),
        Step::Workload { enabled } => format!("workload {}", if *enabled { "on" } else { "off" }),
        Step::Upgrade {
            strategy,
            rollback,
            ip_change,
            ..
        } => format!(
            "{} {strategy:?}{}",
            if *rollback { "rollback" } else { "upgrade" },
            if ip_change.is_some() {
                " with IP change"
            } else {
                ""
            }
        ),
        Step::Fault { fault, duration } => match duration {
            Some(d) => format!("fault {} for {d:?}", fault.kind()),
            None => format!("fault {}", fault.kind()),
        },
        Step::Heal => "heal all faults".into(),
        Step::Hold { duration } => format!("hold {duration:?}"),
        Step::Preflight => "preflight every node's data dir".into(),
        Step::Rehearse(r) => r.describe(),
    }
}

pub(super) async fn checkpoint(
    ctx: &mut Ctx<'_>,
    cluster: &mut Cluster,
    name: String,
    timeout: Duration,
    expect: bool,
) -> String {
    let at_ms = cluster.now_ms();
    let r = cluster.wait_for_leader(timeout).await;
    let (ttl, reason) = match &r {
        Ok(rep) => (Some(rep.elapsed.as_millis() as u64), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let detail = match &r {
        Ok(rep) => format!("{name}: agreed leader after {:.1?}", rep.elapsed),
        Err(e) => format!("{name}: no agreed leader: {e}"),
    };
    ctx.record.checkpoints.push(Checkpoint {
        name,
        at_ms,
        time_to_leader_ms: ttl,
        deadline_ms: timeout.as_millis() as u64,
        reason,
        expect_leader: expect,
    });
    detail
}

pub(super) fn refresh(ctx: &Ctx<'_>, cluster: &Cluster) {
    if let Some(w) = &ctx.workload {
        w.update(cluster);
    }
}

/// Execute one step; the text is the step's detail for the record.
pub async fn execute(ctx: &mut Ctx<'_>, cluster: &mut Cluster, step: &Step) -> Result<String> {
    match step {
        Step::Start {
            timeout,
            nodes,
            order,
            stagger,
            may_fail,
        } if nodes.is_some()
            || order.is_some()
            || stagger.is_some()
            || *may_fail
            || !ctx.boot_faults.is_empty() =>
        {
            start_experiment(ctx, cluster, step, *timeout).await
        }
        Step::Start { timeout, .. } => start_all(ctx, cluster, *timeout).await,
        Step::WaitLeader { timeout, expect } => {
            let name = format!("wait at {}ms", cluster.now_ms());
            Ok(checkpoint(ctx, cluster, name, *timeout, *expect).await)
        }
        Step::Workload { enabled: true } => Ok(workload_on(ctx, cluster)),
        Step::Workload { enabled: false } => Ok(workload_off(ctx).await),
        Step::Upgrade {
            strategy,
            order,
            nodes,
            ip_change,
            membership,
            wait,
            expect_leader,
            rollback,
            drain,
        } => {
            let plan = UpgradePlan {
                version: upgrade_version(ctx, *rollback)?,
                order: upgrade_order(cluster, order, nodes.as_ref()).await?,
                moved: moved_ips(cluster, ip_change.as_ref()).await?,
                policy: *membership,
                wait: *wait,
                expect_leader: *expect_leader,
                drain: *drain,
            };
            match strategy {
                Strategy::Rolling => rolling(ctx, cluster, &plan).await,
                Strategy::FullStop => full_stop(ctx, cluster, &plan).await,
            }
        }
        Step::Fault { fault, .. } if cluster.configured_peers().is_empty() => {
            Ok(defer_to_boot(ctx, fault))
        }
        Step::Fault { fault, duration } => fault_for(ctx, cluster, fault, *duration).await,
        Step::Heal => {
            let ids = ctx.nemesis.active_ids();
            ctx.nemesis.heal_all(cluster).await?;
            refresh(ctx, cluster);
            Ok(format!("healed {}", ids.join(", ")))
        }
        Step::Hold { duration } => {
            tokio::time::sleep(*duration).await;
            Ok(format!("held {duration:?}"))
        }
        Step::Preflight => preflight_nodes(ctx, cluster).await,
        Step::Rehearse(r) => crate::rehearse::suite_step::execute(ctx, cluster, r).await,
        Step::StartNode { node, timeout } => start_node(ctx, cluster, node, *timeout).await,
        Step::ScaleOut { timeout } => scale_out(ctx, cluster, *timeout).await,
        Step::ScaleIn { node, raft } => {
            let i = node_index(node)?;
            if let Some(w) = ctx.workload.as_mut() {
                w.drain(cluster, node, true);
            }
            let proof = cluster.scale_in(i, *raft, Duration::from_secs(30)).await?;
            refresh(ctx, cluster);
            let seen = members_line(cluster).await;
            Ok(format!("{}; {seen}", proof.join("; ")))
        }
        Step::Replace { node, keep } => replace(ctx, cluster, node, *keep).await,
        Step::Admin { op, node, expect } => admin(cluster, op, node.as_deref(), *expect).await,
    }
}

/// `start` with every node, in order, each joining before the next: the bring-up checkpoint.
async fn start_all(ctx: &mut Ctx<'_>, cluster: &mut Cluster, timeout: Duration) -> Result<String> {
    let r = cluster.start_all(timeout).await;
    let detail = match &r {
        Ok(rep) => format!(
            "{} nodes up, agreed leader after {:.1?}{}",
            cluster.nodes().len(),
            rep.elapsed,
            if rep.attempts > 1 {
                format!(
                    " (bring-up attempt {}: earlier ones were not fit and were started over; see the warnings)",
                    rep.attempts
                )
            } else {
                String::new()
            }
        ),
        Err(e) => e.to_string(),
    };
    ctx.record
        .checkpoints
        .push(bring_up_checkpoint(&r, timeout, true));
    r.map(|_| detail)
}

/// The bring-up's checkpoint: the time to an agreed leader, or why there was none.
fn bring_up_checkpoint(
    r: &Result<crate::cluster::LeaderReport>,
    timeout: Duration,
    expect_leader: bool,
) -> Checkpoint {
    Checkpoint {
        name: "bring-up".into(),
        at_ms: 0,
        time_to_leader_ms: r.as_ref().ok().map(|rep| rep.elapsed.as_millis() as u64),
        deadline_ms: timeout.as_millis() as u64,
        reason: r.as_ref().err().map(|e| e.to_string()),
        expect_leader,
    }
}

/// `workload` on: a new session that appends to the run's history so far.
fn workload_on(ctx: &mut Ctx<'_>, cluster: &Cluster) -> String {
    if ctx.workload.is_none() {
        let so_far = std::mem::take(&mut ctx.record.history);
        ctx.workload = Some(Workload::resume(cluster, &ctx.suite.workload, so_far));
    }
    "probing every node".into()
}

/// `workload` off: the session's operations join the run's history.
async fn workload_off(ctx: &mut Ctx<'_>) -> String {
    let Some(w) = ctx.workload.take() else {
        return "workload was not running".into();
    };
    let before = w.ops_at_start();
    ctx.record.history = w.stop().await;
    let n = ctx.record.history.ops.len().saturating_sub(before);
    format!("stopped after {n} operations")
}

/// A fault before `start`: active while the nodes boot, applied as its nodes come up.
fn defer_to_boot(ctx: &mut Ctx<'_>, fault: &crate::fault::Fault) -> String {
    ctx.boot_faults.push(fault.clone());
    let nodes: Vec<String> = fault
        .boot_targets()
        .unwrap_or_default()
        .iter()
        .map(|i| format!("n{i}"))
        .collect();
    format!(
        "{} deferred: applied as {} come(s) up",
        fault.kind(),
        nodes.join(", ")
    )
}

/// `fault`: apply, and with a duration hold it, then heal.
async fn fault_for(
    ctx: &mut Ctx<'_>,
    cluster: &mut Cluster,
    fault: &crate::fault::Fault,
    duration: Option<Duration>,
) -> Result<String> {
    let id = ctx.nemesis.apply(cluster, fault).await?;
    refresh(ctx, cluster);
    let proof = ctx.nemesis.proof_of(&id);
    if let Some(d) = duration {
        // Holding a fault for its duration is the experiment itself, not synchronisation.
        tokio::time::sleep(d).await;
        ctx.nemesis.heal(cluster, &id).await?;
        refresh(ctx, cluster);
    }
    Ok(format!("{id}: {proof}"))
}

/// `start_node`: start a node `start` left out, apply the boot faults waiting for it, and
/// read back whether it became a voter (a lost join is an observation, not an error).
async fn start_node(
    ctx: &mut Ctx<'_>,
    cluster: &mut Cluster,
    node: &str,
    timeout: Duration,
) -> Result<String> {
    let i = node_index(node)?;
    let join = cluster.node(i)?.join;
    cluster.start_node(i, join).await?;
    let mut boot = crate::cluster::BootFaults {
        nemesis: &mut ctx.nemesis,
        pending: std::mem::take(&mut ctx.boot_faults),
        applied: vec![],
    };
    boot.apply_ready(cluster, node).await?;
    let (pending, applied) = (boot.pending, boot.applied);
    ctx.boot_faults = pending;
    let note: String = applied.iter().map(|a| format!("{a}; ")).collect();
    refresh(ctx, cluster);
    let voter = cluster.wait_voter(i, join.is_none(), timeout).await;
    let seen = members_line(cluster).await;
    Ok(match voter {
        Ok(()) => format!("{node} started; {note}read back: a voter; {seen}"),
        Err(e) => format!("{node} started; {note}read back: not a voter: {e}; {seen}"),
    })
}

/// `scale_out`: a new node with fresh data, and whether it became a voter.
async fn scale_out(ctx: &mut Ctx<'_>, cluster: &mut Cluster, timeout: Duration) -> Result<String> {
    let i = cluster.add_node().await?;
    let join = cluster.node(i)?.join;
    cluster.start_node(i, join).await?;
    refresh(ctx, cluster);
    let joined = cluster.wait_voter(i, join.is_none(), timeout).await;
    let seen = members_line(cluster).await;
    Ok(match joined {
        Ok(()) => format!("n{i} added with fresh data; read back: a voter; {seen}"),
        Err(e) => format!("n{i} added with fresh data; read back: not a voter: {e}; {seen}"),
    })
}

/// `replace`: a new node with empty data under the old name (back into the workload's
/// rotation) or at the old address.
async fn replace(
    ctx: &mut Ctx<'_>,
    cluster: &mut Cluster,
    node: &str,
    keep: super::suite::Keep,
) -> Result<String> {
    let i = node_index(node)?;
    if let Some(w) = ctx.workload.as_mut() {
        w.drain(cluster, node, true);
    }
    let d = if keep == super::suite::Keep::Name {
        let d = cluster
            .replace_same_name(i, Duration::from_secs(60))
            .await?;
        if let Some(w) = ctx.workload.as_mut() {
            w.drain(cluster, node, false);
        }
        d
    } else {
        cluster
            .replace_same_address(i, Duration::from_secs(60))
            .await?
            .1
    };
    refresh(ctx, cluster);
    Ok(format!("{d}; {}", members_line(cluster).await))
}

/// `admin`: call the operation and hold its answer to the step's expectation.
async fn admin(
    cluster: &mut Cluster,
    op: &str,
    node: Option<&str>,
    expect: AdminExpect,
) -> Result<String> {
    let i = node.map(node_index).transpose()?;
    let answer = cluster.admin(op, i).await?;
    let met = match expect {
        AdminExpect::Success => answer.ok(),
        AdminExpect::Failure => !answer.ok(),
        AdminExpect::Any => true,
    };
    if met {
        return Ok(format!("{answer} (expected {expect:?})"));
    }
    Err(Error::Protocol {
        node: node.unwrap_or("cluster").to_string(),
        what: format!("admin {op} (expected {expect:?})"),
        detail: answer.to_string(),
    })
}

fn node_index(name: &str) -> Result<usize> {
    Targets::node_index(name).map_err(Error::Config)
}

/// Each running node's view of the leader group's members, for a step's record.
async fn members_line(cluster: &mut Cluster) -> String {
    let obs = cluster.observe().await;
    let group = cluster.leader_group();
    let views: Vec<String> = obs
        .nodes
        .iter()
        .filter(|n| n.reachable())
        .filter_map(|n| {
            let g = n.group(&group)?;
            Some(format!(
                "{} {:?} members [{}]",
                n.node,
                g.role,
                g.members.join(",")
            ))
        })
        .collect();
    format!("members: {}", views.join("; "))
}

/// How a bring-up spaced its node starts, for the step record.
fn spacing(stagger: Option<Duration>) -> String {
    match stagger {
        None => "each join awaited".into(),
        Some(d) if d.is_zero() => "all at once".into(),
        Some(d) => format!("{d:?} apart"),
    }
}

/// `start` with `nodes`, `order`, `stagger` or `may_fail`: the bring-up is the experiment.
async fn start_experiment(
    ctx: &mut Ctx<'_>,
    cluster: &mut Cluster,
    step: &Step,
    timeout: Duration,
) -> Result<String> {
    let Step::Start {
        nodes,
        order,
        stagger,
        may_fail,
        ..
    } = step
    else {
        return Err(Error::Internal(
            "start_experiment called with a step that is not start".into(),
        ));
    };
    let n = cluster.nodes().len();
    let subset: Vec<usize> = match nodes {
        Some(list) => list.iter().map(|s| node_index(s)).collect::<Result<_>>()?,
        None => (1..=n).collect(),
    };
    let mut seq: Vec<usize> = match order {
        Some(list) => list.iter().map(|s| node_index(s)).collect::<Result<_>>()?,
        None => vec![],
    };
    let rest: Vec<usize> = subset
        .iter()
        .copied()
        .filter(|i| !seq.contains(i))
        .collect();
    seq.extend(rest);
    let stagger = stagger
        .as_deref()
        .map(humantime::parse_duration)
        .transpose()
        .map_err(|e| Error::Config(format!("stagger: {e}")))?;
    let mut boot = crate::cluster::BootFaults {
        nemesis: &mut ctx.nemesis,
        pending: std::mem::take(&mut ctx.boot_faults),
        applied: vec![],
    };
    let r = cluster
        .start_nodes(&seq, stagger, timeout, Some(&mut boot))
        .await;
    let applied = std::mem::take(&mut boot.applied);
    // Faults whose nodes this start left out wait for their start_node step.
    let pending = std::mem::take(&mut boot.pending);
    ctx.boot_faults = pending;
    let boot_note = if applied.is_empty() {
        String::new()
    } else {
        format!("; {}", applied.join("; "))
    };
    let names: Vec<String> = seq.iter().map(|i| format!("n{i}")).collect();
    ctx.record
        .checkpoints
        .push(bring_up_checkpoint(&r, timeout, !*may_fail));
    let seen = members_line(cluster).await;
    match r {
        Ok(rep) => Ok(format!(
            "started {} ({}), agreed leader and every started node a voter after {:.1?}{boot_note}; {seen}",
            names.join(" then "),
            spacing(stagger),
            rep.elapsed
        )),
        Err(e) if *may_fail => Ok(format!(
            "started {} ({}); the cluster did not form (allowed: may_fail): {e}{boot_note}; {seen}",
            names.join(" then "),
            spacing(stagger)
        )),
        Err(e) => Err(e),
    }
}

/// How preflight names a node in the target membership (`as_self`: as the node names
/// itself). r-nacos persists the address each node announced; official Nacos lists members
/// as cluster.conf does.
fn preflight_addr(
    flavor: FlavorKind,
    id: &crate::flavor::NodeIdentity,
    m: &crate::flavor::Membership,
    as_self: bool,
) -> String {
    match flavor {
        FlavorKind::RNacos => format!(
            "{}={}:{}",
            id.index,
            m.self_name(id),
            crate::flavor::rnacos::GRPC_PORT
        ),
        FlavorKind::Official if as_self => format!("{}:8848", m.self_name(id)),
        FlavorKind::Official => format!("{}:8848", m.listed_name(id)),
    }
}

async fn preflight_nodes(ctx: &mut Ctx<'_>, cluster: &mut Cluster) -> Result<String> {
    let flavor = cluster.spec().flavor;
    let m = cluster.membership_for(crate::cluster::MembershipPolicy::Follow);
    let target: Vec<String> = m
        .members
        .iter()
        .map(|n| preflight_addr(flavor, n, &m, false))
        .collect();
    let mut lines = vec![];
    for i in 1..=cluster.nodes().len() {
        let node = cluster.node(i)?.clone();
        let Some(id) = node.container_id.clone() else {
            continue;
        };
        let data_path = crate::flavor::data_path(flavor);
        let tar = cluster.download(&id, data_path).await?;
        let dest = ctx.results_dir.join("data").join(node.name());
        std::fs::create_dir_all(&dest).map_err(|e| Error::io("create", &dest, e))?;
        tar::Archive::new(tar.as_slice())
            .unpack(&dest)
            .map_err(|e| Error::io("unpack data of", &dest, e))?;
        let dir = dest.join(data_path.rsplit('/').next().unwrap_or("data"));
        let self_addr = preflight_addr(flavor, &node.identity, &m, true);
        let opts = crate::preflight::PreflightOptions::new(&dir, flavor, &target.join(","))?
            .with_self(&self_addr)?;
        let line = match crate::preflight::preflight(&opts) {
            Ok(r) => format!("n{i}: {:?}", r.worst()),
            Err(e) => format!("n{i}: unreadable: {e}"),
        };
        lines.push(line);
    }
    Ok(lines.join("; "))
}

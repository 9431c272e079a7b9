//! Executing one step against the cluster.

use std::path::PathBuf;
use std::time::Duration;

use super::suite::{Order, Step, Strategy, Suite};
use crate::check::Checkpoint;
use crate::cluster::{Cluster, Recreate};
use crate::error::{Error, Result};
use crate::fault::{Nemesis, Targets};
use crate::flavor::{FlavorKind, Role};
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
}

/// Short human description of a step.
pub fn describe(step: &Step) -> String {
    match step {
        Step::Start { .. } => "start cluster".into(),
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
    }
}

async fn checkpoint(
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

fn refresh(ctx: &Ctx<'_>, cluster: &Cluster) {
    if let Some(w) = &ctx.workload {
        w.update(cluster);
    }
}

async fn upgrade_order(
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
                .nodes
                .iter()
                .position(|o| o.groups.first().is_some_and(|g| g.role == Role::Leader))
                .map(|i| i + 1);
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

/// Execute one step; the text is the step's detail for the record.
pub async fn execute(ctx: &mut Ctx<'_>, cluster: &mut Cluster, step: &Step) -> Result<String> {
    match step {
        Step::Start { timeout } => {
            let r = cluster.start_all(*timeout).await;
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
            ctx.record.checkpoints.push(Checkpoint {
                name: "bring-up".into(),
                at_ms: 0,
                time_to_leader_ms: r.as_ref().ok().map(|rep| rep.elapsed.as_millis() as u64),
                deadline_ms: timeout.as_millis() as u64,
                reason: r.as_ref().err().map(|e| e.to_string()),
                expect_leader: true,
            });
            r.map(|_| detail)
        }
        Step::WaitLeader { timeout, expect } => Ok(checkpoint(
            ctx,
            cluster,
            format!("wait at {}ms", cluster.now_ms()),
            *timeout,
            *expect,
        )
        .await),
        Step::Workload { enabled: true } => {
            if ctx.workload.is_none() {
                // The run's history so far goes into the new session, which appends to it.
                let so_far = std::mem::take(&mut ctx.record.history);
                ctx.workload = Some(Workload::resume(cluster, &ctx.suite.workload, so_far));
            }
            Ok("probing every node".into())
        }
        Step::Workload { enabled: false } => {
            if let Some(w) = ctx.workload.take() {
                let before = w.ops_at_start();
                ctx.record.history = w.stop().await;
                let n = ctx.record.history.ops.len().saturating_sub(before);
                return Ok(format!("stopped after {n} operations"));
            }
            Ok("workload was not running".into())
        }
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
            let version = if *rollback {
                ctx.from.to_string()
            } else {
                ctx.to
                    .ok_or_else(|| Error::Config("upgrade step without a to-version".into()))?
                    .to_string()
            };
            let order = upgrade_order(cluster, order, nodes.as_ref()).await?;
            let moved = match ip_change {
                Some(t) => {
                    cluster.bump_generation();
                    t.resolve(cluster).await?
                }
                None => vec![],
            };
            let mut details = vec![];
            match strategy {
                Strategy::Rolling => {
                    for i in order {
                        let how = Recreate {
                            new_ip: moved.contains(&i),
                            version: Some(version.clone()),
                            policy: *membership,
                        };
                        let name = format!("n{i}");
                        if *drain && let Some(w) = ctx.workload.as_mut() {
                            w.drain(cluster, &name, true);
                        }
                        cluster.stop_node(i, 10).await.ok();
                        cluster.recreate_node(i, &how).await?;
                        refresh(ctx, cluster);
                        details.push(
                            checkpoint(
                                ctx,
                                cluster,
                                format!("after n{i} -> {version}"),
                                *wait,
                                *expect_leader,
                            )
                            .await,
                        );
                        if *drain && let Some(w) = ctx.workload.as_mut() {
                            w.drain(cluster, &name, false);
                        }
                    }
                }
                Strategy::FullStop => {
                    for &i in &order {
                        cluster.stop_node(i, 10).await.ok();
                    }
                    for &i in &order {
                        let how = Recreate {
                            new_ip: moved.contains(&i),
                            version: Some(version.clone()),
                            policy: *membership,
                        };
                        cluster.recreate_node(i, &how).await?;
                    }
                    refresh(ctx, cluster);
                    details.push(
                        checkpoint(
                            ctx,
                            cluster,
                            format!("after full stop -> {version}"),
                            *wait,
                            *expect_leader,
                        )
                        .await,
                    );
                }
            }
            Ok(details.join("; "))
        }
        Step::Fault { fault, duration } => {
            let id = ctx.nemesis.apply(cluster, fault).await?;
            refresh(ctx, cluster);
            let proof = ctx
                .nemesis
                .windows()
                .into_iter()
                .find(|w| w.id == id)
                .map(|w| w.proof.join("; "))
                .unwrap_or_default();
            if let Some(d) = duration {
                // Holding a fault for its duration is the experiment itself, not synchronisation.
                tokio::time::sleep(*d).await;
                ctx.nemesis.heal(cluster, &id).await?;
                refresh(ctx, cluster);
            }
            Ok(format!("{id}: {proof}"))
        }
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
    }
}

/// How preflight names a node in the target membership.
fn preflight_addr(
    flavor: FlavorKind,
    id: &crate::flavor::NodeIdentity,
    mode: crate::flavor::IdentityMode,
) -> String {
    match flavor {
        FlavorKind::RNacos => format!(
            "{}={}:{}",
            id.index,
            id.address(mode),
            crate::flavor::rnacos::GRPC_PORT
        ),
        FlavorKind::Official => format!("{}:8848", id.address(mode)),
    }
}

async fn preflight_nodes(ctx: &mut Ctx<'_>, cluster: &mut Cluster) -> Result<String> {
    let flavor = cluster.spec().flavor;
    let mode = cluster.spec().identity;
    let target: Vec<String> = cluster
        .nodes()
        .iter()
        .map(|n| preflight_addr(flavor, &n.identity, mode))
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
        let self_addr = preflight_addr(flavor, &node.identity, mode);
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

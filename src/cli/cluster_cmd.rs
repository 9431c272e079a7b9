//! `up`, `down`, `gc`, `image`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

use nacos_chaos::cluster::observe::Observation;
use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::docker::Engine;

use super::ClusterArgs;

fn spec(a: &ClusterArgs) -> ClusterSpec {
    ClusterSpec {
        flavor: a.flavor,
        version: a.version.clone(),
        nodes: a.nodes,
        identity: a.identity,
        mode: Default::default(),
        registry: a.registry.clone(),
        tuning: vec![],
        naming: vec![],
    }
}

/// Print one line per node and group.
pub fn print_observation(cluster: &Cluster, obs: &Observation) {
    println!(
        "{:<4} {:<16} {:<7} {:<30} {:<10} {:>5} {:<8} members",
        "node", "ip", "http", "group", "role", "term", "leader"
    );
    for (n, o) in cluster.nodes().iter().zip(&obs.nodes) {
        let http = n.http_port.map(|p| p.to_string()).unwrap_or("-".into());
        if let Some(e) = &o.error {
            println!("{:<4} {:<16} {:<7} {e}", n.name(), n.identity.ip, http);
        }
        for g in &o.groups {
            println!(
                "{:<4} {:<16} {:<7} {:<30} {:<10} {:>5} {:<8} {}",
                n.name(),
                n.identity.ip,
                http,
                g.group,
                format!("{:?}", g.role),
                g.term.map(|t| t.to_string()).unwrap_or("-".into()),
                g.leader.as_deref().unwrap_or("none"),
                g.members.join(",")
            );
        }
    }
}

pub async fn up(
    args: ClusterArgs,
    keep: bool,
    timeout: Duration,
    run_id: Option<String>,
) -> Result<ExitCode> {
    let spec = spec(&args);
    let run_id = run_id.unwrap_or_else(nacos_chaos::docker::new_run_id);
    let mut cluster = Cluster::create_with_run_id(spec, run_id)
        .await
        .context("creating the cluster")?;
    println!(
        "run {}  network {}  subnet {}",
        cluster.run_id(),
        cluster.network().name,
        cluster.network().subnet()
    );
    let outcome = tokio::select! {
        r = cluster.start_all(timeout) => Some(r),
        _ = tokio::signal::ctrl_c() => None,
    };
    let code = match outcome {
        None => {
            eprintln!("interrupted: tearing down run {}", cluster.run_id());
            cluster.teardown().await?;
            return Ok(ExitCode::from(130));
        }
        Some(Err(e)) => {
            let obs = cluster.observe().await;
            print_observation(&cluster, &obs);
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Some(Ok(report)) => {
            print_observation(&cluster, &report.observation);
            for (g, a) in &report.groups {
                println!("group {g}: {a:?}");
            }
            println!("time to agreed leader: {:.2?}", report.elapsed);
            if report.attempts > 1 {
                println!(
                    "bring-up took {} attempts (a join was lost; see the warnings)",
                    report.attempts
                );
            }
            print_boot_memberships(&cluster).await;
            ExitCode::SUCCESS
        }
    };
    if keep {
        println!(
            "kept running; tear down with: nacos-chaos down --run {}",
            cluster.run_id()
        );
        std::mem::forget(cluster);
    } else {
        cluster.teardown().await?;
    }
    Ok(code)
}

pub async fn gc(run: Option<String>, dry_run: bool) -> Result<ExitCode> {
    let engine = Engine::connect("gc").await?;
    let inv = if dry_run {
        engine.inventory(run.as_deref()).await?
    } else {
        engine.gc(run.as_deref()).await?
    };
    let verb = if dry_run { "found" } else { "removed" };
    println!(
        "{verb} {} containers, {} networks, {} volumes",
        inv.containers.len(),
        inv.networks.len(),
        inv.volumes.len()
    );
    for c in inv
        .containers
        .iter()
        .chain(&inv.networks)
        .chain(&inv.volumes)
    {
        println!("  {c}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn image(args: ClusterArgs) -> Result<ExitCode> {
    let engine = Engine::connect("image").await?;
    let image = nacos_chaos::image::ensure(
        &engine,
        args.flavor,
        &args.version,
        args.registry.as_deref(),
    )
    .await?;
    let tools = nacos_chaos::image::ensure_tools(&engine).await?;
    println!("{image}\n{tools}");
    Ok(ExitCode::SUCCESS)
}

/// What each node would boot with after a restart (flavors that keep it apart from the log).
async fn print_boot_memberships(cluster: &Cluster) {
    match cluster.boot_memberships().await {
        Ok(Some(boots)) => {
            for b in boots {
                let m = b
                    .members
                    .map_or_else(|| "uninitialised".to_string(), |m| m.join(","));
                println!("{} would boot with members {m}", b.node);
            }
        }
        Ok(None) => {}
        Err(e) => eprintln!("warning: boot membership unreadable: {e}"),
    }
}

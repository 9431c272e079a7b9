//! Stale-metadata faults on a node's data volume: snapshot aside, restore, clone another
//! node's data, wipe Raft state. Done by a tools helper mounting the volumes (no network);
//! read back by a content digest of the data dir.

use std::time::Duration;

use crate::cluster::{Cluster, NodeState};
use crate::docker::ContainerRequest;
use crate::error::{Error, Result};

const DIGEST: &str = "cd /data && n=$(find . -type f | wc -l); d=$(find . -type f | sort | xargs -r sha256sum | sha256sum | cut -c1-16); echo \"files=$n digest=$d\"";

fn data_err(fault: &str, detail: String) -> Error {
    Error::Fault {
        fault: fault.into(),
        detail,
    }
}

fn stash_volume(cluster: &Cluster) -> String {
    format!("nchaos-{}-stash", cluster.run_id())
}

/// Path of the Raft state relative to the data volume root.
fn raft_rel(cluster: &Cluster, node: usize) -> Result<String> {
    let n = cluster.node(node)?;
    let spec_data = crate::flavor::data_path(cluster.flavor().kind());
    let raft = cluster.flavor().raft_dir(&n.version);
    Ok(raft
        .strip_prefix(spec_data)
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string())
}

async fn run(
    cluster: &Cluster,
    what: &str,
    volumes: Vec<(String, String)>,
    script: String,
) -> Result<String> {
    let image = crate::image::ensure_tools(cluster.engine()).await?;
    let req = ContainerRequest {
        name: format!("nchaos-{}-{what}-{}", cluster.run_id(), cluster.now_ms()),
        image,
        cmd: Some(vec!["sh".into(), "-ec".into(), script]),
        role: "helper".into(),
        network_mode: Some("none".into()),
        volumes,
        ..Default::default()
    };
    let out = cluster
        .engine()
        .run_helper(&req, Duration::from_secs(120))
        .await?;
    if out.exit_code != 0 {
        return Err(data_err(
            what,
            format!(
                "helper failed (exit {}): {}",
                out.exit_code,
                out.output.trim()
            ),
        ));
    }
    Ok(out.output.trim().to_string())
}

/// The digest line of a node's data volume (`files=N digest=H`).
pub async fn digest(cluster: &Cluster, node: usize) -> Result<String> {
    let vol = cluster.node(node)?.volume.clone();
    let out = run(
        cluster,
        "digest",
        vec![(vol, "/data".into())],
        DIGEST.to_string(),
    )
    .await?;
    Ok(out.lines().last().unwrap_or("").to_string())
}

async fn stop_if_running(cluster: &mut Cluster, node: usize) -> Result<bool> {
    let running = matches!(
        cluster.node(node)?.state,
        NodeState::Running | NodeState::Paused
    );
    if running {
        if cluster.node(node)?.state == NodeState::Paused {
            cluster.unpause_node(node).await?;
        }
        cluster.stop_node(node, 10).await?;
    }
    Ok(running)
}

pub(super) async fn wipe_raft(cluster: &mut Cluster, nodes: &[usize]) -> Result<Vec<String>> {
    let mut proof = vec![];
    for &n in nodes {
        let was_running = stop_if_running(cluster, n).await?;
        let rel = raft_rel(cluster, n)?;
        let vol = cluster.node(n)?.volume.clone();
        let before = digest(cluster, n).await?;
        let target = if rel.is_empty() {
            "/data".to_string()
        } else {
            format!("/data/{rel}")
        };
        let out = run(cluster, "wipe", vec![(vol, "/data".into())], format!(
            "if [ -d {target} ]; then find {target} -mindepth 1 -delete; fi; echo left=$(find {target} -mindepth 1 2>/dev/null | wc -l)"
        )).await?;
        if !out.ends_with("left=0") {
            return Err(data_err(
                "wipe_raft",
                format!("read-back: {target} on n{n} not empty: {out}"),
            ));
        }
        let after = digest(cluster, n).await?;
        proof.push(format!(
            "n{n}: {target} wiped; before {before}; after {after}"
        ));
        if was_running {
            cluster.restart_node(n).await?;
        }
    }
    Ok(proof)
}

pub(super) async fn snapshot(
    cluster: &mut Cluster,
    node: usize,
    name: &str,
) -> Result<Vec<String>> {
    check_name(name)?;
    let stash = stash_volume(cluster);
    cluster.engine().create_volume(&stash, "stash").await?;
    let vol = cluster.node(node)?.volume.clone();
    let out = run(
        cluster,
        "snapshot",
        vec![(vol, "/data".into()), (stash, "/stash".into())],
        format!(
            "rm -rf /stash/{name}; mkdir -p /stash/{name}; cp -a /data/. /stash/{name}/; {DIGEST}"
        ),
    )
    .await?;
    Ok(vec![format!(
        "n{node} data saved as '{name}': {}",
        out.lines().last().unwrap_or("")
    )])
}

pub(super) async fn restore(cluster: &mut Cluster, node: usize, name: &str) -> Result<Vec<String>> {
    check_name(name)?;
    let was_running = stop_if_running(cluster, node).await?;
    let stash = stash_volume(cluster);
    let vol = cluster.node(node)?.volume.clone();
    let out = run(cluster, "restore", vec![(vol, "/data".into()), (stash, "/stash".into())], format!(
        "[ -d /stash/{name} ] || {{ echo \"no snapshot named {name}\"; exit 3; }}; \
         find /data -mindepth 1 -delete; cp -a /stash/{name}/. /data/; \
         a=$(cd /stash/{name} && find . -type f | sort | xargs -r sha256sum | sha256sum); \
         b=$(cd /data && find . -type f | sort | xargs -r sha256sum | sha256sum); \
         [ \"$a\" = \"$b\" ] || {{ echo \"restored data differs from snapshot\"; exit 4; }}; echo restored digest=$(echo $b | cut -c1-16)"
    )).await?;
    if was_running {
        cluster.restart_node(node).await?;
    }
    Ok(vec![format!("n{node} <- '{name}': {out}")])
}

pub(super) async fn clone(cluster: &mut Cluster, from: usize, to: usize) -> Result<Vec<String>> {
    if from == to {
        return Err(Error::Config(
            "clone_data: from and to are the same node".into(),
        ));
    }
    let was_running = stop_if_running(cluster, to).await?;
    let src = cluster.node(from)?.volume.clone();
    let dst = cluster.node(to)?.volume.clone();
    let out = run(cluster, "clone", vec![(src, "/src".into()), (dst, "/data".into())], String::from(
        "find /data -mindepth 1 -delete; cp -a /src/. /data/; \
         a=$(cd /src && find . -type f | sort | xargs -r sha256sum | sha256sum); \
         b=$(cd /data && find . -type f | sort | xargs -r sha256sum | sha256sum); \
         [ \"$a\" = \"$b\" ] || { echo 'clone differs (source changed while copying?)'; exit 4; }; echo cloned digest=$(echo $b | cut -c1-16)",
    )).await?;
    if was_running {
        cluster.restart_node(to).await?;
    }
    Ok(vec![format!("n{to} <- data of n{from}: {out}")])
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::Config(format!(
            "snapshot name '{name}' must be non-empty [A-Za-z0-9_-]"
        )));
    }
    Ok(())
}

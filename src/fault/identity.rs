//! IP change: stop the targets together, then recreate each with a new static IP on the
//! same data volume. Read back from the engine: every target's IP is the new one.

use crate::cluster::{Cluster, MembershipPolicy, Recreate};
use crate::error::{Error, Result};

/// Grace before SIGKILL when a node's process is replaced (its data kept): longer than the
/// probes' 3 s request timeout, so no request a client still waits for is cut short. A
/// stopping r-nacos (actix-web's graceful shutdown) waits for in-flight requests, and a
/// write whose quorum is stopping with it never finishes: a longer grace only waits longer.
const REPLACE_GRACE_S: i32 = 3;

pub(super) async fn ip_change(
    cluster: &mut Cluster,
    nodes: &[usize],
    policy: MembershipPolicy,
) -> Result<Vec<String>> {
    let running: Vec<usize> = nodes
        .iter()
        .copied()
        .filter(|&n| {
            cluster
                .node(n)
                .is_ok_and(|node| node.container_id.is_some())
        })
        .collect();
    cluster.stop_nodes(&running, REPLACE_GRACE_S).await?;
    let generation = cluster.bump_generation();
    for &n in nodes {
        cluster.remove_node_container(n).await?;
        cluster.assign_ip(n)?;
    }
    let mut proof = vec![];
    for &n in nodes {
        let old = cluster.node(n)?.original.ip;
        cluster
            .recreate_node(
                n,
                &Recreate {
                    new_ip: false,
                    version: None,
                    policy,
                },
            )
            .await?;
        let node = cluster.node(n)?;
        let want = node.identity.ip;
        let id = node.container_id.clone().unwrap_or_default();
        let net = cluster.network().name.clone();
        let seen = cluster.engine().inspect_ip(&id, &net).await?;
        if seen != Some(want) {
            return Err(Error::Fault {
                fault: "ip_change".into(),
                detail: format!("read-back: n{n} has IP {seen:?}, expected {want}"),
            });
        }
        proof.push(format!(
            "n{n}: {old} -> {want} (generation {generation}, inspect confirms)"
        ));
    }
    Ok(proof)
}

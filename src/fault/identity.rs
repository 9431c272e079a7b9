//! IP change: stop the targets together, then recreate each with a new static IP on the
//! same data volume. Read back from the engine: every target's IP is the new one.

use crate::cluster::{Cluster, MembershipPolicy, Recreate};
use crate::error::{Error, Result};

pub(super) async fn ip_change(
    cluster: &mut Cluster,
    nodes: &[usize],
    policy: MembershipPolicy,
) -> Result<Vec<String>> {
    for &n in nodes {
        if cluster.node(n)?.container_id.is_some() {
            cluster.stop_node(n, 10).await?;
        }
    }
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

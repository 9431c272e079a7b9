//! Phantom peer: an extra, misconfigured node pointing at the cluster — by default a new
//! node id, or (`as_node`) one that claims an existing node's id from another address.

use crate::cluster::Cluster;
use crate::docker::{ContainerRequest, LABEL_NODE};
use crate::error::{Error, Result};
use crate::flavor::{NodeIdentity, RenderCtx};

/// Start the phantom; returns (container id, proof).
pub(super) async fn start(
    cluster: &mut Cluster,
    as_node: Option<usize>,
) -> Result<(String, Vec<String>)> {
    let n = cluster.nodes().len();
    if let Some(a) = as_node
        && (a == 0 || a > n)
    {
        return Err(Error::Config(format!(
            "phantom_peer as_node = {a}: no such node in a {n}-node cluster"
        )));
    }
    let ip = cluster.network().ip(250);
    let me = NodeIdentity {
        index: as_node.unwrap_or(n + 1),
        hostname: "phantom".into(),
        ip,
    };
    let mut membership = cluster.membership_for(crate::cluster::MembershipPolicy::Follow);
    membership.members.push(me.clone());
    let join = cluster.node(1)?.identity.clone();
    let version = cluster.node(1)?.version.clone();
    let spec = cluster.flavor().render(&RenderCtx {
        node: &me,
        membership: &membership,
        version: &version,
        join: Some(&join),
        tuning: &cluster.spec().tuning,
    })?;
    let volume = format!("nchaos-{}-phantom-data", cluster.run_id());
    cluster.engine().create_volume(&volume, "phantom").await?;
    let req = ContainerRequest {
        name: format!("nchaos-{}-phantom", cluster.run_id()),
        image: spec.image,
        env: spec.env,
        cmd: spec.cmd,
        labels: vec![(LABEL_NODE.into(), "phantom".into())],
        role: "phantom".into(),
        hostname: Some("phantom".into()),
        network: Some((cluster.network().name.clone(), ip, vec!["phantom".into()])),
        volumes: vec![(volume, spec.data_path)],
        memory_bytes: spec.memory_bytes,
        ..Default::default()
    };
    let id = cluster.engine().create_container(&req).await?;
    cluster.engine().start(&id).await?;
    let state = cluster.engine().state(&id).await?.unwrap_or_default();
    let seen = cluster
        .engine()
        .inspect_ip(&id, &cluster.network().name)
        .await?;
    if state != "running" || seen != Some(ip) {
        let _ = cluster.engine().remove_container(&id).await;
        return Err(Error::Fault {
            fault: "phantom_peer".into(),
            detail: format!(
                "read-back: phantom is '{state}' at {seen:?}, expected running at {ip}"
            ),
        });
    }
    Ok((
        id,
        vec![format!(
            "phantom (node id {}) running at {ip}, joining n1",
            me.index
        )],
    ))
}

/// Remove the phantom.
pub(super) async fn stop(cluster: &Cluster, id: &str) -> Result<Vec<String>> {
    cluster.engine().remove_container(id).await?;
    match cluster.engine().state(id).await? {
        None => Ok(vec!["phantom removed".into()]),
        Some(s) => Err(Error::Fault {
            fault: "phantom_peer".into(),
            detail: format!("phantom still {s}"),
        }),
    }
}

/// Heals `phantom_peer`: removes the phantom's container.
#[derive(Debug)]
pub(super) struct RemovePhantom(pub String);

impl super::inject::Heal for RemovePhantom {
    fn heal<'a>(
        &'a self,
        cluster: &'a mut Cluster,
        _: &'a super::NetOptions,
    ) -> futures_util::future::BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(stop(cluster, &self.0))
    }
}

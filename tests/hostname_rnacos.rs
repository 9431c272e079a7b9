//! Hostname identity mode: peers are addressed by stable names, so an IP change of every
//! node — fatal in IP mode — is survived. The names-not-IPs remedy, measured.

mod common;

use std::time::Duration;

use nacos_chaos::cluster::{Cluster, ClusterSpec, MembershipPolicy};
use nacos_chaos::fault::{Fault, Nemesis, Targets};
use nacos_chaos::flavor::IdentityMode;

#[tokio::test]
async fn hostname_mode_cluster_survives_a_whole_cluster_ip_change() {
    let Some(_e) = common::engine_or_skip("hostname_mode").await else {
        return;
    };
    let mut spec = ClusterSpec::rnacos(common::RNACOS_TO, 3);
    spec.identity = IdentityMode::Hostname;
    let mut c = Cluster::launch(spec).await.expect("hostname-mode bring-up");
    let mut nemesis = Nemesis::default();
    nemesis
        .apply(
            &mut c,
            &Fault::IpChange(nacos_chaos::fault::IpChange {
                nodes: Targets::All,
                membership: MembershipPolicy::Follow,
            }),
        )
        .await
        .expect("ip change");
    for (i, n) in c.nodes().iter().enumerate() {
        assert_ne!(n.identity.ip, n.original.ip, "n{} kept its IP", i + 1);
        assert_eq!(n.identity.hostname, n.original.hostname);
    }
    let report = c
        .wait_for_leader(Duration::from_secs(60))
        .await
        .expect("a leader despite new IPs");
    assert_eq!(report.observation.nodes.len(), 3);
    c.wait_for_voters(Duration::from_secs(30))
        .await
        .expect("all voters");
    c.teardown().await.unwrap();
}

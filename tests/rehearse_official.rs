//! Official Nacos rehearsal end to end, when `nacos/nacos-server:v2.4.1` is in the local
//! engine (or NACOS_CHAOS_REGISTRY names a mirror): a real 3-node backup with configs and
//! persistent instances, a whole-cluster address change rehearsed on it. Without the image
//! it prints a visible SKIP. (Written without the image at hand: not yet run for real.)

mod common;

use std::time::Duration;

use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::flavor::{FlavorKind, IdentityMode};
use nacos_chaos::rehearse::{self, Change, Fix, Plan, input, restore};

const VERSION: &str = "2.4.1";

#[tokio::test]
async fn rehearsing_an_address_change_on_an_official_backup() {
    let Some(engine) = common::engine_or_skip("rehearse_official").await else {
        return;
    };
    let registry = std::env::var("NACOS_CHAOS_REGISTRY").ok();
    let image = nacos_chaos::image::official_ref(VERSION, registry.as_deref());
    if registry.is_none() && !engine.image_exists(&image).await.unwrap() {
        common::skip(
            "rehearse_official",
            &format!(
                "{image} is not in the local engine (docker load it, or set NACOS_CHAOS_REGISTRY)"
            ),
        );
        return;
    }
    let spec = ClusterSpec {
        flavor: FlavorKind::Official,
        version: VERSION.into(),
        nodes: 3,
        identity: IdentityMode::Ip,
        registry: registry.clone(),
        tuning: vec![],
        naming: vec![],
        mode: Default::default(),
    };
    let mut c = Cluster::create(spec).await.unwrap();
    c.start_all(Duration::from_secs(300)).await.expect("launch");
    let base = c.node(1).unwrap().base_url().unwrap();
    let http = c.http().clone();
    for id in ["app.yaml", "db.properties"] {
        let r = http
            .post(format!("{base}/nacos/v1/cs/configs"))
            .form(&[("dataId", id), ("group", "DEFAULT_GROUP"), ("content", id)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.text().await.unwrap(), "true");
    }
    let r = http
        .post(format!("{base}/nacos/v1/ns/instance"))
        .form(&[
            ("serviceName", "svc-a"),
            ("ip", "127.0.0.1"),
            ("port", "9001"),
            ("ephemeral", "false"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "ok");
    for i in 1..=3 {
        c.stop_node(i, 30).await.unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut backups = vec![];
    for i in 1..=3 {
        let d = tmp.path().join(format!("n{i}"));
        restore::save_node_data(&c, i, &d).await.unwrap();
        backups.push(d);
    }
    let ips: Vec<_> = c.nodes().iter().map(|n| n.identity.ip).collect();
    c.teardown().await.unwrap();
    let members: Vec<String> = ips.iter().map(|ip| format!("{ip}:8848")).collect();
    let moves: Vec<String> = ips
        .iter()
        .map(|ip| {
            let o = ip.octets();
            format!("{ip}={}.{}.{}.{}", o[0], o[1], o[2], o[3] + 20)
        })
        .collect();
    let digests: Vec<String> = backups
        .iter()
        .map(|b| input::tree_digest(b).unwrap())
        .collect();
    let mut plan = Plan::new(
        FlavorKind::Official,
        VERSION,
        backups.clone(),
        &members.join(","),
        Change::parse_new_addresses(&moves.join(",")).unwrap(),
    )
    .unwrap();
    plan.registry = registry;
    plan.fixes = vec![Fix::DeleteRaftDir, Fix::KeepOldAddresses, Fix::RaftReset];
    plan.leader_timeout = Duration::from_secs(90);
    let report = rehearse::rehearse(&plan).await.expect("rehearsal");
    let md = report.markdown();
    eprintln!("{md}");
    assert!(!report.safe, "{md}");
    assert!(
        report.fix("keep-old-addresses").unwrap().recovered_whole(),
        "{md}"
    );
    assert!(
        report.fix("delete-raft-dir").unwrap().leader_ms.is_some(),
        "{md}"
    );
    // The Raft reset was sent (restRaftCluster needs a leader: after a whole-cluster address
    // change the answer is expected to be a refusal, quoted in the evidence).
    let reset = report.fix("raft-reset").unwrap();
    assert!(
        reset
            .evidence
            .iter()
            .any(|e| e.contains("/nacos/v1/core/ops/raft") && e.contains("restRaftCluster")),
        "{md}"
    );
    for (b, d) in backups.iter().zip(&digests) {
        assert_eq!(&input::tree_digest(b).unwrap(), d);
    }
}

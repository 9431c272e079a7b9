//! The repro export is a compose file docker-compose accepts, labelled with the run id, and
//! the steps name every fault with its proof.

mod common;

use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::fault::FaultWindow;
use nacos_chaos::report::RunRecord;
use nacos_chaos::scenario::{compose_yaml, steps_md};

#[tokio::test]
async fn compose_export_is_valid_and_labelled() {
    let Some(_e) = common::engine_or_skip("repro_export").await else {
        return;
    };
    let mut c = Cluster::create(ClusterSpec::rnacos(common::RNACOS_TO, 3))
        .await
        .unwrap();
    let yaml = compose_yaml(&c).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker-compose.yml");
    std::fs::write(&file, &yaml).unwrap();
    let out = std::process::Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .args(["config", "-q"])
        .output();
    match out {
        Ok(o) => assert!(
            o.status.success(),
            "{}\n{yaml}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => common::skip(
            "compose validation",
            &format!("docker-compose not installed ({e})"),
        ),
    }
    assert!(
        yaml.contains(&format!("ipv4_address: {}", c.node(1).unwrap().original.ip)),
        "{yaml}"
    );
    assert!(yaml.contains("RNACOS_RAFT_JOIN_ADDR"), "{yaml}");
    assert_eq!(
        yaml.matches(&format!("io.nacos-chaos.run: \"{}\"", c.run_id()))
            .count(),
        3 + 1 + 3,
        "{yaml}"
    );
    c.teardown().await.unwrap();
}

#[test]
fn steps_name_every_fault_and_what_went_wrong() {
    let mut r = RunRecord::example();
    r.faults.push(FaultWindow {
        id: "f1".into(),
        kind: "ip_change".into(),
        description: "new IPs".into(),
        targets: vec!["n1".into(), "n2".into()],
        start_ms: 100,
        end_ms: None,
        proof: vec!["n1: 10.231.1.11 -> 10.231.1.31".into()],
        heal_proof: vec![],
    });
    r.error = Some("step 3 failed".into());
    let md = steps_md(&r);
    assert!(md.contains("ip_change on n1, n2"), "{md}");
    assert!(md.contains("10.231.1.31"), "{md}");
    assert!(md.contains("ipv4_address"), "{md}");
    assert!(md.contains("runner error: step 3 failed"), "{md}");
}

//! The tools image builds from host binaries and can apply netem inside another container's
//! network namespace with NET_ADMIN only.

mod common;

use std::time::Duration;

use nacos_chaos::docker::ContainerRequest;

#[tokio::test]
async fn tools_image_manipulates_a_shared_namespace() {
    let Some(engine) = common::engine_or_skip("tools_image").await else {
        return;
    };
    let image = nacos_chaos::image::ensure_tools(&engine)
        .await
        .expect("tools image");
    let net = engine.create_run_network().await.expect("network");
    let target = engine
        .create_container(&ContainerRequest {
            name: format!("nchaos-{}-target", engine.run_id()),
            image: image.clone(),
            cmd: Some(vec!["sleep".into(), "60".into()]),
            role: "node".into(),
            network: Some((net.name.clone(), net.ip(50), vec![])),
            ..Default::default()
        })
        .await
        .expect("create target");
    engine.start(&target).await.expect("start target");
    let helper = ContainerRequest {
        name: format!("nchaos-{}-netem", engine.run_id()),
        image: image.clone(),
        cmd: Some(vec![
            "sh".into(),
            "-c".into(),
            "iptables -N NCHAOS && iptables -A OUTPUT -j NCHAOS && iptables -A NCHAOS -m statistic --mode random --probability 0.5 -j NFQUEUE --queue-num 3 --queue-bypass && iptables -S NCHAOS && tc qdisc add dev eth0 root tbf rate 1mbit burst 32kbit latency 400ms && tc qdisc show dev eth0".into(),
        ]),
        role: "helper".into(),
        network_mode: Some(format!("container:{target}")),
        cap_add: vec!["NET_ADMIN".into()],
        ..Default::default()
    };
    let out = engine
        .run_helper(&helper, Duration::from_secs(30))
        .await
        .expect("helper");
    engine.gc(Some(engine.run_id())).await.expect("gc");
    assert_eq!(out.exit_code, 0, "{}", out.output);
    assert!(
        out.output.contains("NFQUEUE") && out.output.contains("tbf"),
        "{}",
        out.output
    );
    assert!(
        engine
            .inventory(Some(engine.run_id()))
            .await
            .unwrap()
            .is_empty()
    );
}

//! Faults on a real r-nacos cluster: each applied, proven in place, healed — and the
//! cluster's reaction asserted.

mod common;

use std::time::Duration;

use nacos_chaos::Error;
use nacos_chaos::cluster::{Cluster, ClusterSpec, MembershipPolicy};
use nacos_chaos::fault::{Fault, Nemesis, NetOptions, Partition, Targets, measure_rtt_ms};
use nacos_chaos::flavor::rnacos::GROUP;

async fn launch(test: &str) -> Option<Cluster> {
    common::engine_or_skip(test).await?;
    Some(
        Cluster::launch(ClusterSpec::rnacos(common::RNACOS_TO, 3))
            .await
            .expect("launch"),
    )
}

#[tokio::test]
async fn whole_cluster_ip_change_with_data_kept_never_elects_a_leader() {
    let Some(mut c) = launch("ip_change_all").await else {
        return;
    };
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
        .expect("ip change applied and read back");
    let w = &nemesis.windows()[0];
    assert_eq!(w.proof.len(), 3, "{:?}", w.proof);
    assert!(w.proof.iter().all(|p| p.contains("inspect confirms")));
    // Expected outcome (the seed's bug class): no agreed leader within a generous deadline.
    let err = c
        .wait_for_leader(Duration::from_secs(45))
        .await
        .expect_err("must stay leaderless");
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    // The nodes are up and answering — the failure is leadership, not reachability.
    let obs = c.observe().await;
    assert!(
        obs.nodes.iter().all(|n| n.error.is_none()),
        "{:?}",
        obs.nodes
    );
    assert!(
        obs.nodes.iter().all(|n| n.groups[0].leader.is_none()),
        "{:?}",
        obs.nodes
    );
    c.teardown().await.unwrap();
}

#[tokio::test]
async fn control_full_restart_with_same_ips_elects_a_leader() {
    let Some(mut c) = launch("restart_all").await else {
        return;
    };
    let mut nemesis = Nemesis::default();
    nemesis
        .apply(
            &mut c,
            &Fault::Restart(nacos_chaos::fault::Restart {
                nodes: Targets::All,
            }),
        )
        .await
        .expect("restart");
    let report = c
        .wait_for_leader(Duration::from_secs(60))
        .await
        .expect("leader after restart");
    assert!(report.elapsed < Duration::from_secs(60));
    c.teardown().await.unwrap();
}

#[tokio::test]
async fn latency_is_measured_in_place_and_gone_after_heal() {
    let Some(mut c) = launch("latency").await else {
        return;
    };
    let baseline = measure_rtt_ms(&c, 2, 1, 10).await.expect("baseline rtt");
    let mut nemesis = Nemesis::default();
    let id = nemesis
        .apply(
            &mut c,
            &Fault::Latency(nacos_chaos::fault::Latency {
                nodes: Targets::Nodes(vec![1]),
                delay_ms: 200,
                jitter_ms: 20,
                loss: 0.0,
                peers: None,
            }),
        )
        .await
        .expect("latency applied");
    let during = measure_rtt_ms(&c, 2, 1, 10)
        .await
        .expect("rtt under latency");
    assert!(
        during >= 180.0,
        "RTT under 200±20 ms latency was {during:.1} ms"
    );
    let proof = &nemesis.windows()[0].proof;
    assert!(proof.iter().any(|p| p.contains("NFQUEUE")), "{proof:?}");
    assert!(
        proof.iter().any(|p| p.starts_with("rtt n2->n1")),
        "{proof:?}"
    );
    nemesis.heal(&mut c, &id).await.expect("heal");
    let after = measure_rtt_ms(&c, 2, 1, 10).await.expect("rtt after heal");
    assert!(
        after < baseline + 20.0,
        "after heal {after:.1} ms vs baseline {baseline:.1} ms"
    );
    assert!(nemesis.windows()[0].end_ms.is_some());
    c.teardown().await.unwrap();
}

#[tokio::test]
async fn isolating_the_leader_makes_the_majority_elect_a_new_one_and_heal_reunites() {
    let Some(mut c) = launch("partition_leader").await else {
        return;
    };
    let obs = c.observe().await;
    let old = obs.leader_of(GROUP).expect("leader").peer_id.clone();
    let mut nemesis = Nemesis::default();
    let id = nemesis
        .apply(
            &mut c,
            &Fault::Partition(nacos_chaos::fault::PartitionFault {
                partition: Partition::Isolate(Targets::Leader),
            }),
        )
        .await
        .expect("partition applied");
    assert!(
        nemesis.windows()[0]
            .proof
            .iter()
            .any(|p| p.contains("100% loss"))
    );
    let old2 = old.clone();
    let (new_leader, _) = c
        .wait_until(
            "majority elects a new leader",
            Duration::from_secs(60),
            move |obs| {
                let majority: Vec<_> = obs.nodes.iter().filter(|n| n.peer_id != old2).collect();
                let leaders: Vec<_> = majority
                    .iter()
                    .filter_map(|n| n.group(GROUP)?.leader.clone())
                    .collect();
                match leaders.as_slice() {
                    [a, b] if a == b && *a != old2 => Ok(a.clone()),
                    other => Err(format!("majority views: {other:?}")),
                }
            },
        )
        .await
        .expect("new leader in the majority");
    assert_ne!(new_leader, old);
    nemesis.heal(&mut c, &id).await.expect("heal partition");
    let report = c
        .wait_for_leader(Duration::from_secs(60))
        .await
        .expect("one agreed leader after heal");
    assert_eq!(report.observation.nodes.len(), 3);
    c.teardown().await.unwrap();
}

#[tokio::test]
async fn a_fault_whose_helper_cannot_apply_it_fails_with_the_reason() {
    let Some(mut c) = launch("readback_fails").await else {
        return;
    };
    // No NET_ADMIN: iptables inside the namespace is refused, so the fault cannot be in place.
    let mut nemesis = Nemesis::with_net(NetOptions { cap_add: vec![] });
    let err = nemesis
        .apply(
            &mut c,
            &Fault::Partition(nacos_chaos::fault::PartitionFault {
                partition: Partition::Isolate(Targets::Nodes(vec![1])),
            }),
        )
        .await
        .expect_err("must fail");
    let text = err.to_string();
    assert!(matches!(err, Error::Fault { .. }), "{text}");
    assert!(text.contains("partition") && text.contains("n1"), "{text}");
    assert!(
        text.to_lowercase().contains("permission") || text.contains("not permitted"),
        "{text}"
    );
    let err = nemesis
        .apply(
            &mut c,
            &Fault::Latency(nacos_chaos::fault::Latency {
                nodes: Targets::Nodes(vec![2]),
                delay_ms: 100,
                jitter_ms: 0,
                loss: 0.0,
                peers: None,
            }),
        )
        .await
        .expect_err("latency must fail too");
    assert!(err.to_string().contains("not delaying packets"), "{err}");
    // No fault is recorded as in place, and no helper is left running.
    assert!(nemesis.active_ids().is_empty());
    let inv = c.engine().inventory(Some(c.run_id())).await.unwrap();
    assert_eq!(inv.containers.len(), 3, "only the nodes remain: {inv:?}");
    c.teardown().await.unwrap();
}

#[tokio::test]
async fn a_phantom_peer_is_started_proven_and_removed() {
    let Some(mut c) = launch("phantom").await else {
        return;
    };
    let mut nemesis = Nemesis::default();
    let id = nemesis
        .apply(
            &mut c,
            &Fault::PhantomPeer(nacos_chaos::fault::PhantomPeer { as_node: Some(2) }),
        )
        .await
        .expect("phantom");
    let w = nemesis.windows().into_iter().find(|w| w.id == id).unwrap();
    assert!(
        w.proof[0].contains("node id 2") && w.proof[0].contains(".250"),
        "{:?}",
        w.proof
    );
    // Observed on r-nacos 0.8.8: a phantom claiming n2's id from another address does not
    // get into the membership; the cluster keeps its leader and its three members.
    let report = c
        .wait_for_leader(Duration::from_secs(30))
        .await
        .expect("leader with a phantom around");
    for n in &report.observation.nodes {
        assert_eq!(n.groups[0].members, vec!["1", "2", "3"], "{}", n.node);
    }
    nemesis.heal(&mut c, &id).await.expect("remove phantom");
    let inv = c.engine().inventory(Some(c.run_id())).await.unwrap();
    assert_eq!(inv.containers.len(), 3, "{inv:?}");
    c.wait_for_leader(Duration::from_secs(60))
        .await
        .expect("leader after the phantom is gone");
    c.teardown().await.unwrap();
}

#[tokio::test]
async fn peer_selective_latency_loss_bandwidth_and_one_way_partition_are_proven_and_healed() {
    let Some(mut c) = launch("net_variants").await else {
        return;
    };
    let mut nemesis = Nemesis::default();
    // Latency on n1 only towards n2: n2 sees it, n3 does not.
    let id = nemesis
        .apply(
            &mut c,
            &Fault::Latency(nacos_chaos::fault::Latency {
                nodes: Targets::Nodes(vec![1]),
                delay_ms: 200,
                jitter_ms: 0,
                loss: 0.0,
                peers: Some(Targets::Nodes(vec![2])),
            }),
        )
        .await
        .expect("peer latency");
    let to_n2 = measure_rtt_ms(&c, 2, 1, 5).await.unwrap();
    let to_n3 = measure_rtt_ms(&c, 3, 1, 5).await.unwrap();
    assert!(to_n2 >= 180.0, "n2->n1 {to_n2:.1} ms");
    assert!(
        to_n3 < 50.0,
        "n3->n1 {to_n3:.1} ms: latency leaked to a peer not chosen"
    );
    nemesis.heal(&mut c, &id).await.unwrap();

    // Loss 50% on n1: ping from n2 loses some but not all.
    let id = nemesis
        .apply(
            &mut c,
            &Fault::Loss(nacos_chaos::fault::Loss {
                nodes: Targets::Nodes(vec![1]),
                probability: 0.5,
            }),
        )
        .await
        .expect("loss");
    let ip = c.node(1).unwrap().identity.ip.to_string();
    let out = nacos_chaos::fault::ping(&c, 2, &ip, 20).await.unwrap();
    let loss = nacos_chaos::fault::parse_ping_loss(&out).expect("loss figure");
    assert!(
        (5.0..=95.0).contains(&loss),
        "50% loss measured as {loss}%: {out}"
    );
    nemesis.heal(&mut c, &id).await.unwrap();

    // Bandwidth: a tbf qdisc read back from the namespace.
    let id = nemesis
        .apply(
            &mut c,
            &Fault::Bandwidth(nacos_chaos::fault::Bandwidth {
                nodes: Targets::Nodes(vec![3]),
                rate_kbit: 512,
            }),
        )
        .await
        .expect("bandwidth");
    let proof = nemesis
        .windows()
        .into_iter()
        .find(|w| w.id == id)
        .unwrap()
        .proof;
    assert!(
        proof[0].contains("tbf") && proof[0].contains("512Kbit"),
        "{proof:?}"
    );
    nemesis.heal(&mut c, &id).await.unwrap();

    // One-way partition n1 -> n2 (n1's packets to n2 dropped), proven by ping, then healed.
    let id = nemesis
        .apply(
            &mut c,
            &Fault::Partition(nacos_chaos::fault::PartitionFault {
                partition: Partition::OneWay {
                    from: Targets::Nodes(vec![1]),
                    to: Targets::Nodes(vec![2]),
                },
            }),
        )
        .await
        .expect("one-way partition");
    nemesis.heal(&mut c, &id).await.unwrap();
    let after = measure_rtt_ms(&c, 2, 1, 3)
        .await
        .expect("reachable again after heal");
    assert!(after < 50.0);
    assert!(
        nemesis
            .windows()
            .iter()
            .all(|w| w.end_ms.is_some() && !w.heal_proof.is_empty())
    );
    c.teardown().await.unwrap();
}

#[tokio::test]
async fn clock_skew_is_proven_by_the_date_header_and_healed() {
    let Some(mut c) = launch("clock_skew").await else {
        return;
    };
    let before = nacos_chaos::fault::clock_offset_s(&c, 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        before.abs() < 3.0,
        "harness and node disagree before the fault: {before}"
    );
    let mut nemesis = Nemesis::default();
    let id = nemesis
        .apply(
            &mut c,
            &Fault::ClockSkew(nacos_chaos::fault::ClockSkew {
                nodes: Targets::Nodes(vec![1]),
                offset_s: 120,
            }),
        )
        .await
        .expect("clock skew (the r-nacos image carries libfaketime when the host has it)");
    let during = nacos_chaos::fault::clock_offset_s(&c, 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        (during - 120.0).abs() < 3.0,
        "offset while skewed: {during}"
    );
    let w = nemesis.windows().into_iter().find(|w| w.id == id).unwrap();
    assert!(w.proof[0].contains("clock offset +1"), "{:?}", w.proof);
    // Realtime skew alone (monotonic untouched) does not cost the cluster its leader.
    c.wait_for_leader(Duration::from_secs(60))
        .await
        .expect("leader with a skewed clock");
    nemesis.heal(&mut c, &id).await.expect("heal");
    let after = nacos_chaos::fault::clock_offset_s(&c, 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(after.abs() < 3.0, "offset after heal: {after}");
    c.teardown().await.unwrap();
}

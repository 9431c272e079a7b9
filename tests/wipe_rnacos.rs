//! Wiping one follower's Raft state and restarting it: the observed outcome, asserted.

mod common;

use std::time::Duration;

use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::fault::{Fault, Nemesis, Targets};
use nacos_chaos::flavor::Role;

#[tokio::test]
async fn wiping_a_followers_raft_state_is_recorded_and_its_outcome_asserted() {
    let Some(_e) = common::engine_or_skip("wipe_raft").await else {
        return;
    };
    let mut c = Cluster::launch(ClusterSpec::rnacos(common::RNACOS_TO, 3))
        .await
        .expect("launch");
    let mut nemesis = Nemesis::default();
    nemesis
        .apply(
            &mut c,
            &Fault::WipeRaft(nacos_chaos::fault::WipeRaft {
                nodes: Targets::Nodes(vec![3]),
            }),
        )
        .await
        .expect("wipe");
    let proof = &nemesis.windows()[0].proof;
    assert!(
        proof[0].contains("wiped") && proof[0].contains("after files=0"),
        "{proof:?}"
    );
    // Observed on r-nacos 0.8.8: the wiped follower restarts empty (a term-0 non-voter with
    // no membership), then the leader re-replicates to it and it is a voting follower again —
    // without an election (same leader, same term). Assert exactly that.
    let (first, _) = c
        .wait_until(
            "wiped n3 to be seen after restart",
            Duration::from_secs(30),
            |obs| {
                let n3 = &obs.nodes[2];
                n3.groups
                    .first()
                    .map(|g| (g.role.clone(), g.term))
                    .ok_or("n3 not answering".into())
            },
        )
        .await
        .expect("n3 answers after the wipe");
    eprintln!("n3 first seen after wipe as {first:?}");
    assert!(
        first.1.unwrap_or(0) <= 1,
        "a wiped node cannot remember a later term: {first:?}"
    );
    c.wait_for_leader(Duration::from_secs(30))
        .await
        .expect("agreed leader");
    c.wait_for_voters(Duration::from_secs(30))
        .await
        .expect("n3 is a voter again");
    // Judge the state once n3 is a voter (the leader wait can finish while it still catches up).
    let obs = c.observe().await;
    let n3 = obs.nodes[2].groups[0].clone();
    assert_eq!(n3.leader.as_deref(), Some("1"), "leadership did not move");
    assert_eq!(n3.term, Some(1), "no election was needed");
    assert_eq!(n3.role, Role::Follower);
    c.teardown().await.unwrap();
}

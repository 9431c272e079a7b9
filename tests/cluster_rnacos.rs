//! A real 3-node r-nacos cluster in Docker: agreed leader, every node's view, time to
//! leader, and nothing left behind after teardown.

mod common;

use std::time::Duration;

use nacos_chaos::cluster::observe::Agreement;
use nacos_chaos::cluster::observe::Observation;
use nacos_chaos::cluster::{Cluster, ClusterSpec, boot_drift};
use nacos_chaos::flavor::Role;
use nacos_chaos::flavor::rnacos::GROUP;

/// The leader's index (1-based) and its live membership, if a leader answers.
fn leader_of(o: &Observation) -> std::result::Result<(usize, Vec<String>), String> {
    o.nodes
        .iter()
        .enumerate()
        .find_map(|(i, n)| {
            let g = n.group(GROUP).filter(|g| g.role == Role::Leader)?;
            Some((i + 1, g.members.clone()))
        })
        .ok_or_else(|| "no leader answers".to_string())
}

#[tokio::test]
async fn three_node_rnacos_cluster_agrees_on_a_leader_and_leaves_nothing() {
    let Some(_engine) = common::engine_or_skip("three_node_rnacos").await else {
        return;
    };
    let mut cluster = Cluster::create(ClusterSpec::rnacos(common::RNACOS_TO, 3))
        .await
        .expect("create");
    let run = cluster.run_id().to_string();
    let report = cluster
        .start_all(Duration::from_secs(120))
        .await
        .expect("bring-up");

    // Bring-up may start the cluster over (at most BRINGUP_ATTEMPTS times); it says how many
    // attempts it took, and keeps nothing observed of a discarded one.
    assert!(
        (1..=nacos_chaos::cluster::BRINGUP_ATTEMPTS).contains(&report.attempts),
        "attempts {}",
        report.attempts
    );
    assert_eq!(cluster.bringup_attempts(), report.attempts);
    assert!(!cluster.observations().is_empty());
    if let Some(o) = cluster
        .observations()
        .iter()
        .find(|o| o.at_ms < report.from_ms)
    {
        panic!(
            "observation at {} ms predates the accepted attempt (from {} ms, attempt {})",
            o.at_ms, report.from_ms, report.attempts
        );
    }

    // One agreed leader, named identically by every node in the same term.
    let Agreement::Agreed { leader, term } = &report.groups["rnacos"] else {
        panic!("not agreed: {:?}", report.groups)
    };
    assert_eq!(report.observation.nodes.len(), 3);
    let mut leaders = 0;
    for n in &report.observation.nodes {
        assert!(n.error.is_none(), "{} unreachable: {:?}", n.node, n.error);
        let g = n.group("rnacos").expect("group");
        assert_eq!(g.leader.as_ref(), Some(leader), "{}", n.node);
        assert_eq!(g.term, *term, "{}", n.node);
        assert_eq!(g.members, vec!["1", "2", "3"], "{} membership", n.node);
        if g.role == Role::Leader {
            leaders += 1;
            assert_eq!(&n.peer_id, leader);
        } else {
            assert_eq!(g.role, Role::Follower, "{}", n.node);
        }
    }
    assert_eq!(leaders, 1);
    // Time to leader was measured, and is plausible (not zero, within the deadline).
    assert!(
        report.elapsed > Duration::from_millis(100),
        "{:?}",
        report.elapsed
    );
    assert!(report.elapsed < Duration::from_secs(120));

    // Everything is labelled with the run id, and teardown removes all of it.
    let before = cluster.engine().inventory(Some(&run)).await.unwrap();
    assert_eq!(before.containers.len(), 3, "{before:?}");
    assert_eq!(before.networks.len(), 1);
    assert_eq!(before.volumes.len(), 3);
    cluster.teardown().await.expect("teardown");
    let after = cluster.engine().inventory(Some(&run)).await.unwrap();
    assert!(after.is_empty(), "left behind: {after:?}");
}

/// Concurrent joins race inside r-nacos (a learner; a node the leader counts as a voter but
/// never replicates to; a membership record that drops the other joiner). Bring-up never
/// joins concurrently; this pins what its checks make of the race: either the cluster is
/// whole — every node votes and would boot with the whole membership, which a whole-cluster
/// restart then confirms, or leaves in the one known stale-membership shape (see
/// `restart_left_a_stale_live_membership`) — or the checks refuse it, naming a joiner.
#[tokio::test]
async fn concurrent_joins_end_whole_or_are_refused_by_the_bringup_checks() {
    let Some(_engine) = common::engine_or_skip("concurrent_joins").await else {
        return;
    };
    let mut c = Cluster::create(ClusterSpec::rnacos(common::RNACOS_TO, 3))
        .await
        .expect("create");
    c.start_node(1, None).await.unwrap();
    c.wait_until("n1 leads", Duration::from_secs(60), |o| {
        let g = o.nodes[0].group(GROUP).ok_or("n1 not answering")?;
        if g.role == Role::Leader {
            Ok(())
        } else {
            Err(format!("{:?}", g.role))
        }
    })
    .await
    .unwrap();
    c.start_node(2, Some(1)).await.unwrap();
    c.start_node(3, Some(1)).await.unwrap();
    c.wait_until("both joiners to answer", Duration::from_secs(60), |o| {
        let answering = o.nodes.iter().filter(|n| !n.groups.is_empty()).count();
        if answering == 3 {
            Ok(())
        } else {
            Err(format!("{answering} answering"))
        }
    })
    .await
    .unwrap();
    let verdict = match c.wait_for_voters(Duration::from_secs(30)).await {
        Ok(()) => c.wait_for_durable_membership(Duration::from_secs(15)).await,
        Err(e) => Err(e),
    };
    // Bring-up's last check: a log laid so that the next start cuts it is refused too.
    let cuts = c.log_cuts().await;
    match verdict {
        Ok(()) if !cuts.is_empty() => {
            eprintln!(
                "the race left a log the next start would cut; bring-up refuses it: {cuts:?}"
            );
            assert!(
                cuts.iter().all(|l| l.contains("will load only")),
                "{cuts:?}"
            );
        }
        Ok(()) => {
            // Accepted as whole: a whole-cluster restart must keep every node a voter.
            let before = c.boot_memberships().await.unwrap();
            common::restart_all(&mut c).await;
            c.wait_for_leader(Duration::from_secs(60))
                .await
                .expect("a leader after the restart");
            if let Err(e) = c.wait_for_voters(Duration::from_secs(60)).await {
                restart_left_a_stale_live_membership(&c, e, before).await;
            }
        }
        Err(nacos_chaos::Error::Timeout { what, last, .. }) => {
            eprintln!("the race lost a join; bring-up's checks refuse it: {what}: {last}");
            let names_a_joiner = ["n2", "n3", "member 2", "member 3", "lacks 2", "lacks 3"]
                .iter()
                .any(|s| last.contains(s));
            assert!(names_a_joiner, "{last}");
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
    c.teardown().await.unwrap();
}

/// A whole-cluster restart of a cluster every check called whole left a node a voter short.
/// Seen twice in CI under load (never on an idle machine: 32 restarts of concurrent-join
/// clusters, 25 of a sequentially joined one): a node came back with a live membership of
/// `[1]` or `[1, 2]` while every node's `index` still held the whole membership and no log cut
/// was predicted. Likely r-nacos's startup race (unproven): its state machine replays the log
/// and rewrites the index's membership through every older `Members` record while Raft reads
/// its initial membership from that same index. Accepted as that known outcome only in exactly
/// that shape — the check names the stale node, every boot membership is whole, no cut — and
/// with its evidence printed (the nodes' `get_initial_state` lines); anything else fails.
async fn restart_left_a_stale_live_membership(
    c: &Cluster,
    e: nacos_chaos::Error,
    before: Option<Vec<nacos_chaos::cluster::BootMembership>>,
) {
    let after = c.boot_memberships().await.unwrap();
    let cuts = c.log_cuts().await;
    let whole: Vec<String> = ["1", "2", "3"].map(String::from).to_vec();
    let all_whole = after
        .as_ref()
        .is_some_and(|b| b.iter().all(|m| m.members.as_ref() == Some(&whole)));
    let text = e.to_string();
    let evidence = format!(
        "{text}\nboot memberships before the restart: {before:?}\nafter: {after:?}\n\
         log cuts predicted after: {cuts:?}"
    );
    assert!(
        all_whole && cuts.is_empty() && text.contains("lacks member"),
        "every node still a voter after the restart: {evidence}"
    );
    eprintln!("known r-nacos restart outcome (stale live membership): {evidence}");
    for n in c.nodes() {
        let Some(id) = &n.container_id else { continue };
        let logs = c.engine().logs(id).await.unwrap_or_default();
        for l in logs.lines().filter(|l| l.contains("get_initial_state")) {
            eprintln!("{}: {l}", n.name());
        }
    }
}

/// r-nacos boots with the membership its own join path persisted; `change-membership`
/// changes only the live one. The boot-membership check must see that at once, and a
/// whole-cluster restart proves what it predicts: the removed member is back.
#[tokio::test]
async fn a_membership_changed_through_the_api_is_forgotten_by_a_restart() {
    let Some(_engine) = common::engine_or_skip("membership_forgotten").await else {
        return;
    };
    let mut c = Cluster::launch(ClusterSpec::rnacos(common::RNACOS_TO, 3))
        .await
        .expect("bring-up");
    // Known good: bring-up leaves every node booting with the whole membership.
    let boots = c
        .boot_memberships()
        .await
        .expect("read boot memberships")
        .expect("r-nacos 0.8 keeps a readable boot membership");
    assert_eq!(boots.len(), 3, "{boots:?}");
    assert!(boot_drift(&boots, &c.all_peers()).is_empty(), "{boots:?}");

    // Take one follower out through the API the way an operator (or a repair) would.
    let obs = c.observe().await;
    let (leader, _) = leader_of(&obs).expect("a leader after bring-up");
    let removed = (1..=3).rev().find(|i| *i != leader).unwrap();
    let keep: Vec<String> = (1..=3)
        .filter(|i| *i != removed)
        .map(|i| i.to_string())
        .collect();
    let base = c.nodes()[leader - 1].base_url().expect("leader port");
    let answer = c
        .http()
        .post(format!("{base}/nacos/v1/raft/change-membership"))
        .header("content-type", "application/json")
        .body(format!("[{}]", keep.join(",")))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("change-membership answered");
    assert!(answer.status().is_success(), "{:?}", answer.status());
    c.wait_until(
        "the live membership without the removed node",
        Duration::from_secs(30),
        |o| {
            let (_, members) = leader_of(o)?;
            if members == keep {
                Ok(())
            } else {
                Err(format!("leader has {members:?}"))
            }
        },
    )
    .await
    .expect("live membership changed");

    // Known bad: every node would still boot with the removed node.
    let boots = c.boot_memberships().await.unwrap().unwrap();
    let drift = boot_drift(&boots, &keep);
    assert_eq!(drift.len(), 3, "{drift:?}");
    for line in &drift {
        assert!(line.ends_with(&format!("(has extra {removed})")), "{line}");
    }

    // What it predicts, proven: after a whole-cluster restart the removed node is a member.
    common::restart_all(&mut c).await;
    c.wait_until(
        "the removed member back in the leader's membership",
        Duration::from_secs(90),
        |o| {
            let (_, members) = leader_of(o)?;
            if members.contains(&removed.to_string()) {
                Ok(())
            } else {
                Err(format!("leader has {members:?}"))
            }
        },
    )
    .await
    .expect("a restart forgot the change");
    c.teardown().await.unwrap();
}

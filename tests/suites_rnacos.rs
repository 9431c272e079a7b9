//! The shipped r-nacos suites, end to end on real clusters, with their artifacts checked:
//! verdict JSON validated against its schema, JUnit parsed, HTML holding the timeline.
//! Versions can be overridden for nightly runs with NACOS_CHAOS_RNACOS_FROM / _TO.

mod common;

use nacos_chaos::check::Status;
use nacos_chaos::flavor::rnacos::GROUP;
use nacos_chaos::report::RunRecord;
use nacos_chaos::scenario::{RunOptions, Suite, run};
use rstest::rstest;

use common::status;

async fn run_suite(file: &str, to: Option<String>) -> Option<(RunRecord, std::path::PathBuf)> {
    common::engine_or_skip(file).await?;
    let suite = Suite::load(format!("suites/{file}")).expect("suite");
    let results = tempfile::tempdir().unwrap().keep();
    let from = if suite.versions.to.is_empty() {
        suite.versions.from[0].clone()
    } else {
        common::rnacos_from()
    };
    let to = if suite.versions.to.is_empty() {
        None
    } else {
        to.or(Some(common::RNACOS_TO.to_string()))
    };
    let r = run(
        &suite,
        &from,
        to.as_deref(),
        &RunOptions {
            results: results.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(r.error.is_none(), "runner error: {:?}", r.error);
    // Every suite starts its cluster: the record says how many bring-up attempts it took.
    assert!((1..=3).contains(&r.attempts), "attempts {}", r.attempts);
    let dir = results.join(&r.run_id);
    check_artifacts(&r, &dir);
    // The run left nothing behind.
    let engine = nacos_chaos::docker::Engine::connect("check").await.unwrap();
    assert!(engine.inventory(Some(&r.run_id)).await.unwrap().is_empty());
    Some((r, dir))
}

fn check_artifacts(r: &RunRecord, dir: &std::path::Path) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("verdict.json")).unwrap()).unwrap();
    nacos_chaos::report::validate(&json)
        .unwrap_or_else(|e| panic!("verdict.json violates its schema: {e:?}"));
    assert_eq!(json["attempts"], r.attempts);
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(
        junit.contains(&format!(
            r#"<property name="attempts" value="{}"/>"#,
            r.attempts
        )),
        "{junit}"
    );
    assert_eq!(
        junit.matches("<testcase").count(),
        r.verdicts.len(),
        "{junit}"
    );
    let failures = r.unmet_expectations().len();
    assert_eq!(junit.matches("<failure").count(), failures, "{junit}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains(&r.scenario));
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains(&r.scenario));
    assert!(dir.join("logs/n1/console.log").exists());
}

#[rstest]
#[tokio::test]
async fn whole_cluster_ip_change_is_judged_with_the_right_reasons() {
    let Some((r, _)) = run_suite("rnacos-ip-change-all.toml", None).await else {
        return;
    };
    assert_eq!(status(&r, "leader"), Status::Fail);
    assert_eq!(status(&r, "availability"), Status::Fail);
    assert_eq!(status(&r, "signatures"), Status::Fail);
    let sig = r.verdicts.iter().find(|v| v.check == "signatures").unwrap();
    assert!(
        sig.evidence
            .iter()
            .any(|e| e.text.contains("unknown the raft leader addr!")),
        "{sig:?}"
    );
    // Durability names exactly which acknowledged writes are missing, and where.
    let d = r.verdicts.iter().find(|v| v.check == "durability").unwrap();
    if d.status == Status::Fail {
        assert!(
            d.evidence.iter().any(|e| e.text.starts_with("LOST")),
            "{d:?}"
        );
    }
    // Preflight predicted it on the copied data dirs.
    let pf = r
        .steps
        .iter()
        .find(|s| s.name.starts_with("preflight"))
        .unwrap();
    assert_eq!(
        pf.detail.matches("QuorumImpossible").count(),
        3,
        "{}",
        pf.detail
    );
    assert!(r.as_expected(), "{:?}", r.unmet_expectations());
}

#[rstest]
#[tokio::test]
async fn clean_full_restart_passes_every_check() {
    let Some((r, _)) = run_suite("rnacos-restart-control.toml", None).await else {
        return;
    };
    let pf = r
        .steps
        .iter()
        .find(|s| s.name.starts_with("preflight"))
        .unwrap();
    // r-nacos finding (README; reproduced every run by tests/log_boundary_rnacos.rs): when a
    // log record happens to begin on one of r-nacos's 1024-byte read boundaries, a restart
    // cuts the log there; it boots by replaying the shorter prefix, its boot membership
    // regresses, and acknowledged writes are lost. Bring-up proved every boot
    // membership whole, so a regressed one after the run is that finding. It is accepted
    // only with that signature: a node booting with a strict subset of the membership,
    // convergence naming it, and the leader, availability and signatures checks passing.
    let whole = ["1", "2", "3"];
    let regressed: Vec<_> = r
        .boot_memberships
        .iter()
        .filter(|b| {
            b.members.as_ref().is_some_and(|m| {
                m.len() < whole.len() && m.iter().all(|id| whole.contains(&id.as_str()))
            })
        })
        .collect();
    if !regressed.is_empty() {
        eprintln!(
            "r-nacos finding reproduced: boot membership regressed after a clean restart: \
             {regressed:?}; preflight right after the restart: {}",
            pf.detail
        );
        for check in ["leader", "availability", "signatures"] {
            assert_eq!(status(&r, check), Status::Pass, "{check}");
        }
        let conv = r
            .verdicts
            .iter()
            .find(|v| v.check == "convergence")
            .unwrap();
        // Restart safety names it; if the live views already differ, that is named instead.
        assert!(
            conv.summary
                .contains("would boot with another membership than the live one")
                || conv.summary.contains("membership differs"),
            "{}",
            conv.summary
        );
        return;
    }
    // Findings this control can hit on r-nacos 0.8.8 (README), each accepted only with its
    // own signature; every check they do not explain must pass.
    let stale = stale_live_membership(&r);
    let lost = follower_missed_writes_acknowledged_before_the_stop(&r);
    for v in &r.verdicts {
        let explained = match v.check.as_str() {
            "membership" => stale,
            "durability" => lost.is_some(),
            "convergence" => convergence_explained(&v.summary, stale, lost),
            _ => false,
        };
        if !explained {
            assert_eq!(v.status, Status::Pass, "{}: {}", v.check, v.summary);
        }
    }
    assert_eq!(pf.detail.matches(": Ok").count(), 3, "{}", pf.detail);
}

/// r-nacos finding (README: "a whole-cluster restart can leave a node with a stale live
/// membership"; in CI under load, at `bench throughput --jobs 4`, and 1 in 8 of
/// `bench verdicts` restart-control runs with either build profile): every node would boot
/// with the whole membership, yet one node's live membership is a strict subset (`[1]`)
/// after the restart. True only with that signature: the membership check failing on
/// members missing from the configured set, every boot membership whole. Prints the
/// evidence.
fn stale_live_membership(r: &RunRecord) -> bool {
    let membership = r.verdicts.iter().find(|v| v.check == "membership");
    let Some(m) = membership.filter(|m| m.status == Status::Fail) else {
        return false;
    };
    let whole =
        |b: &nacos_chaos::cluster::BootMembership| b.members.as_ref().is_some_and(|m| m.len() == 3);
    assert!(
        r.boot_memberships.len() == 3 && r.boot_memberships.iter().all(whole),
        "membership failed but a boot membership is not whole: {:?}",
        r.boot_memberships
    );
    assert!(
        m.summary.contains("members differ from the configured set")
            && m.summary.contains("missing"),
        "{}",
        m.summary
    );
    eprintln!(
        "r-nacos finding reproduced: stale live membership after a clean restart: {}",
        m.summary
    );
    true
}

/// r-nacos finding ("divergent follower values", README): a config write acknowledged in
/// the last second before the whole-cluster restart is missing on exactly one node after
/// it, present on the others (1 in 8 `bench verdicts` restart-control runs, either build
/// profile). Returns how many keys were lost, only when every lost write has that
/// signature: acknowledged within 1 s before the restart began, missing on one node. Prints
/// the evidence.
fn follower_missed_writes_acknowledged_before_the_stop(r: &RunRecord) -> Option<usize> {
    let d = r.verdicts.iter().find(|v| v.check == "durability")?;
    if d.status != Status::Fail {
        return None;
    }
    let restart = r
        .steps
        .iter()
        .find(|s| s.name.starts_with("fault restart"))
        .expect("the restart step");
    let lost: Vec<_> = d
        .evidence
        .iter()
        .filter(|e| e.text.starts_with("LOST"))
        .collect();
    assert!(
        !lost.is_empty(),
        "durability failed without a LOST line: {d:?}"
    );
    for e in &lost {
        let at = e.at_ms.unwrap_or(0);
        assert!(
            e.text.starts_with("LOST config")
                && at <= restart.start_ms
                && restart.start_ms - at <= 1_000
                && e.node.is_some(),
            "lost write outside the named finding (config, acknowledged within 1 s before the \
             restart at {} ms, missing on one node): {}",
            restart.start_ms,
            e.text
        );
    }
    eprintln!(
        "r-nacos finding reproduced: a follower lacks writes acknowledged just before the \
         restart: {}",
        lost.iter()
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    );
    Some(lost.len())
}

/// A convergence failure the findings above explain: the membership difference of a stale
/// live membership, and content differing on no more keys than were lost.
fn convergence_explained(summary: &str, stale: bool, lost: Option<usize>) -> bool {
    summary.split("; ").all(|part| {
        if part.starts_with("membership differs") {
            stale
        } else if let Some(rest) = part.strip_prefix("content differs on ") {
            let keys: usize = rest
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            lost.is_some_and(|l| keys <= l)
        } else {
            false
        }
    })
}

#[rstest]
#[tokio::test]
async fn rolling_upgrade_with_majority_ip_change_fails_for_the_right_reasons() {
    let to = std::env::var("NACOS_CHAOS_RNACOS_TO").ok();
    let Some((r, _)) = run_suite("rnacos-rolling-upgrade-ip-change.toml", to).await else {
        return;
    };
    assert_eq!(status(&r, "leader"), Status::Fail);
    let leader = r.verdicts.iter().find(|v| v.check == "leader").unwrap();
    assert!(
        leader.summary.contains("without a leader"),
        "{}",
        leader.summary
    );
    assert_eq!(status(&r, "availability"), Status::Fail);
    assert_eq!(status(&r, "signatures"), Status::Fail);
    assert!(
        r.checkpoints
            .iter()
            .filter(|c| c.name.starts_with("after"))
            .any(|c| c.time_to_leader_ms.is_none())
    );
}

#[rstest]
#[tokio::test]
async fn plain_rolling_upgrade_keeps_a_leader_and_loses_nothing_outside_the_upgrade() {
    let to = std::env::var("NACOS_CHAOS_RNACOS_TO").ok();
    let Some((r, _)) = run_suite("rnacos-rolling-upgrade.toml", to).await else {
        return;
    };
    assert_eq!(status(&r, "leader"), Status::Pass, "{:?}", r.checkpoints);
    assert_eq!(status(&r, "availability"), Status::Pass);
    assert_eq!(status(&r, "signatures"), Status::Pass);
    // r-nacos finding (see the suite): writes acknowledged while a node restarts can be
    // lost. Whatever is lost must have been acknowledged inside the upgrade step's window.
    let up = r
        .steps
        .iter()
        .find(|s| s.name.starts_with("upgrade"))
        .unwrap();
    let d = r.verdicts.iter().find(|v| v.check == "durability").unwrap();
    for e in d.evidence.iter().filter(|e| e.text.starts_with("LOST")) {
        let acked: u64 = e
            .text
            .split("acked at ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|t| t.parse().ok())
            .expect("ack time in evidence");
        assert!(
            acked >= up.start_ms && acked <= up.end_ms,
            "lost write outside the upgrade window {}..{}: {}",
            up.start_ms,
            up.end_ms,
            e.text
        );
    }
}

#[rstest]
#[tokio::test]
async fn upgrade_across_the_storage_change_loses_every_write_silently() {
    let Some(engine) = common::engine_or_skip("storage_change").await else {
        return;
    };
    drop(engine);
    let suite = Suite::load("suites/rnacos-0.4-to-0.5-storage.toml").expect("suite");
    let results = tempfile::tempdir().unwrap().keep();
    let r = run(
        &suite,
        "0.4.3",
        Some("0.5.13"),
        &RunOptions {
            results: results.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(r.error.is_none(), "runner error: {:?}", r.error);
    check_artifacts(&r, &results.join(&r.run_id));
    assert_eq!(status(&r, "availability"), Status::Pass);
    // 0.5.13 finds no store it can read, so the restarted nodes form a NEW cluster, all
    // started at once: n1 initialises, the others send their one join request ~0.5 s after
    // start. Usually the cluster forms whole; sometimes a join reaches n1 before it leads and
    // is never retried, and that node stays outside for good, holding only itself. The
    // harness must then report it (leader + convergence FAIL) and nothing else.
    let outsiders = lost_joins(&r);
    if outsiders.is_empty() {
        assert_eq!(status(&r, "leader"), Status::Pass);
        assert_eq!(status(&r, "convergence"), Status::Pass);
        assert!(r.as_expected(), "{:?}", r.unmet_expectations());
    } else {
        eprintln!("r-nacos finding reproduced: {outsiders:?} never joined the re-formed cluster");
        let leader = r.verdicts.iter().find(|v| v.check == "leader").unwrap();
        let conv = r
            .verdicts
            .iter()
            .find(|v| v.check == "convergence")
            .unwrap();
        assert_eq!(leader.status, Status::Fail);
        assert!(
            leader.summary.starts_with("1 checkpoint"),
            "{}",
            leader.summary
        );
        assert_eq!(conv.status, Status::Fail);
        assert!(
            conv.summary.contains("membership differs") && !conv.summary.contains("content"),
            "{}",
            conv.summary
        );
        let unmet: Vec<String> = r
            .unmet_expectations()
            .into_iter()
            .map(|u| u.check)
            .collect();
        assert_eq!(unmet, ["leader", "convergence"]);
    }
    // Either way: every acknowledged write from before the upgrade is gone, on every node.
    let d = r.verdicts.iter().find(|v| v.check == "durability").unwrap();
    assert_eq!(d.status, Status::Fail);
    let acked = r
        .history
        .ops
        .iter()
        .filter(|o| {
            o.kind == nacos_chaos::workload::OpKind::PublishConfig
                && o.outcome == nacos_chaos::workload::Outcome::Ok
        })
        .count();
    let lost = d
        .evidence
        .iter()
        .filter(|e| e.text.starts_with("LOST"))
        .count();
    assert!(
        acked > 0 && lost == acked,
        "{lost} lost of {acked} acknowledged"
    );
}

/// Nodes that, at the end of a run, hold a membership of only themselves and see no leader
/// while a majority of the others agree on one (a join r-nacos lost).
fn lost_joins(r: &RunRecord) -> Vec<String> {
    let last = r.observations.last().expect("observations");
    let alone: Vec<String> = last
        .nodes
        .iter()
        .filter(|n| {
            n.group(GROUP)
                .is_some_and(|g| g.leader.is_none() && g.members == [n.peer_id.clone()])
        })
        .map(|n| n.node.clone())
        .collect();
    let led = last
        .nodes
        .iter()
        .filter(|n| n.group(GROUP).is_some_and(|g| g.leader.is_some()))
        .count();
    if !alone.is_empty() {
        assert!(led * 2 > last.nodes.len(), "no majority formed: {last:?}");
    }
    alone
}

/// The step record of the first step whose name starts with `prefix`.
fn step<'a>(r: &'a RunRecord, prefix: &str) -> &'a nacos_chaos::report::StepRecord {
    r.steps
        .iter()
        .find(|s| s.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no step {prefix}"))
}

#[rstest]
#[case::control("rnacos-scale-out-control.toml", &["1", "2", "3", "4"], Status::Pass)]
#[case::config_only("rnacos-scale-in-config-only.toml", &["1", "2", "3"], Status::Fail)]
#[case::raft("rnacos-scale-in-raft.toml", &["1", "2", "3"], Status::Pass)]
#[tokio::test]
async fn scale_out_and_in_are_read_back_and_judged_by_membership(
    #[case] file: &str,
    #[case] configured: &[&str],
    #[case] membership: Status,
) {
    let Some((r, _)) = run_suite(file, None).await else {
        return;
    };
    // scale_out: n4 is read back as a voter, and every node counts it.
    let out = step(&r, "scale out");
    assert!(
        out.ok
            && out
                .detail
                .contains("n4 added with fresh data; read back: a voter"),
        "{}",
        out.detail
    );
    assert!(out.detail.contains("members [1,2,3,4]"), "{}", out.detail);
    assert_eq!(r.configured_members, configured);
    assert_eq!(status(&r, "membership"), membership);
    if file.contains("control") {
        // The data dirs are measured and judged against the suite's 64 MiB bound.
        assert_eq!(status(&r, "disk"), Status::Pass);
        assert_eq!(r.disk.len(), 4, "{:?}", r.disk);
    }
    if let Some(s) = r.steps.iter().find(|s| s.name.starts_with("scale in")) {
        if s.name.contains("raft") {
            // The leader accepted change-membership and its members were read back without n4.
            assert!(
                s.detail.contains("change-membership [1,2,3] -> HTTP 200"),
                "{}",
                s.detail
            );
            let l = s.detail.contains("Leader members [1,2,3];")
                || s.detail.ends_with("Leader members [1,2,3]");
            assert!(l, "{}", s.detail);
        } else {
            assert!(s.detail.contains("members [1,2,3,4]"), "{}", s.detail);
        }
    }
}

/// Bring-up as an experiment: the staged control forms (n3 added later by start_node, read
/// back a voter); starting n2 before n1 loses n2's join for good, which the suite allows
/// (`may_fail`) and the membership check judges.
#[rstest]
#[case::staged_control("rnacos-bringup-staged-control.toml")]
#[case::join_before_leader("rnacos-bringup-join-before-leader.toml")]
#[tokio::test]
async fn bring_up_order_and_spacing_are_the_experiment(#[case] file: &str) {
    let Some((r, _)) = run_suite(file, None).await else {
        return;
    };
    let start = step(&r, "start cluster");
    assert!(start.ok, "{}", start.detail);
    assert_eq!(r.configured_members, ["1", "2", "3"]);
    if file.contains("control") {
        assert!(
            start
                .detail
                .contains("started n1 then n2 (each join awaited)"),
            "{}",
            start.detail
        );
        let later = step(&r, "start node n3");
        assert!(
            later.detail.contains("n3 started; read back: a voter;"),
            "{}",
            later.detail
        );
        assert_eq!(status(&r, "membership"), Status::Pass);
    } else {
        assert!(
            start
                .detail
                .contains("started n2 then n1 then n3 (3s apart); the cluster did not form"),
            "{}",
            start.detail
        );
        assert!(start.detail.contains("n2 NonVoter"), "{}", start.detail);
        assert_eq!(status(&r, "membership"), Status::Fail);
    }
}

/// Availability scoped to windows: a slowed follower passes with failures only inside the
/// fault window; after a whole-cluster IP change the after-heal window fails.
#[rstest]
#[case::control("rnacos-latency-window-control.toml", Status::Pass)]
#[case::ip_change("rnacos-ip-change-window.toml", Status::Fail)]
#[tokio::test]
async fn availability_is_judged_per_window(#[case] file: &str, #[case] want: Status) {
    let Some((r, _)) = run_suite(file, None).await else {
        return;
    };
    assert_eq!(status(&r, "availability"), want);
    let v = r
        .verdicts
        .iter()
        .find(|v| v.check == "availability")
        .unwrap();
    assert!(v.summary.contains("during fault: "), "{}", v.summary);
    assert!(v.metrics.contains_key("after_heal.ops"), "{:?}", v.metrics);
    if want == Status::Fail {
        assert!(v.summary.starts_with("after heal: "), "{}", v.summary);
    }
}

/// replace (same name, empty data) is read back as a voter again, and admin steps record the
/// request and the server's answer; an accepted change-membership that drops a live node
/// fails the membership check.
#[rstest]
#[case::replace("rnacos-replace-node.toml")]
#[case::admin_drop("rnacos-admin-drop-live-member.toml")]
#[case::replace_address("rnacos-replace-address.toml")]
#[tokio::test]
async fn replace_and_admin_steps_record_their_read_back(#[case] file: &str) {
    let Some((r, _)) = run_suite(file, None).await else {
        return;
    };
    if file == "rnacos-replace-node.toml" {
        let s = step(&r, "replace n3");
        assert!(
            s.detail
                .contains("n3 replaced with empty data; read back: a voter again"),
            "{}",
            s.detail
        );
        let m = step(&r, "admin metrics n1");
        assert!(
            m.detail
                .starts_with("GET n1 /nacos/v1/raft/metrics -> HTTP 200: "),
            "{}",
            m.detail
        );
        assert_eq!(status(&r, "membership"), Status::Pass);
    } else if file.contains("address") {
        let s = step(&r, "replace n3");
        assert!(
            s.detail.contains("n4 (empty data) took its address"),
            "{}",
            s.detail
        );
        assert!(s.detail.contains("read back: n4 a voter"), "{}", s.detail);
        assert_eq!(r.configured_members, ["1", "2", "4"]);
        assert_eq!(status(&r, "membership"), Status::Fail);
    } else {
        let s = step(&r, "admin change_membership n2");
        assert!(s.ok, "{}", s.detail);
        assert!(
            s.detail.contains("change-membership [1,3] -> HTTP 200"),
            "{}",
            s.detail
        );
        assert_eq!(status(&r, "membership"), Status::Fail);
    }
}

/// Faults before `start` are applied as their node's container comes up and the proof is in
/// the start step's record: 400 ms latency still lets n3 join; 95% loss loses n2's join.
#[rstest]
#[case::latency_control(
    "rnacos-boot-under-latency.toml",
    "f1 latency applied as n3 came up",
    Status::Pass
)]
#[case::loss(
    "rnacos-boot-under-loss.toml",
    "f1 loss applied as n2 came up",
    Status::Fail
)]
#[tokio::test]
async fn faults_before_start_are_active_while_nodes_boot(
    #[case] file: &str,
    #[case] proof: &str,
    #[case] membership: Status,
) {
    let Some((r, _)) = run_suite(file, None).await else {
        return;
    };
    let deferred = &r.steps[0];
    assert!(
        deferred.detail.contains("deferred: applied as"),
        "{}",
        deferred.detail
    );
    let start = step(&r, "start cluster");
    assert!(start.detail.contains(proof), "{}", start.detail);
    assert_eq!(status(&r, "membership"), membership);
}

/// The disk check fires on a bound below what r-nacos writes, naming each node.
#[rstest]
#[tokio::test]
async fn disk_bound_below_the_data_dir_fails_by_node() {
    let Some((r, _)) = run_suite("rnacos-disk-bound.toml", None).await else {
        return;
    };
    assert_eq!(status(&r, "disk"), Status::Fail);
    assert_eq!(r.disk.len(), 3);
    assert!(
        r.disk.iter().all(|d| d.bytes > 16384 && d.files > 0),
        "{:?}",
        r.disk
    );
}

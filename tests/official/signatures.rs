//! The official catalogue against routine healthy-run lines (restart, partition heal) and
//! known-bad lines, and transient matches placed in the run's timeline.

use std::collections::BTreeSet;

use nacos_chaos::check::{NodeLog, SignatureScope, Status, log_line_time, signatures_in};
use nacos_chaos::fault::FaultWindow;
use nacos_chaos::flavor::official::Official;
use nacos_chaos::flavor::{Flavor, Signature};
use nacos_chaos::workload::History;
use rstest::rstest;

use super::{caught, fixture};

const ROUTINE: [&str; 5] = [
    "routine_restart_alipay-jraft.log",
    "routine_partition_heal_alipay-jraft.log",
    "routine_restart_protocol-raft.log",
    "routine_restart_nacos.log",
    "routine_restart_api_errors.txt",
];

fn catalogue() -> Vec<Signature> {
    Official::default().signatures()
}

fn entry<'a>(sigs: &'a [Signature], id: &str) -> &'a Signature {
    sigs.iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no entry {id}"))
}

#[rstest]
fn routine_lines_fire_only_transient_entries(
    #[values(
        "routine_restart_alipay-jraft.log",
        "routine_partition_heal_alipay-jraft.log",
        "routine_restart_protocol-raft.log",
        "routine_restart_nacos.log",
        "routine_restart_api_errors.txt"
    )]
    file: &str,
) {
    let sigs = catalogue();
    for line in fixture(file).lines() {
        for id in caught(&sigs, line) {
            assert!(
                entry(&sigs, &id).transient,
                "{id} fires on the routine line {line:?} ({file}) and is not transient"
            );
        }
    }
}

#[test]
fn routine_fixtures_exercise_the_transient_entries() {
    // Known-good side of the rule above: the routine lines do hit these entries, so the
    // transient marks are what keeps them from failing healthy runs.
    let sigs = catalogue();
    let hit: BTreeSet<String> = ROUTINE
        .iter()
        .flat_map(|f| fixture(f).lines().map(str::to_string).collect::<Vec<_>>())
        .flat_map(|l| caught(&sigs, &l))
        .collect();
    for id in [
        "channel-init-failed",
        "peer-id-not-found",
        "quorum-lost",
        "refresh-leader-failed",
        "read-index-failed",
        "no-leader-group",
        "no-leader-raft-group",
        "no-leader-raft",
        "server-down",
        "node-initializing",
        "not-leader-forwarded",
        "not-in-readiness",
        "grpc-server-starting",
    ] {
        assert!(
            hit.contains(id),
            "{id} not exercised by the routine fixtures"
        );
        assert!(entry(&sigs, id).transient, "{id}");
    }
}

#[test]
fn stale_membership_lines_fire_non_transiently() {
    let sigs = catalogue();
    let text = fixture("bad_stale_membership_alipay-jraft.log");
    let hit: BTreeSet<String> = text.lines().flat_map(|l| caught(&sigs, l)).collect();
    for id in ["prevote-not-in-conf", "ignore-prevote-not-in-conf"] {
        assert!(hit.contains(id), "{id} missed: {hit:?}");
        assert!(!entry(&sigs, id).transient, "{id}");
    }
}

#[test]
fn prevote_entry_is_narrowed_to_the_not_in_conf_variant() {
    // Known-bad: the old broad text matches the routine lease / term variants.
    let routine = fixture("routine_restart_alipay-jraft.log");
    let broad = routine
        .lines()
        .filter(|l| l.contains("ignore PreVoteRequest from"))
        .count();
    assert_eq!(
        broad, 2,
        "the routine fixture carries both routine variants"
    );
    // Known-good: the narrowed entry matches none of them, and the stale one.
    let sigs = catalogue();
    let narrowed = entry(&sigs, "ignore-prevote-not-in-conf")
        .matcher()
        .unwrap();
    assert!(routine.lines().all(|l| narrowed.find(l).is_none()));
    let bad = fixture("bad_stale_membership_alipay-jraft.log");
    assert_eq!(
        bad.lines().filter(|l| narrowed.find(l).is_some()).count(),
        1
    );
}

fn log(file: &str) -> NodeLog {
    NodeLog {
        node: "n1".into(),
        file: file.into(),
        text: fixture(file),
        utc_offset_minutes: Official::default().log_utc_offset_minutes("2.4.1"),
    }
}

#[test]
fn official_log_times_are_read_at_plus_eight_hours() {
    let off = Official::default().log_utc_offset_minutes("2.4.1");
    assert_eq!(off, Some(480));
    let local = log_line_time("2026-11-29 10:00:00,000 INFO x", off).unwrap();
    let utc = log_line_time("2026-11-29T02:00:00Z", None).unwrap();
    assert_eq!(local, utc);
}

fn restart_at(start_ms: u64) -> FaultWindow {
    FaultWindow {
        id: "f1".into(),
        kind: "restart".into(),
        description: "restart n2".into(),
        targets: vec!["n2".into()],
        start_ms,
        end_ms: None,
        proof: vec![],
        heal_proof: vec![],
    }
}

#[rstest]
// Run ms 0 is 10:00:00 (container time): a restart at 0 s excuses the routine lines (all
// within 12 s); a restart an hour later does not.
#[case::inside_restart_window(0, Status::Pass)]
#[case::no_fault_near(3_600_000, Status::Fail)]
fn routine_restart_passes_only_inside_its_window(#[case] start_ms: u64, #[case] want: Status) {
    let epoch = log_line_time("2026-11-29 10:00:00,000", Some(480));
    let windows = [restart_at(start_ms)];
    let scope = SignatureScope {
        windows: &windows,
        epoch,
        settle_ms: 60_000,
        tolerated: 0,
    };
    let restart_logs = [
        "routine_restart_alipay-jraft.log",
        "routine_restart_protocol-raft.log",
        "routine_restart_nacos.log",
    ];
    let logs: Vec<NodeLog> = restart_logs.iter().map(|f| log(f)).collect();
    let v = signatures_in(&catalogue(), &History::default(), &logs, &scope);
    assert_eq!(v.status, want, "{}", v.summary);
    // The stale-membership lines (11:00) fail even right after a fault.
    let bad = [log("bad_stale_membership_alipay-jraft.log")];
    let near = [restart_at(3_600_000)];
    let scope = SignatureScope {
        windows: &near,
        ..scope
    };
    let v = signatures_in(&catalogue(), &History::default(), &bad, &scope);
    assert_eq!(v.status, Status::Fail);
    assert_eq!(v.metrics["matches.prevote-not-in-conf"], 1.0);
}

//! Unit tests of `durability`.
use super::*;
use crate::check::testkit::{failed_read, hist, op, publish, read, register};
use Outcome::{Fail, Ok as Acked, Unknown};
use rstest::rstest;

const NODES: [&str; 3] = ["n1", "n2", "n3"];

fn cfg_reads(values: [&str; 3]) -> Vec<FinalRead> {
    NODES
        .iter()
        .zip(values)
        .map(|(n, v)| read(n, OpKind::GetConfig, "k", &[v]))
        .collect()
}

fn svc_reads(lists: [&[&str]; 3]) -> Vec<FinalRead> {
    NODES
        .iter()
        .zip(lists)
        .map(|(n, l)| read(n, OpKind::ListInstances, "svc", l))
        .collect()
}

#[test]
fn empty_history_is_skip() {
    let v = durability(&History::default(), &cfg_reads(["", "", ""]));
    assert_eq!(v.status, Status::Skip);
    assert!(
        v.summary.contains("no acknowledged writes"),
        "{}",
        v.summary
    );
}

#[test]
fn only_ephemeral_and_unknown_writes_is_skip_and_says_ephemeral_excluded() {
    let h = hist(vec![
        op(
            "n1",
            OpKind::RegisterEphemeral,
            "svc",
            Some("10.0.0.1:80"),
            0,
            10,
            Acked,
        ),
        publish("n1", "k", "v1", 0, 10, Unknown),
    ]);
    let mut reads = svc_reads([&[], &["10.0.0.1:80"], &[]]);
    reads.extend(cfg_reads(["", "v1", ""]));
    let v = durability(&h, &reads);
    assert_eq!(v.status, Status::Skip, "{v:?}");
    assert_eq!(v.metrics["ephemeral_excluded"], 1.0);
    assert!(
        v.evidence
            .iter()
            .any(|e| e.text.contains("expire by design"))
    );
}

#[test]
fn acknowledged_writes_without_final_reads_is_skip() {
    let h = hist(vec![publish("n1", "k", "v1", 0, 10, Acked)]);
    let v = durability(&h, &[]);
    assert_eq!(v.status, Status::Skip);
    assert!(v.summary.contains("unverified"), "{}", v.summary);
}

#[test]
fn clean_run_passes() {
    let h = hist(vec![
        publish("n1", "k", "v1", 0, 10, Acked),
        publish("n2", "k", "v2", 20, 30, Acked),
        register("n3", "svc", "10.0.0.1:80", 0, 10, Acked),
        register("n1", "svc", "10.0.0.2:80", 0, 10, Acked),
        op(
            "n1",
            OpKind::Deregister,
            "svc",
            Some("10.0.0.2:80"),
            20,
            30,
            Acked,
        ),
    ]);
    let mut reads = cfg_reads(["v2", "v2", "v2"]);
    reads.extend(svc_reads([
        &["10.0.0.1:80"],
        &["10.0.0.1:80"],
        &["10.0.0.1:80"],
    ]));
    let v = durability(&h, &reads);
    assert_eq!(v.status, Status::Pass, "{v:?}");
    assert_eq!(v.metrics["acknowledged_writes"], 4.0);
    assert_eq!(
        v.metrics["required_values"], 2.0,
        "k and 10.0.0.1:80; .2 was deregistered"
    );
}

#[test]
fn lost_config_write_names_key_value_and_nodes() {
    let h = hist(vec![
        publish("n1", "k", "v1", 0, 10, Acked),
        publish("n1", "k", "v2", 20, 30, Acked),
    ]);
    // n2 kept the stale v1, n3 lost the key entirely.
    let v = durability(&h, &cfg_reads(["v2", "v1", ""]));
    assert_eq!(v.status, Status::Fail);
    assert_eq!(v.metrics["lost_writes"], 1.0);
    let e = v
        .evidence
        .iter()
        .find(|e| e.text.starts_with("LOST"))
        .unwrap();
    assert!(
        e.text.contains("'k'") && e.text.contains("'v2'"),
        "{}",
        e.text
    );
    assert!(
        e.text.contains("n2 (has 'v1')") && e.text.contains("n3 (absent)"),
        "{}",
        e.text
    );
    assert!(!e.text.contains("n1"), "{}", e.text);
    assert_eq!(e.at_ms, Some(30));
}

#[rstest]
// A later Unknown write may have overwritten the last acknowledged value…
#[case::later_unknown_landed(Unknown, "v2", Status::Pass)]
// …or not.
#[case::later_unknown_not_landed(Unknown, "v1", Status::Pass)]
// A definitely failed write never happened: its value is a phantom and v1 is lost.
#[case::later_failed_value_is_phantom(Fail, "v2", Status::Fail)]
#[case::later_failed_not_landed(Fail, "v1", Status::Pass)]
fn later_write_outcomes(#[case] later: Outcome, #[case] seen: &str, #[case] status: Status) {
    let h = hist(vec![
        publish("n1", "k", "v1", 0, 10, Acked),
        publish("n2", "k", "v2", 20, 30, later),
    ]);
    let v = durability(&h, &cfg_reads([seen, seen, seen]));
    assert_eq!(v.status, status, "{v:?}");
}

#[test]
fn an_earlier_unknown_write_may_still_land_last() {
    // Indeterminate writes can take effect any time after they start.
    let h = hist(vec![
        publish("n1", "k", "old", 0, 10, Unknown),
        publish("n2", "k", "new", 20, 30, Acked),
    ]);
    let v = durability(&h, &cfg_reads(["old", "new", "old"]));
    assert_eq!(v.status, Status::Pass, "{v:?}");
}

#[test]
fn concurrent_acknowledged_writes_allow_either_value() {
    let h = hist(vec![
        publish("n1", "k", "a", 0, 100, Acked),
        publish("n2", "k", "b", 50, 150, Acked),
    ]);
    assert_eq!(
        durability(&h, &cfg_reads(["a", "a", "a"])).status,
        Status::Pass
    );
    assert_eq!(
        durability(&h, &cfg_reads(["b", "b", "b"])).status,
        Status::Pass
    );
    let v = durability(&h, &cfg_reads(["b", "b", ""]));
    assert_eq!(v.status, Status::Fail);
    assert!(
        v.evidence
            .iter()
            .any(|e| e.text.contains("one of 'a', 'b'")),
        "{v:?}"
    );
}

#[test]
fn never_written_value_is_phantom() {
    let h = hist(vec![publish("n1", "k", "v1", 0, 10, Acked)]);
    let v = durability(
        &h,
        &cfg_reads(["v1", "v1", "v1"])
            .into_iter()
            .chain([read("n1", OpKind::GetConfig, "other", &["zzz"])])
            .collect::<Vec<_>>(),
    );
    assert_eq!(v.status, Status::Fail);
    assert_eq!(v.metrics["phantom_writes"], 1.0);
    let e = v
        .evidence
        .iter()
        .find(|e| e.text.starts_with("PHANTOM"))
        .unwrap();
    assert!(
        e.text.contains("'zzz'") && e.text.contains("never written"),
        "{}",
        e.text
    );
    assert_eq!(e.node.as_deref(), Some("n1"));
}

#[test]
fn phantom_fails_even_without_acknowledged_writes() {
    let h = hist(vec![publish("n1", "k", "v1", 0, 10, Fail)]);
    let v = durability(&h, &cfg_reads(["v1", "", ""]));
    assert_eq!(v.status, Status::Fail);
    let e = v
        .evidence
        .iter()
        .find(|e| e.text.starts_with("PHANTOM"))
        .unwrap();
    assert!(e.text.contains("definitely failed"), "{}", e.text);
}

#[test]
fn failed_final_read_counts_as_missing_and_says_why() {
    let h = hist(vec![publish("n1", "k", "v1", 0, 10, Acked)]);
    let mut reads = cfg_reads(["v1", "v1", "v1"]);
    reads[2] = failed_read("n3", OpKind::GetConfig, "k", "connect timeout");
    let v = durability(&h, &reads);
    assert_eq!(v.status, Status::Fail);
    let e = v
        .evidence
        .iter()
        .find(|e| e.text.starts_with("LOST"))
        .unwrap();
    assert!(
        e.text.contains("n3 (read failed: connect timeout)"),
        "{}",
        e.text
    );
    assert_eq!(e.node.as_deref(), Some("n3"));
}

#[test]
fn node_without_a_read_of_the_key_counts_as_missing() {
    let h = hist(vec![publish("n1", "k", "v1", 0, 10, Acked)]);
    let mut reads = cfg_reads(["v1", "v1", "v1"]);
    reads[2] = read("n3", OpKind::GetConfig, "another", &[]);
    let v = durability(&h, &reads);
    assert_eq!(v.status, Status::Fail);
    assert!(
        v.evidence
            .iter()
            .any(|e| e.text.contains("n3 (no final read recorded)")),
        "{v:?}"
    );
}

#[test]
fn lost_persistent_instance_fails() {
    let h = hist(vec![register("n1", "svc", "10.0.0.1:80", 0, 10, Acked)]);
    let v = durability(&h, &svc_reads([&["10.0.0.1:80"], &[], &["10.0.0.1:80"]]));
    assert_eq!(v.status, Status::Fail);
    let e = v
        .evidence
        .iter()
        .find(|e| e.text.starts_with("LOST"))
        .unwrap();
    assert!(
        e.text.contains("persistent instance 10.0.0.1:80") && e.text.contains("n2 (absent)"),
        "{}",
        e.text
    );
}

#[rstest]
#[case::acked_deregister_after(Acked, 20, false)]
#[case::unknown_deregister_after(Unknown, 20, false)]
#[case::unknown_deregister_before_may_land_late(Unknown, 0, false)]
#[case::failed_deregister(Fail, 20, true)]
#[case::acked_deregister_before_register(Acked, 0, true)]
fn deregister_rules(#[case] outcome: Outcome, #[case] at: u64, #[case] required: bool) {
    let h = hist(vec![
        op(
            "n1",
            OpKind::Deregister,
            "svc",
            Some("10.0.0.1:80"),
            at,
            at + 5,
            outcome,
        ),
        register("n1", "svc", "10.0.0.1:80", 10, 15, Acked),
    ]);
    let v = durability(&h, &svc_reads([&[], &[], &[]]));
    assert_eq!(
        v.metrics["required_values"],
        if required { 1.0 } else { 0.0 }
    );
    assert_eq!(
        v.status,
        if required { Status::Fail } else { Status::Pass },
        "{v:?}"
    );
}

#[test]
fn ephemeral_instances_are_not_required_nor_phantom() {
    let h = hist(vec![
        register("n1", "svc", "10.0.0.1:80", 0, 10, Acked),
        op(
            "n1",
            OpKind::RegisterEphemeral,
            "svc",
            Some("10.0.0.9:80"),
            0,
            10,
            Acked,
        ),
    ]);
    let all = ["10.0.0.1:80", "10.0.0.9:80"];
    let v = durability(&h, &svc_reads([&all, &["10.0.0.1:80"], &all]));
    assert_eq!(v.status, Status::Pass, "{v:?}");
    assert_eq!(v.metrics["ephemeral_excluded"], 1.0);
}

#[test]
fn phantom_instance_fails() {
    let h = hist(vec![register("n1", "svc", "10.0.0.1:80", 0, 10, Acked)]);
    let both: &[&str] = &["10.0.0.1:80", "6.6.6.6:1"];
    let v = durability(&h, &svc_reads([both, both, &["10.0.0.1:80"]]));
    assert_eq!(v.status, Status::Fail);
    let e = v
        .evidence
        .iter()
        .find(|e| e.text.starts_with("PHANTOM"))
        .unwrap();
    assert!(
        e.text.contains("6.6.6.6:1") && e.text.contains("n1, n2"),
        "{}",
        e.text
    );
    assert_eq!(e.node, None);
}

#[test]
fn out_of_order_records_use_times_not_positions() {
    // v2 is recorded first but happened last.
    let h = hist(vec![
        publish("n1", "k", "v2", 20, 30, Acked),
        publish("n1", "k", "v1", 0, 10, Acked),
    ]);
    assert_eq!(
        durability(&h, &cfg_reads(["v2", "v2", "v2"])).status,
        Status::Pass
    );
    assert_eq!(
        durability(&h, &cfg_reads(["v1", "v2", "v2"])).status,
        Status::Fail
    );
}

/// A publish answered HTTP 500 after its forwarded Raft write committed: classified by the
/// probe as it really is, the value it wrote is neither a phantom nor does it make the
/// earlier acknowledged value "lost".
#[test]
fn publish_answered_500_that_committed_is_neither_lost_nor_phantom() {
    let (outcome, _, error) =
        crate::workload::classify(OpKind::PublishConfig, 500, "forward to leader timed out");
    let mut w = publish("n2", "k", "v2", 100, 200, outcome);
    w.status = Some(500);
    w.error = error;
    let h = hist(vec![publish("n1", "k", "v1", 0, 10, Acked), w]);
    let v = durability(&h, &cfg_reads(["v2", "v2", "v2"]));
    assert_eq!(v.status, Status::Pass, "{v:?}");
    assert_eq!(v.metrics["unknown_writes"], 1.0);
    assert_eq!(v.metrics["phantom_writes"], 0.0);
    assert_eq!(v.metrics["lost_writes"], 0.0);
}

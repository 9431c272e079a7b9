//! Unit tests of `availability`.
use super::*;
use crate::check::testkit::{hist, op};
use rstest::rstest;

fn get(node: &str, start: u64, end: u64, o: Outcome) -> Op {
    op(node, OpKind::GetConfig, "k", None, start, end, o)
}
fn put(node: &str, start: u64, end: u64, o: Outcome) -> Op {
    op(node, OpKind::PublishConfig, "k", Some("v"), start, end, o)
}
fn lenient() -> Thresholds {
    Thresholds {
        min_success_ratio: 0.0,
        max_outage_ms: u64::MAX,
        ..Thresholds::default()
    }
}

#[test]
fn empty_history_is_skip() {
    let v = availability(&History::default(), &Thresholds::default());
    assert_eq!(v.status, Status::Skip);
    assert_eq!(v.summary, "no operations recorded");
}

#[test]
fn clean_run_passes() {
    let ops = (0..10)
        .flat_map(|i| {
            [
                get("n1", i * 100, i * 100 + 10, Outcome::Ok),
                put("n2", i * 100, i * 100 + 20, Outcome::Ok),
            ]
        })
        .collect();
    let v = availability(&hist(ops), &Thresholds::default());
    assert_eq!(v.status, Status::Pass, "{v:?}");
    assert_eq!(v.metrics["success_ratio"], 1.0);
    assert_eq!(v.metrics["success_ratio.publish_config"], 1.0);
    assert_eq!(v.metrics["success_ratio.node.n1"], 1.0);
    assert_eq!(v.metrics["longest_outage_ms.get_config"], 0.0);
}

#[test]
fn write_outage_and_read_outage_are_reported_separately() {
    let v = availability(&hist(write_outage_ops()), &lenient());
    assert_eq!(v.metrics["success_ratio.get_config"], 1.0);
    assert_eq!(v.metrics["success_ratio.publish_config"], 0.6);
    assert_eq!(v.metrics["success_ratio.reads"], 1.0);
    assert_eq!(v.metrics["success_ratio.writes"], 0.6);
    assert_eq!(v.metrics["longest_outage_ms.get_config"], 0.0);
    // Last Ok write ended at 10, next Ok write started at 5000.
    assert_eq!(v.metrics["longest_outage_ms.publish_config"], 4_990.0);
    assert_eq!(v.status, Status::Pass);
    let strict = Thresholds {
        max_outage_ms: 4_000,
        ..lenient()
    };
    let v = availability(&hist(write_outage_ops()), &strict);
    assert_eq!(v.status, Status::Fail);
    assert!(v.summary.contains("publish_config outage"), "{}", v.summary);
    assert!(!v.summary.contains("get_config"), "{}", v.summary);
}

/// Reads fine throughout; writes fail from 1000 to 5000.
fn write_outage_ops() -> Vec<Op> {
    let mut ops = vec![];
    for i in 0..10u64 {
        ops.push(get("n1", i * 1_000, i * 1_000 + 10, Outcome::Ok));
        let o = if (1..5).contains(&i) {
            Outcome::Fail
        } else {
            Outcome::Ok
        };
        ops.push(put("n1", i * 1_000, i * 1_000 + 10, o));
    }
    ops
}

#[rstest]
#[case::ratio_below(0.9, u64::MAX, Status::Fail)]
#[case::ratio_met(0.5, u64::MAX, Status::Pass)]
#[case::outage_over(0.0, 1_000, Status::Fail)]
#[case::outage_within(0.0, 5_000, Status::Pass)]
fn thresholds_decide(#[case] min: f64, #[case] max_outage: u64, #[case] status: Status) {
    let t = Thresholds {
        min_success_ratio: min,
        max_outage_ms: max_outage,
        ..Thresholds::default()
    };
    let v = availability(&hist(write_outage_ops()), &t);
    assert_eq!(v.status, status, "{v:?}");
}

#[test]
fn out_of_order_records_are_sorted() {
    let ops = vec![
        get("n1", 9_000, 9_010, Outcome::Ok),
        get("n1", 3_000, 3_010, Outcome::Fail),
        get("n1", 0, 10, Outcome::Ok),
        get("n1", 6_000, 6_010, Outcome::Ok),
    ];
    let v = availability(&hist(ops), &lenient());
    assert_eq!(v.metrics["longest_outage_ms.get_config"], 5_990.0);
    assert_eq!(v.metrics["outages.get_config"], 1.0);
}

#[test]
fn concurrent_success_covers_a_failing_probe() {
    // n2 fails while n1 keeps succeeding over overlapping spans: not an outage of the
    // kind, but n2's ratio shows it.
    let ops = vec![
        get("n1", 0, 2_000, Outcome::Ok),
        get("n2", 500, 600, Outcome::Fail),
        get("n1", 1_500, 4_000, Outcome::Ok),
        get("n2", 3_000, 3_100, Outcome::Unknown),
    ];
    let v = availability(&hist(ops), &lenient());
    assert_eq!(v.metrics["longest_outage_ms.get_config"], 0.0);
    assert_eq!(v.metrics["success_ratio.node.n2"], 0.0);
    let e = v
        .evidence
        .iter()
        .find(|e| e.node.as_deref() == Some("n2"))
        .unwrap();
    assert!(
        e.text.contains("0/2 ok") && e.text.contains("boom"),
        "{}",
        e.text
    );
}

#[test]
fn overlapping_failures_form_one_window() {
    // Ok ends at 100; two concurrent timeouts overlap each other; next Ok at 7000.
    let ops = vec![
        get("n1", 0, 100, Outcome::Ok),
        get("n1", 50, 5_050, Outcome::Unknown),
        get("n2", 2_000, 7_500, Outcome::Unknown),
        get("n3", 7_000, 7_010, Outcome::Ok),
    ];
    let w = outages(&hist(ops).ops.iter().collect::<Vec<_>>());
    // n1's timeout started while n1's own success was running: covered, not counted;
    // n2's timeout outlives the success at 7000 but does not reopen the outage.
    assert_eq!(
        w,
        vec![Outage {
            from_ms: 100,
            to_ms: 7_000,
            recovered: true,
            non_ok: 1
        }]
    );
}

#[test]
fn hung_request_started_during_success_is_not_an_outage() {
    let ops = vec![
        get("n1", 0, 100, Outcome::Ok),
        get("n2", 50, 5_050, Outcome::Unknown),
        get("n1", 200, 300, Outcome::Ok),
    ];
    let v = availability(
        &hist(ops),
        &Thresholds {
            min_success_ratio: 0.5,
            ..Thresholds::default()
        },
    );
    assert_eq!(v.metrics["longest_outage_ms.get_config"], 0.0);
    assert_eq!(v.status, Status::Pass);
}

#[test]
fn idle_gap_without_failures_is_not_an_outage() {
    let ops = vec![
        get("n1", 0, 10, Outcome::Ok),
        get("n1", 60_000, 60_010, Outcome::Ok),
    ];
    let v = availability(&hist(ops), &Thresholds::default());
    assert_eq!(v.status, Status::Pass);
    assert_eq!(v.metrics["longest_outage_ms"], 0.0);
}

#[test]
fn leading_and_trailing_outages_are_bounded_by_failures() {
    let ops = vec![
        get("n1", 1_000, 1_010, Outcome::Fail),
        get("n1", 2_000, 2_010, Outcome::Ok),
        get("n1", 3_000, 3_010, Outcome::Fail),
        get("n1", 40_000, 40_500, Outcome::Fail),
    ];
    let w = outages(&hist(ops).ops.iter().collect::<Vec<_>>());
    assert_eq!(
        w[0],
        Outage {
            from_ms: 1_000,
            to_ms: 2_000,
            recovered: true,
            non_ok: 1
        }
    );
    assert_eq!(
        w[1],
        Outage {
            from_ms: 2_010,
            to_ms: 40_500,
            recovered: false,
            non_ok: 2
        }
    );
}

#[test]
fn never_recovered_kind_fails_with_open_window() {
    let ops = vec![
        put("n1", 0, 10, Outcome::Ok),
        put("n1", 1_000, 1_010, Outcome::Fail),
        put("n1", 50_000, 50_010, Outcome::Unknown),
    ];
    let v = availability(&hist(ops), &Thresholds::default());
    assert_eq!(v.status, Status::Fail);
    assert_eq!(v.metrics["longest_outage_ms.publish_config"], 50_000.0);
    let e = v
        .evidence
        .iter()
        .find(|e| e.source.as_deref() == Some("api:publish_config"))
        .unwrap();
    assert!(e.text.contains("not recovered"), "{}", e.text);
}

#[test]
fn all_failed_kind_has_ratio_zero_and_span_outage() {
    let ops = vec![
        get("n1", 100, 200, Outcome::Fail),
        get("n1", 900, 1_000, Outcome::Fail),
    ];
    let v = availability(&hist(ops), &Thresholds::default());
    assert_eq!(v.status, Status::Fail);
    assert_eq!(v.metrics["success_ratio.get_config"], 0.0);
    assert_eq!(v.metrics["longest_outage_ms.get_config"], 900.0);
}

/// A write answered HTTP 5xx is Unknown (it may have committed) — and still no service: it
/// counts against the ratio and opens an outage exactly as a refused write does.
#[test]
fn write_answered_5xx_is_unavailable_although_its_outcome_is_unknown() {
    let (outcome, _, _) = crate::workload::classify(OpKind::PublishConfig, 503, "no leader");
    let ops = vec![
        put("n1", 0, 10, Outcome::Ok),
        put("n1", 1_000, 1_010, outcome),
        put("n1", 30_000, 30_010, Outcome::Ok),
    ];
    let v = availability(&hist(ops), &Thresholds::default());
    assert_eq!(v.status, Status::Fail, "{v:?}");
    assert_eq!(v.metrics["ops.ok"], 2.0);
    assert_eq!(v.metrics["longest_outage_ms.publish_config"], 29_990.0);
}

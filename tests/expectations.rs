//! `[expect]` means something: SKIP meets only `"skip"`, an expected FAIL can require its
//! reason, and every unmet expectation says why. Written against the public API only.

use nacos_chaos::check::{Evidence, Status, Verdict};
use nacos_chaos::report::{RunRecord, junit, markdown_summary};
use nacos_chaos::scenario::Suite;

fn verdict(check: &str, status: Status, summary: &str) -> Verdict {
    Verdict {
        check: check.into(),
        status,
        summary: summary.into(),
        evidence: vec![],
        metrics: Default::default(),
    }
}

/// A record whose expectations come from an `[expect]` section.
fn record(expect: &str, verdicts: Vec<Verdict>) -> RunRecord {
    let text = format!(
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[expect]\n{expect}\n[[steps]]\naction = \"start\"\n"
    );
    let suite = Suite::parse("t.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let mut r = RunRecord::example();
    r.expectations = suite.expect.clone();
    r.verdicts = verdicts;
    r
}

const NO_WORKLOAD: &str = "no acknowledged writes (publish_config / register_persistent) to verify";

#[test]
fn a_control_whose_workload_never_ran_is_not_as_expected() {
    let r = record(
        "",
        vec![
            verdict("leader", Status::Pass, "1 checkpoint(s) found a leader"),
            verdict("availability", Status::Skip, "no operations recorded"),
            verdict("durability", Status::Skip, NO_WORKLOAD),
        ],
    );
    assert!(!r.as_expected());
    let unmet = format!("{:?}", r.unmet_expectations());
    assert_eq!(r.unmet_expectations().len(), 2, "{unmet}");
    // The skip's reason is part of why it is unmet.
    assert!(unmet.contains("no operations recorded"), "{unmet}");
    assert!(unmet.contains(NO_WORKLOAD), "{unmet}");
}

#[test]
fn a_known_bad_suite_whose_durability_was_never_judged_is_not_as_expected() {
    let r = record(
        "durability = \"fail\"",
        vec![verdict("durability", Status::Skip, NO_WORKLOAD)],
    );
    assert!(!r.as_expected());
}

#[test]
fn skip_meets_an_expected_skip_and_any() {
    let r = record(
        "durability = \"skip\"\nsignatures = \"any\"",
        vec![
            verdict("durability", Status::Skip, NO_WORKLOAD),
            verdict("signatures", Status::Skip, "nothing to scan"),
        ],
    );
    assert!(r.as_expected(), "{:?}", r.unmet_expectations());
    // `skip` is met by nothing else.
    let r = record(
        "durability = \"skip\"",
        vec![verdict("durability", Status::Pass, "all 3 present")],
    );
    assert!(!r.as_expected());
}

#[test]
fn any_accepts_every_status() {
    for status in [Status::Pass, Status::Fail, Status::Skip] {
        let r = record("leader = \"any\"", vec![verdict("leader", status, "x")]);
        assert!(r.as_expected(), "{status:?}");
    }
}

const LEADER_REASON: &str =
    r#"leader = { status = "fail", reason = "checkpoint\\(s\\) without a leader" }"#;

#[test]
fn an_expected_fail_with_the_wrong_reason_is_not_as_expected() {
    // A harness regression fails the check for another reason: not what the suite shows.
    let r = record(
        LEADER_REASON,
        vec![verdict("leader", Status::Fail, "2 term regression(s)")],
    );
    assert!(!r.as_expected());
    let unmet = format!("{:?}", r.unmet_expectations());
    assert!(
        unmet.contains("without a leader"),
        "the regex is shown: {unmet}"
    );
    assert!(unmet.contains("2 term regression(s)"), "{unmet}");
    // The right reason, in the summary or only in the evidence, meets it.
    let r = record(
        LEADER_REASON,
        vec![verdict(
            "leader",
            Status::Fail,
            "1 checkpoint(s) without a leader; 1 term regression(s)",
        )],
    );
    assert!(r.as_expected(), "{:?}", r.unmet_expectations());
    let mut v = verdict("leader", Status::Fail, "summary says little");
    v.evidence.push(Evidence::text(
        "after ip change: 2 checkpoint(s) without a leader",
    ));
    let r = record(LEADER_REASON, vec![v]);
    assert!(r.as_expected(), "{:?}", r.unmet_expectations());
    // A reason never turns a wrong status into a right one.
    let r = record(
        LEADER_REASON,
        vec![verdict(
            "leader",
            Status::Pass,
            "0 checkpoint(s) without a leader",
        )],
    );
    assert!(!r.as_expected());
}

#[test]
fn an_unstated_check_still_expects_pass() {
    let r = record(
        LEADER_REASON,
        vec![
            verdict("leader", Status::Fail, "1 checkpoint(s) without a leader"),
            verdict("durability", Status::Fail, "3 lost acknowledged write(s)"),
        ],
    );
    let unmet = r.unmet_expectations();
    assert_eq!(unmet.len(), 1, "{unmet:?}");
    assert!(format!("{unmet:?}").contains("durability"));
}

#[test]
fn renderers_report_an_unmet_skip_with_its_reason() {
    let r = record(
        "",
        vec![
            verdict("leader", Status::Pass, "ok"),
            verdict("durability", Status::Skip, NO_WORKLOAD),
        ],
    );
    let xml = junit(std::slice::from_ref(&r));
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains("expected pass, got skip"), "{xml}");
    let md = markdown_summary(std::slice::from_ref(&r));
    assert!(md.contains("❌ skip"), "{md}");
    assert!(
        md.contains("- **durability**: expected pass, got skip"),
        "{md}"
    );
    let page = nacos_chaos::report::html(&r);
    assert!(page.contains("1 check not as expected"), "{page}");
    assert!(
        page.contains("<tr class=\"unmet\"><td>durability"),
        "{page}"
    );
}

#[test]
fn renderers_show_a_reason_that_did_not_match() {
    let r = record(
        LEADER_REASON,
        vec![verdict("leader", Status::Fail, "2 term regression(s)")],
    );
    let xml = junit(std::slice::from_ref(&r));
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains("without a leader"), "{xml}");
    let md = markdown_summary(std::slice::from_ref(&r));
    assert!(md.contains("without a leader"), "{md}");
    let page = nacos_chaos::report::html(&r);
    assert!(page.contains("without a leader"), "{page}");
    let steps = nacos_chaos::scenario::steps_md(&r);
    assert!(steps.contains("without a leader"), "{steps}");
}

#[test]
fn a_bad_reason_regex_is_an_error_at_its_column() {
    let text = "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[expect]\nleader = { status = \"fail\", reason = \"(unclosed\" }\n[[steps]]\naction = \"start\"\n";
    let err = Suite::parse("s.toml", text).unwrap_err().to_string();
    assert!(err.starts_with("s.toml:7:38:"), "{err}");
    assert!(err.contains("(unclosed"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn an_unknown_expectation_names_the_choices() {
    for (value, col) in [("\"maybe\"", 10), ("{ status = \"maybe\" }", 21)] {
        let text = format!(
            "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[expect]\nleader = {value}\n[[steps]]\naction = \"start\"\n"
        );
        let err = Suite::parse("s.toml", &text).unwrap_err().to_string();
        assert!(err.starts_with(&format!("s.toml:7:{col}:")), "{err}");
        assert!(err.contains("pass, fail, skip or any"), "{err}");
    }
    let text = "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[expect]\nleader = { status = \"fail\", because = \"x\" }\n[[steps]]\naction = \"start\"\n";
    let err = Suite::parse("s.toml", text).unwrap_err().to_string();
    assert!(err.contains("because"), "{err}");
}

#[test]
fn an_old_verdict_json_with_plain_status_strings_still_loads() {
    let mut v = serde_json::to_value(RunRecord::example()).unwrap();
    v["schema_version"] = 1.into();
    v["expectations"] = serde_json::json!({ "leader": "fail", "durability": "skip" });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdict.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let r = nacos_chaos::report::read_verdict_json(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut with_fail = r.clone();
    with_fail.verdicts = vec![verdict("leader", Status::Fail, "anything")];
    assert!(with_fail.as_expected());
    with_fail.verdicts = vec![verdict("leader", Status::Pass, "anything")];
    assert!(!with_fail.as_expected());
}

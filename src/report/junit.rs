//! `junit.xml`: one `<testsuite>` per scenario, one test case per scenario × version pair ×
//! check, judged against the record's expectations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::record::RunRecord;
use super::status_word;
use crate::check::Status;
use crate::error::Result;

/// File name of the JUnit report.
///
/// ```
/// assert_eq!(nacos_chaos::report::JUNIT_FILE, "junit.xml");
/// ```
pub const JUNIT_FILE: &str = "junit.xml";

/// Render JUnit XML for `records`.
///
/// - One `<testsuite>` per scenario (in first-seen order), one test case per record × check,
///   named `<scenario>[<from>→<to>]::<check>`.
/// - A check whose verdict does not meet `record.expectations` (Pass if unstated; a Skip
///   meets only `skip` or `any`; a stated reason must match) is a `<failure>` whose message
///   says why; an expected Skip is `<skipped>`; a check that failed as expected (a known-bad
///   scenario) passes.
/// - A runner error adds an `<error>` case `<scenario>[<versions>]::run`; a record with
///   neither verdicts nor error gets a passing `::run` case so that no run is invisible.
/// - Every case carries the properties `run_id`, `flavor` and `attempts` (bring-up attempts).
///
/// ```
/// use nacos_chaos::check::{Status, Verdict};
/// use nacos_chaos::report::{junit, RunRecord};
/// let mut r = RunRecord::example();
/// r.scenario = "rnacos-ip-change".into();
/// r.to_version = Some("0.8.8".into());
/// r.verdicts.push(Verdict { check: "leader".into(), status: Status::Fail,
///     summary: "no leader after 30s".into(), evidence: vec![], metrics: Default::default() });
/// let xml = junit(&[r]);
/// assert!(xml.contains(r#"name="rnacos-ip-change[0.7.3→0.8.8]::leader""#));
/// assert!(xml.contains("<failure"));
/// ```
pub fn junit(records: &[RunRecord]) -> String {
    let mut order: Vec<&str> = Vec::new();
    for r in records {
        if !order.contains(&r.scenario.as_str()) {
            order.push(&r.scenario);
        }
    }
    let mut report = Report::new("nacos-chaos");
    for scenario in order {
        let mut suite = TestSuite::new(scenario);
        for r in records.iter().filter(|r| r.scenario == scenario) {
            for case in cases(r) {
                suite.add_test_case(case);
            }
        }
        report.add_test_suite(suite);
    }
    report.to_string().unwrap_or_else(|e| {
        // Serialising into memory cannot fail short of a bug; keep the file well-formed.
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nacos-chaos\" \
             tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            super::esc(&e.to_string()).replace("--", "- -")
        )
    })
}

/// Write [`junit`] of `records` as `junit.xml` into `dir` (created if missing).
///
/// ```
/// use nacos_chaos::report::{write_junit, RunRecord};
/// let dir = tempfile::tempdir().unwrap();
/// let path = write_junit(&[RunRecord::example()], dir.path()).unwrap();
/// assert!(std::fs::read_to_string(path).unwrap().contains("<testsuite "));
/// ```
pub fn write_junit(records: &[RunRecord], dir: &Path) -> Result<PathBuf> {
    super::write_file(dir, JUNIT_FILE, &junit(records))
}

fn case_name(r: &RunRecord, check: &str) -> String {
    format!("{}[{}]::{check}", r.scenario, r.version_label())
}

fn with_context(mut case: TestCase, r: &RunRecord) -> TestCase {
    case.set_classname(format!("{}.{}", r.flavor, r.scenario));
    case.add_property(("run_id", r.run_id.as_str()));
    case.add_property(("flavor", r.flavor.to_string().as_str()));
    case.add_property(("attempts", r.attempts.to_string().as_str()));
    case
}

fn cases(r: &RunRecord) -> Vec<TestCase> {
    let mut out = Vec::new();
    for v in &r.verdicts {
        let want = r.expectation(&v.check);
        let status = if let Some(why) = want.judge(v) {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(why.as_str());
            s.set_type(format!("expected {want}, got {}", status_word(v.status)));
            s.set_description(failure_text(v, &want.to_string(), &why));
            s
        } else if v.status == Status::Skip {
            let mut s = TestCaseStatus::skipped();
            s.set_message(v.summary.as_str());
            s
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(case_name(r, &v.check), status);
        if v.status == Status::Fail && want.judge(v).is_none() {
            case.set_system_out(format!("failed as expected: {}", v.summary));
        }
        out.push(with_context(case, r));
    }
    if let Some(err) = &r.error {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message(err.as_str());
        s.set_type("runner error");
        let mut case = TestCase::new(case_name(r, "run"), s);
        case.set_time(Duration::from_millis(r.duration_ms));
        out.push(with_context(case, r));
    } else if r.verdicts.is_empty() {
        let mut case = TestCase::new(case_name(r, "run"), TestCaseStatus::success());
        case.set_time(Duration::from_millis(r.duration_ms));
        case.set_system_out("run completed without verdicts");
        out.push(with_context(case, r));
    }
    out
}

fn failure_text(v: &crate::check::Verdict, want: &str, why: &str) -> String {
    let mut text = format!(
        "check {}: expected {want}, got {}\n{why}\n",
        v.check,
        status_word(v.status),
    );
    for e in &v.evidence {
        let at = e.at_ms.map(|t| format!(" @{t}ms")).unwrap_or_default();
        let node = e
            .node
            .as_deref()
            .map(|n| format!(" [{n}]"))
            .unwrap_or_default();
        text.push_str(&format!("- {}{node}{at}\n", e.text));
    }
    for (k, m) in &v.metrics {
        text.push_str(&format!("{k} = {}\n", super::fmt::fmt_metric(k, *m)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Verdict;

    fn verdict(check: &str, status: Status) -> Verdict {
        Verdict {
            check: check.into(),
            status,
            summary: format!("{check} summary"),
            evidence: vec![],
            metrics: Default::default(),
        }
    }

    fn record(scenario: &str, verdicts: Vec<Verdict>) -> RunRecord {
        let mut r = RunRecord::example();
        r.scenario = scenario.into();
        r.verdicts = verdicts;
        r
    }

    #[test]
    fn expected_fail_passes_and_unexpected_pass_fails() {
        let mut r = record(
            "known-bad",
            vec![
                verdict("leader", Status::Fail),
                verdict("durability", Status::Pass),
            ],
        );
        r.expectations.insert("leader".into(), Status::Fail.into());
        r.expectations
            .insert("durability".into(), Status::Fail.into());
        let xml = junit(&[r]);
        assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
        assert!(xml.contains("expected fail, got pass"), "{xml}");
        assert!(xml.contains("failed as expected: leader summary"), "{xml}");
    }

    #[test]
    fn skip_is_skipped_and_error_is_error() {
        let mut r = record("s", vec![verdict("signatures", Status::Skip)]);
        r.expectations
            .insert("signatures".into(), Status::Skip.into());
        r.error = Some("docker went away".into());
        let xml = junit(&[r]);
        assert!(xml.contains("<skipped"), "{xml}");
        assert!(xml.contains("<error"), "{xml}");
        assert!(xml.contains("s[0.7.3]::run"), "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
    }

    #[test]
    fn one_suite_per_scenario_and_empty_runs_are_visible() {
        let a1 = record("a", vec![verdict("leader", Status::Pass)]);
        let mut a2 = a1.clone();
        a2.to_version = Some("0.8.8".into());
        let b = record("b", vec![]);
        let xml = junit(&[a1, b, a2]);
        assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
        assert!(xml.contains("a[0.7.3]::leader") && xml.contains("a[0.7.3→0.8.8]::leader"));
        assert!(xml.contains("b[0.7.3]::run"), "{xml}");
        assert!(xml.find("name=\"a\"").unwrap() < xml.find("name=\"b\"").unwrap());
    }

    #[test]
    fn every_case_carries_the_bring_up_attempts() {
        let xml = junit(&[record("s", vec![verdict("leader", Status::Pass)])]);
        assert!(
            xml.contains(r#"<property name="attempts" value="1"/>"#),
            "{xml}"
        );
    }
}

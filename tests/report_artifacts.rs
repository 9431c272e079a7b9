//! Report artifacts from a realistic run record built in code: a 3-node r-nacos cluster,
//! two fault windows, a leader change while n1 is unreachable, probes that succeed and fail,
//! and verdicts including a Fail the scenario expects.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use nacos_chaos::check::{Checkpoint, Evidence, Status, Verdict};
use nacos_chaos::cluster::observe::{NodeObservation, Observation};
use nacos_chaos::fault::FaultWindow;
use nacos_chaos::flavor::{FlavorKind, GroupView, Role};
use nacos_chaos::report::{
    RunRecord, SCHEMA_VERSION, StepRecord, html, junit, markdown_summary, merge, read_verdict_json,
    schema, timeline_svg, validate, write_all,
};
use nacos_chaos::workload::{FinalRead, History, Op, OpKind, Outcome};

const GROUPS: [&str; 2] = ["config", "naming"];
const SCRIPT: &str = "<script>alert('x')</script>";

/// Node `i`'s observation: `None` = unreachable; otherwise (role, term, leader peer id).
fn node(i: usize, state: Option<(Role, u64, &str)>) -> NodeObservation {
    NodeObservation {
        node: format!("n{i}"),
        peer_id: i.to_string(),
        groups: state
            .iter()
            .flat_map(|(role, term, leader)| {
                GROUPS.map(|g| GroupView {
                    group: g.into(),
                    role: role.clone(),
                    term: Some(*term),
                    leader: Some(leader.to_string()),
                    members: vec!["1".into(), "2".into(), "3".into()],
                    learners: vec![],
                    discarded_leader: None,
                })
            })
            .collect(),
        error: state.is_none().then(|| "connect timeout".to_string()),
    }
}

fn observation(at_ms: u64, nodes: Vec<NodeObservation>) -> Observation {
    Observation {
        at_ms,
        wall: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + at_ms),
        upgrade: Default::default(),
        nodes,
    }
}

fn op(node: &str, kind: OpKind, start_ms: u64, outcome: Outcome) -> Op {
    Op {
        id: 0,
        node: node.into(),
        client: "http".into(),
        kind,
        key: "svc-a".into(),
        value: kind.is_write().then(|| "10.0.0.9:8080".to_string()),
        start_ms,
        end_ms: start_ms
            + if outcome == Outcome::Unknown {
                3000
            } else {
                40
            },
        outcome,
        status: (outcome != Outcome::Unknown).then_some(if outcome == Outcome::Ok {
            200
        } else {
            503
        }),
        error: (outcome != Outcome::Ok).then(|| "no leader".to_string()),
        read: (!kind.is_write() && outcome == Outcome::Ok).then(|| vec!["10.0.0.9:8080".into()]),
    }
}

fn verdict(check: &str, status: Status, summary: &str, evidence: Vec<Evidence>) -> Verdict {
    Verdict {
        check: check.into(),
        status,
        summary: summary.into(),
        evidence,
        metrics: BTreeMap::from([("success_ratio".to_string(), 0.875)]),
    }
}

fn record() -> RunRecord {
    use Role::{Candidate, Follower, Leader};
    let mut history = History::default();
    for t in (0..60_000).step_by(2_500) {
        for n in ["n1", "n2", "n3"] {
            let partitioned = n == "n1" && (10_000..20_000).contains(&t);
            let outcome = match (partitioned, t % 5_000 == 0) {
                (true, true) => Outcome::Unknown,
                (true, false) => Outcome::Fail,
                (false, _) => Outcome::Ok,
            };
            let kind = if t % 5_000 == 0 {
                OpKind::PublishConfig
            } else {
                OpKind::ListInstances
            };
            history.push(op(n, kind, t, outcome));
        }
    }
    let mut ev = Evidence::text("n1 reported no leader for 9.8 s");
    ev.node = Some("n1".into());
    ev.at_ms = Some(12_000);
    ev.source = Some("/nacos/v1/raft/metrics".into());
    RunRecord {
        schema_version: SCHEMA_VERSION,
        run_id: "r7f3a".into(),
        scenario: "rnacos-ip-change".into(),
        suite_file: Some("suites/upgrade.toml".into()),
        flavor: FlavorKind::RNacos,
        from_version: "0.7.3".into(),
        to_version: Some("0.8.8".into()),
        nodes: 3,
        seed: 42,
        started: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
        duration_ms: 60_000,
        engine: "Docker 27.3.1".into(),
        attempts: 2,
        steps: vec![
            StepRecord {
                name: "start 3 nodes on 0.7.3".into(),
                start_ms: 0,
                end_ms: 4_000,
                ok: true,
                detail: "all ready".into(),
            },
            StepRecord {
                name: "partition n1".into(),
                start_ms: 10_000,
                end_ms: 10_050,
                ok: true,
                detail: "iptables DROP in place".into(),
            },
            StepRecord {
                name: "upgrade n2 to 0.8.8 with a new IP".into(),
                start_ms: 30_000,
                end_ms: 36_000,
                ok: false,
                detail: "node started, raft address unchanged".into(),
            },
        ],
        faults: vec![
            FaultWindow {
                id: "f1".into(),
                kind: "partition".into(),
                description: "isolate n1 from n2, n3".into(),
                targets: vec!["n1".into()],
                start_ms: 10_000,
                end_ms: Some(20_000),
                proof: vec!["iptables -S shows DROP 172.30.0.3".into()],
                heal_proof: vec!["iptables -S clean".into()],
            },
            FaultWindow {
                id: "f2".into(),
                kind: "ip_change".into(),
                description: "n2 172.30.0.3 → 172.30.0.13".into(),
                targets: vec!["n2".into()],
                start_ms: 30_000,
                end_ms: None,
                proof: vec!["container IP is 172.30.0.13".into()],
                heal_proof: vec![],
            },
        ],
        checkpoints: vec![Checkpoint {
            name: "after partition n1".into(),
            at_ms: 10_100,
            time_to_leader_ms: Some(1_900),
            deadline_ms: 30_000,
            reason: None,
            expect_leader: true,
        }],
        observations: vec![
            observation(
                0,
                vec![
                    node(1, Some((Leader, 1, "1"))),
                    node(2, Some((Follower, 1, "1"))),
                    node(3, Some((Follower, 1, "1"))),
                ],
            ),
            observation(
                11_000,
                vec![
                    node(1, None),
                    node(2, Some((Candidate, 2, "1"))),
                    node(3, Some((Follower, 2, "1"))),
                ],
            ),
            observation(
                12_000,
                vec![
                    node(1, None),
                    node(2, Some((Leader, 2, "2"))),
                    node(3, Some((Follower, 2, "2"))),
                ],
            ),
            observation(
                21_000,
                vec![
                    node(1, Some((Follower, 2, "2"))),
                    node(2, Some((Leader, 2, "2"))),
                    node(3, Some((Follower, 2, "2"))),
                ],
            ),
        ],
        history,
        boot_memberships: vec![],
        boot_memberships_unread: None,
        configured_members: vec![],
        disk: vec![],
        provision_ms: 0,
        final_reads: vec![FinalRead {
            node: "n3".into(),
            key: "svc-a".into(),
            kind: OpKind::ListInstances,
            values: Some(vec!["10.0.0.9:8080".into()]),
            error: None,
        }],
        verdicts: vec![
            verdict(
                "leader",
                Status::Fail,
                &format!("no agreed leader after the IP change {SCRIPT}"),
                vec![ev, Evidence::text("views differ: 1@2 by n1; 2@2 by n3")],
            ),
            verdict("availability", Status::Pass, "87.5% of probes ok", vec![]),
            verdict("signatures", Status::Skip, "no logs collected", vec![]),
        ],
        // No logs were collected here, so signatures judge nothing: the suite says so.
        expectations: BTreeMap::from([
            ("leader".to_string(), Status::Fail.into()),
            ("signatures".to_string(), Status::Skip.into()),
        ]),
        error: None,
        logs: vec!["logs/n1/console.log".into()],
    }
}

/// The same run where durability also failed, which the scenario did not expect.
fn unexpected() -> RunRecord {
    let mut r = record();
    r.run_id = "r9bad".into();
    r.verdicts.push(verdict(
        "durability",
        Status::Fail,
        "2 acknowledged writes lost",
        vec![Evidence::text("svc-a missing 10.0.0.9:8080 on n2")],
    ));
    r
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn write_all_writes_the_four_artifacts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("results/r7f3a");
    let written = write_all(&record(), &dir).unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["verdict.json", "junit.xml", "report.html", "summary.md"]
    );
    assert!(written.iter().all(|p| p.starts_with(&dir) && p.is_file()));
}

#[test]
fn verdict_json_validates_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    write_all(&record(), tmp.path()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&read(tmp.path(), "verdict.json")).unwrap();
    assert_eq!(validate(&value), Ok(()));
    assert_eq!(
        read_verdict_json(&tmp.path().join("verdict.json")).unwrap(),
        record()
    );
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("results/verdict.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(schema(), committed);
}

/// Damages a serialised record.
type Corrupt = fn(&mut serde_json::Value);

#[test]
fn validator_rejects_known_bad_records() {
    let good = serde_json::to_value(record()).unwrap();
    let cases: [(&str, Corrupt, &str); 5] = [
        (
            "missing field",
            |v| {
                v.as_object_mut().unwrap().remove("verdicts");
            },
            "$: missing required field \"verdicts\"",
        ),
        (
            "wrong type",
            |v| v["faults"][1]["start_ms"] = "30s".into(),
            "$.faults[1].start_ms: expected integer, found string \"30s\"",
        ),
        (
            "bad status",
            |v| v["verdicts"][0]["status"] = "failed".into(),
            "$.verdicts[0].status: \"failed\" is not one of \"pass\", \"fail\", \"skip\"",
        ),
        (
            "bad outcome",
            |v| v["history"]["ops"][3]["outcome"] = "timeout".into(),
            "$.history.ops[3].outcome: \"timeout\" is not one of",
        ),
        (
            "bad flavor",
            |v| v["flavor"] = "nacos".into(),
            "$.flavor: \"nacos\" is not one of \"rnacos\", \"official\"",
        ),
    ];
    for (name, corrupt, want) in cases {
        let mut v = good.clone();
        corrupt(&mut v);
        let errs = validate(&v).expect_err(name);
        assert!(errs.iter().any(|e| e.starts_with(want)), "{name}: {errs:?}");
    }
}

#[test]
fn junit_expected_fail_passes_unexpected_fail_fails() {
    let tmp = tempfile::tempdir().unwrap();
    write_all(&record(), tmp.path()).unwrap();
    let xml = read(tmp.path(), "junit.xml");
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testsuite ").count(), 1);
    for check in ["leader", "availability", "signatures"] {
        let name = format!("name=\"rnacos-ip-change[0.7.3→0.8.8]::{check}\"");
        assert!(xml.contains(&name), "{name} in {xml}");
    }
    assert!(
        !xml.contains("<failure"),
        "expected Fail must not fail: {xml}"
    );
    assert_eq!(xml.matches("<skipped").count(), 1, "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");

    let xml = junit(&[record(), unexpected()]);
    assert_eq!(
        xml.matches("<testsuite ").count(),
        1,
        "one suite per scenario"
    );
    assert_eq!(xml.matches("<testcase ").count(), 7, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains("failures=\"1\""), "{xml}");
    let failure = &xml[xml.find("<failure").unwrap()..];
    assert!(
        failure.starts_with("<failure message=\"2 acknowledged writes lost\""),
        "{failure}"
    );
    assert!(failure.contains("expected pass, got fail"));
    // The summary with markup is XML-escaped in attributes and text.
    assert!(!xml.contains("<script>"));
}

#[test]
fn junit_runner_error_is_an_error_case() {
    let mut r = record();
    r.verdicts.clear();
    r.error = Some("bring-up failed: n3 never became ready".into());
    let xml = junit(&[r]);
    assert!(
        xml.contains("name=\"rnacos-ip-change[0.7.3→0.8.8]::run\""),
        "{xml}"
    );
    assert!(
        xml.contains("<error message=\"bring-up failed: n3 never became ready\""),
        "{xml}"
    );
    assert!(xml.contains("errors=\"1\""), "{xml}");
}

#[test]
fn html_has_timeline_lanes_fault_shading_and_escaped_text() {
    let tmp = tempfile::tempdir().unwrap();
    write_all(&record(), tmp.path()).unwrap();
    let page = read(tmp.path(), "report.html");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        !page.contains("<script") && !page.contains("src=\"http"),
        "no scripts, no remote"
    );
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("AS EXPECTED: every check came out as the suite expects"));
    assert!(page.contains("0.7.3") && page.contains("0.8.8") && page.contains("r7f3a"));
    assert!(page.contains("<td>rnacos</td>"));
    // verdict table: expected Fail shown as expected, nothing marked unmet
    assert!(page.contains("<table class=\"verdicts\">"));
    assert!(!page.contains("class=\"unmet\""));
    assert!(page.contains("success_ratio <b>87.5%</b>"));
    assert!(page.contains("n1 reported no leader for 9.8 s"));
    // steps table
    assert!(page.contains("upgrade n2 to 0.8.8 with a new IP"));

    assert_eq!(page.matches("<svg").count(), 1);
    let svg = timeline_svg(&record());
    assert!(page.contains(&svg));
    assert_eq!(
        svg.matches("class=\"lane role-lane\"").count(),
        3 * GROUPS.len()
    );
    for g in GROUPS {
        for n in ["n1", "n2", "n3"] {
            let lane = format!("data-node=\"{n}\" data-group=\"{g}\"");
            assert!(svg.contains(&lane), "{lane}");
        }
    }
    assert_eq!(svg.matches("class=\"lane probe-lane\"").count(), 3);
    assert_eq!(svg.matches("<rect class=\"fault\"").count(), 2);
    assert!(svg.contains("data-fault=\"f1\"") && svg.contains("data-fault=\"f2\""));
    assert!(svg.contains(">f2 ip_change → n2 (not healed)</text>"));
    // roles over time: n1 leader, then unreachable, then follower; n2 becomes leader
    assert_eq!(
        svg.matches("<rect class=\"seg unreachable\"").count(),
        GROUPS.len()
    );
    assert_eq!(
        svg.matches("<rect class=\"seg candidate\"").count(),
        GROUPS.len()
    );
    assert_eq!(
        svg.matches("<rect class=\"seg leader\"").count(),
        2 * GROUPS.len()
    );
    assert!(svg.contains("n1 · config: unreachable: connect timeout (11000–21000 ms)"));
    // probes: 72 ops; of the 4 sent to n1 while partitioned, 2 refused and 2 indeterminate
    assert_eq!(svg.matches("<line class=\"probe-ok\"").count(), 68);
    assert_eq!(svg.matches("<line class=\"probe-fail\"").count(), 2);
    assert_eq!(svg.matches("<line class=\"probe-unknown\"").count(), 2);
}

#[test]
fn html_marks_unmet_expectations() {
    let page = html(&unexpected());
    assert!(page.contains("NOT AS EXPECTED: 1 check not as expected"));
    assert_eq!(page.matches("class=\"unmet\"").count(), 1);
}

#[test]
fn markdown_has_the_table_row_and_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    write_all(&record(), tmp.path()).unwrap();
    let md = read(tmp.path(), "summary.md");
    assert!(
        md.contains(
            "| rnacos-ip-change | 0.7.3→0.8.8 | ✅ as expected | 2 | fail (expected) | pass | skip |"
        ),
        "{md}"
    );
    let md = markdown_summary(&[record(), unexpected()]);
    assert!(md.contains("| rnacos-ip-change | 0.7.3→0.8.8 | ❌ unexpected | 2 | fail (expected) | pass | skip | ❌ fail |"), "{md}");
    assert!(
        md.contains("### ❌ rnacos-ip-change [0.7.3→0.8.8] (rnacos, run `r9bad`)"),
        "{md}"
    );
    assert!(md.contains("- **durability**: expected pass, got fail — 2 acknowledged writes lost"));
    assert!(md.contains("  - svc-a missing 10.0.0.9:8080 on n2"), "{md}");
}

#[test]
fn merge_combines_shards_and_names_corrupt_files() {
    let root = tempfile::tempdir().unwrap();
    let (s1, s2) = (root.path().join("shard-1"), root.path().join("shard-2"));
    write_all(&record(), &s1.join("r7f3a")).unwrap();
    write_all(&unexpected(), &s2.join("nested/r9bad")).unwrap();
    let out = root.path().join("merged");
    let merged = merge(&[s1.clone(), s2.clone()], &out).unwrap();
    assert_eq!(merged.sources.len(), 2);
    assert!(!merged.all_as_expected);
    let xml = read(&out, "junit.xml");
    assert_eq!(xml.matches("<testcase ").count(), 7);
    assert_eq!(xml.matches("<failure").count(), 1);
    assert!(
        read(&out, "summary.md").starts_with("## nacos-chaos: 2 runs, 1 as expected, 1 unexpected")
    );

    let corrupt = s2.join("broken/verdict.json");
    std::fs::create_dir_all(corrupt.parent().unwrap()).unwrap();
    std::fs::write(&corrupt, "{\"schema_version\": 1,").unwrap();
    let msg = merge(&[s1, s2], &out).unwrap_err().to_string();
    assert!(msg.contains(&corrupt.display().to_string()), "{msg}");
}

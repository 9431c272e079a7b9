//! The version matrix from the CLI: 2 scenarios × 2 version pairs with 2 jobs in parallel,
//! each on its own isolated cluster, merged into one JUnit file and one summary.

mod common;

use std::process::Command;

use nacos_chaos::report::RunRecord;

const BIN: &str = env!("CARGO_BIN_EXE_nacos-chaos");

#[tokio::test]
async fn two_scenarios_by_two_version_pairs_run_two_at_a_time() {
    let Some(engine) = common::engine_or_skip("matrix").await else {
        return;
    };
    let from = common::rnacos_from();
    let results = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "matrix",
            "suites/rnacos-restart-control.toml",
            "suites/rnacos-rolling-upgrade.toml",
        ])
        .args([
            "--from",
            &format!("{from},{}", common::RNACOS_TO),
            "--to",
            common::RNACOS_TO,
            "--jobs",
            "2",
        ])
        .arg("--results")
        .arg(results.path())
        .output()
        .expect("run matrix");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // 0: all as expected; 1: some check differed (r-nacos can lose writes in a rolling
    // upgrade, see the suite). 2 would be a harness error.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("matrix: 4 of 4 cases, 2 in parallel"),
        "{stdout}"
    );

    let mut records: Vec<RunRecord> = vec![];
    for e in std::fs::read_dir(results.path()).unwrap() {
        let p = e.unwrap().path().join("verdict.json");
        if p.exists() {
            records.push(nacos_chaos::report::read_verdict_json(&p).unwrap());
        }
    }
    assert_eq!(records.len(), 4, "{stdout}");
    let mut pairs: Vec<String> = records
        .iter()
        .map(|r| format!("{} {}", r.scenario, r.version_label()))
        .collect();
    pairs.sort();
    assert_eq!(pairs.len(), 4);
    assert!(records.iter().all(|r| r.error.is_none()), "{stdout}");
    // Ran in parallel: some two runs overlap in time, on different networks.
    let span = |r: &RunRecord| {
        let s = r
            .started
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        (s, s + r.duration_ms)
    };
    let overlap = records.iter().enumerate().any(|(i, a)| {
        records.iter().skip(i + 1).any(|b| {
            let (a0, a1) = span(a);
            let (b0, b1) = span(b);
            a0 < b1 && b0 < a1
        })
    });
    assert!(
        overlap,
        "no two runs overlapped: jobs=2 did not run in parallel"
    );
    // Merged JUnit holds every scenario × pair × check.
    let merged = std::fs::read_dir(results.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("matrix-")
        })
        .expect("merged dir");
    let junit = std::fs::read_to_string(merged.join("junit.xml")).unwrap();
    // Six checks per run (leader .. signatures, membership); no suite here sets a disk bound.
    assert_eq!(junit.matches("<testcase").count(), 4 * 6, "{junit}");
    let md = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(
        md.contains("rnacos-restart-control") && md.contains("rnacos-rolling-upgrade"),
        "{md}"
    );
    for r in &records {
        assert!(engine.inventory(Some(&r.run_id)).await.unwrap().is_empty());
    }
}

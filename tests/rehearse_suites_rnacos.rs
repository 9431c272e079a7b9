//! The rehearsal suites end to end on r-nacos: the twin of the official delete-protocol
//! remediation suite comes out AS EXPECTED (the planned address change leaves no leader;
//! deleting the Raft dir brings one back and loses the baseline, entry by entry; keeping the
//! addresses and the suite's own restart-in-place fix lose nothing), and its known-bad — the
//! same rehearsal expecting the deletion to lose nothing — comes out NOT AS EXPECTED on
//! exactly that expectation. Nothing is left in Docker.

mod common;

use nacos_chaos::check::Status;
use nacos_chaos::report::RunRecord;
use nacos_chaos::scenario::{RunOptions, Suite, run};

/// One rehearsal at a time: each runs several clusters, one after the other, on deadlines.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run_suite(file: &str) -> Option<(RunRecord, std::path::PathBuf)> {
    let _turn = ONE_AT_A_TIME.lock().await;
    let engine = common::engine_or_skip(file).await?;
    let suite = Suite::load(format!("suites/{file}")).expect("suite");
    let results = tempfile::tempdir().unwrap().keep();
    let r = run(
        &suite,
        &suite.versions.from[0],
        None,
        &RunOptions {
            results: results.clone(),
            ..Default::default()
        },
    )
    .await;
    let dir = results.join(&r.run_id);
    let step = r.steps.iter().find(|s| s.name.starts_with("rehearse"));
    eprintln!("{file}: rehearse step: {step:?}");
    for run_id in
        std::iter::once(r.run_id.as_str()).chain(rehearsal_runs(&dir).iter().map(String::as_str))
    {
        let inv = engine.inventory(Some(run_id)).await.unwrap();
        assert!(inv.is_empty(), "run {run_id} left {inv:?}");
    }
    Some((r, dir))
}

/// Every copy's run id, from the rehearsal report the step wrote.
fn rehearsal_runs(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("rehearsal/rehearsal.json")).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    std::iter::once(&j["planned"])
        .chain(j["fixes"].as_array().unwrap())
        .map(|f| f["run_id"].as_str().unwrap().to_string())
        .collect()
}

fn status(r: &RunRecord, check: &str) -> Status {
    r.verdicts
        .iter()
        .find(|v| v.check == check)
        .unwrap_or_else(|| panic!("no {check} verdict: {:?}", r.verdicts))
        .status
}

#[tokio::test]
async fn the_delete_raft_dir_remediation_rehearsal_comes_out_as_expected() {
    let Some((r, dir)) = run_suite("rnacos-delete-raft-remediation-rehearsal.toml").await else {
        return;
    };
    let md = std::fs::read_to_string(dir.join("rehearsal/rehearsal.md")).unwrap();
    eprintln!("{md}");
    assert!(r.error.is_none(), "runner error: {:?}", r.error);
    assert!(r.as_expected(), "unmet: {:?}", r.unmet_expectations());
    assert_eq!(status(&r, "rehearsal.planned.leader"), Status::Fail);
    assert_eq!(status(&r, "rehearsal.delete-raft-dir.leader"), Status::Pass);
    assert_eq!(
        status(&r, "rehearsal.keep-old-addresses.lost"),
        Status::Pass
    );
    assert_eq!(status(&r, "rehearsal.restart-in-place.lost"), Status::Pass);
    // Deleting the Raft dir lost every config and instance the baseline holds, each listed.
    let lost = r
        .verdicts
        .iter()
        .find(|v| v.check == "rehearsal.delete-raft-dir.lost")
        .unwrap();
    assert_eq!(lost.status, Status::Fail);
    for i in 0..4u32 {
        let group = if i.is_multiple_of(2) {
            "DEFAULT_GROUP"
        } else {
            "G2"
        };
        let want = format!("config public/{group}/rehearse-{i} (gone)");
        assert!(
            lost.evidence.iter().any(|e| e.text == want),
            "{want} not listed: {lost:?}"
        );
    }
    for port in 9001..=9003 {
        let want = format!("instance public/DEFAULT_GROUP/svc-rehearse 127.0.0.1:{port} (gone)");
        assert!(
            lost.evidence.iter().any(|e| e.text == want),
            "{want} not listed: {lost:?}"
        );
    }
    assert!(md.contains("The planned upgrade is UNSAFE"), "{md}");
}

#[tokio::test]
async fn a_wrong_rehearsal_expectation_comes_out_not_as_expected() {
    let Some((r, _)) = run_suite("rnacos-delete-raft-rehearsal-known-bad.toml").await else {
        return;
    };
    assert!(r.error.is_none(), "runner error: {:?}", r.error);
    let unmet: Vec<String> = r
        .unmet_expectations()
        .into_iter()
        .map(|u| u.check)
        .collect();
    assert_eq!(
        unmet,
        ["rehearsal.delete-raft-dir.lost"],
        "{:?}",
        r.unmet_expectations()
    );
    assert!(!r.as_expected());
}

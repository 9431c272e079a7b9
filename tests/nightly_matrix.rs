//! The nightly workflow's steps (`.ci/nightly`, which `.github/workflows/nightly-matrix.yml`
//! runs), locally over a small matrix: two shards in parallel, then a merge. The merged case
//! list must equal that of one unsharded run of the same matrix: no case lost or doubled.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nacos-chaos");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/nightly");

/// `.ci/nightly ARGS` over the small matrix: restart-control at two versions (2 cases).
fn nightly(args: &[&str]) -> std::process::Child {
    Command::new(SCRIPT)
        .args(args)
        .env("NACOS_CHAOS_BIN", BIN)
        .env("NIGHTLY_SUITES", "suites/rnacos-restart-control.toml")
        .env(
            "NIGHTLY_FROM",
            format!("{},{}", common::rnacos_from(), common::RNACOS_TO),
        )
        .env("NIGHTLY_TO", common::RNACOS_TO)
        .env("NIGHTLY_JOBS", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run .ci/nightly")
}

fn finish(child: std::process::Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The test case names of a junit.xml: `scenario[versions]::check`.
fn cases(junit: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(junit).unwrap();
    text.split("<testcase ")
        .skip(1)
        .filter_map(|t| {
            t.split("name=\"")
                .nth(1)?
                .split('"')
                .next()
                .map(String::from)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_merged_hold_the_same_cases_as_one_run() {
    let test = "two_shards_merged_hold_the_same_cases_as_one_run";
    let Some(engine) = common::engine_or_skip(test).await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = |s: &str| tmp.path().join(s).display().to_string();
    // The two shards at once, as the workflow's matrix jobs run.
    let shards = [
        nightly(&["shard", "1", "2", &dir("shard-1")]),
        nightly(&["shard", "2", "2", &dir("shard-2")]),
    ];
    for s in shards {
        let (code, out) = finish(s);
        assert!(matches!(code, Some(0 | 1)), "shard failed: {out}");
        assert!(out.contains("matrix: 1 of 2 cases"), "{out}");
    }
    let (code, out) = finish(nightly(&[
        "merge",
        &dir("merged"),
        &dir("shard-1"),
        &dir("shard-2"),
    ]));
    assert!(matches!(code, Some(0 | 1)), "{out}");
    assert!(out.contains("merged 2 runs"), "{out}");
    let merged = cases(&tmp.path().join("merged/junit.xml"));

    // One unsharded run of the same matrix.
    let (code, out) = finish(nightly(&["shard", "1", "1", &dir("single")]));
    assert!(matches!(code, Some(0 | 1)), "{out}");
    let single_dir = std::fs::read_dir(tmp.path().join("single"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("matrix-")
        })
        .expect("the unsharded matrix's merge dir");
    let single = cases(&single_dir.join("junit.xml"));
    assert_eq!(merged, single);
    // Every case carries every check the harness runs (their number grows with the harness).
    let checks: std::collections::BTreeSet<&str> =
        merged.iter().filter_map(|c| c.split("::").nth(1)).collect();
    assert!(
        checks.contains("durability") && checks.len() >= 5,
        "{checks:?}"
    );
    assert_eq!(
        merged.len(),
        2 * checks.len(),
        "2 cases × {} checks: {merged:?}",
        checks.len()
    );
    // The index links every run's report, across shards.
    let index = std::fs::read_to_string(tmp.path().join("merged/index.html")).unwrap();
    assert!(index.contains("href=\"../shard-1/") && index.contains("href=\"../shard-2/"));
    // No run left anything behind.
    for shard in ["shard-1", "shard-2", "single"] {
        for e in std::fs::read_dir(tmp.path().join(shard)).unwrap() {
            let verdict = e.unwrap().path().join("verdict.json");
            if verdict.exists() {
                let r = nacos_chaos::report::read_verdict_json(&verdict).unwrap();
                assert!(engine.inventory(Some(&r.run_id)).await.unwrap().is_empty());
            }
        }
    }
}

#[test]
fn the_workflow_runs_the_script_steps() {
    let wf = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.github/workflows/nightly-matrix.yml"
    ))
    .unwrap();
    assert!(
        wf.contains(".ci/nightly shard ${{ matrix.shard }} $SHARDS"),
        "{wf}"
    );
    assert!(
        wf.contains(".ci/nightly merge results/merged results/shard-*"),
        "{wf}"
    );
    assert!(wf.contains("shard: [1, 2, 3, 4]") && wf.contains("SHARDS: 4"));
    let (code, out) = finish(nightly(&["bogus"]));
    assert_eq!(code, Some(64), "{out}");
}

//! Per-node name forms on real r-nacos clusters: the shipped control (every node named the
//! way its peers list it, in three different forms) and mismatch (every node named one way
//! and listed another) suites, with the join lines r-nacos logs read back as evidence of
//! which address each node announced and which it was given to join.

mod common;

use nacos_chaos::check::Status;
use nacos_chaos::report::RunRecord;
use nacos_chaos::scenario::{RunOptions, Suite, run};

async fn run_suite(file: &str) -> Option<(RunRecord, std::path::PathBuf)> {
    common::engine_or_skip(file).await?;
    let suite = Suite::load(format!("suites/{file}")).expect("suite");
    let results = tempfile::tempdir().unwrap().keep();
    let from = suite.versions.from[0].clone();
    let opts = RunOptions {
        results: results.clone(),
        ..Default::default()
    };
    let r = run(&suite, &from, None, &opts).await;
    assert!(r.error.is_none(), "runner error: {:?}", r.error);
    let engine = nacos_chaos::docker::Engine::connect("check").await.unwrap();
    assert!(engine.inventory(Some(&r.run_id)).await.unwrap().is_empty());
    let dir = results.join(&r.run_id);
    Some((r, dir))
}

/// The `auto join raft,join_addr:<a>.node_id:<i>,addr:<b>` line node `n` logged.
fn join_line(dir: &std::path::Path, n: &str) -> String {
    let log = std::fs::read_to_string(dir.join(format!("logs/{n}/console.log")))
        .unwrap_or_else(|e| panic!("{n} console log: {e}"));
    log.lines()
        .find_map(|l| l.find("auto join raft,").map(|at| l[at..].to_string()))
        .unwrap_or_else(|| panic!("{n} logged no join line"))
}

use common::status;

#[tokio::test(flavor = "multi_thread")]
async fn agreeing_mixed_forms_form_a_cluster() {
    let Some((r, dir)) = run_suite("rnacos-name-forms-control.toml").await else {
        return;
    };
    let net = format!("nchaos-{}", r.run_id);
    let n2 = join_line(&dir, "n2");
    assert!(
        n2.contains(&format!("join_addr:n1.{net}:9848")) && n2.contains("addr:n2:9848"),
        "{n2}"
    );
    let n3 = join_line(&dir, "n3");
    assert!(n3.contains(&format!("addr:n3.{net}.:9848")), "{n3}");
    assert!(r.unmet_expectations().is_empty(), "{:?}", r.verdicts);
    assert_eq!(status(&r, "membership"), Status::Pass);
}

#[tokio::test(flavor = "multi_thread")]
async fn names_that_disagree_are_tolerated_by_rnacos() {
    let Some((r, dir)) = run_suite("rnacos-name-forms-mismatch.toml").await else {
        return;
    };
    let net = format!("nchaos-{}", r.run_id);
    // Joiners reach n1 at its IP although it announced its short name.
    let n2 = join_line(&dir, "n2");
    let n1_ip = n2
        .split("join_addr:")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .unwrap_or_default()
        .to_string();
    assert!(n1_ip.parse::<std::net::Ipv4Addr>().is_ok(), "{n2}");
    let n3 = join_line(&dir, "n3");
    assert!(n3.contains(&format!("addr:n3.{net}.:9848")), "{n3}");
    // What the expectations state: r-nacos tolerates it; every check says so with evidence.
    assert!(r.unmet_expectations().is_empty(), "{:?}", r.verdicts);
    assert_eq!(status(&r, "membership"), Status::Pass);
}

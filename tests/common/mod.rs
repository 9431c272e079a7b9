//! Shared test support: engine connection with the CI rule (missing Docker under CI=true
//! fails; elsewhere a visible SKIP line).
#![allow(dead_code)]

use nacos_chaos::cluster::Cluster;
use nacos_chaos::docker::{Engine, new_run_id};
use nacos_chaos::fault::{Fault, Nemesis, Targets};

/// Say that `test` did not run, and why — visibly in a plain `cargo test` too: libtest
/// captures the print macros of a passing test, not direct writes to the process's stderr.
pub fn skip(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIP {test}: {why}");
}

/// Connect to Docker, or print a visible skip (never under CI=true, where it panics).
pub async fn engine_or_skip(test: &str) -> Option<Engine> {
    // Harness warnings (e.g. a joining node being repaired) show in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,bollard=error")),
        )
        .with_test_writer()
        .try_init();
    match Engine::connect(new_run_id()).await {
        Ok(e) => Some(e),
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{test}: Docker is required under CI=true: {e}");
            }
            skip(test, &format!("no Docker engine ({e})"));
            None
        }
    }
}

/// r-nacos version upgraded from in CI (override with NACOS_CHAOS_RNACOS_FROM).
pub const RNACOS_FROM_DEFAULT: &str = "0.7.3";
/// r-nacos version upgraded to in CI (override with NACOS_CHAOS_RNACOS_TO).
pub const RNACOS_TO: &str = "0.8.8";

/// The from-version for upgrade tests.
pub fn rnacos_from() -> String {
    std::env::var("NACOS_CHAOS_RNACOS_FROM").unwrap_or_else(|_| RNACOS_FROM_DEFAULT.into())
}

/// Stop every node, then start them all again through the nemesis (which proves every
/// container running): a clean whole-cluster restart, data and IPs kept.
pub async fn restart_all(c: &mut Cluster) {
    Nemesis::default()
        .apply(
            c,
            &Fault::Restart(nacos_chaos::fault::Restart {
                nodes: Targets::All,
            }),
        )
        .await
        .expect("whole-cluster restart");
}

/// The status of `check` in a run; panics naming the check when the run has no such verdict.
pub fn status(r: &nacos_chaos::report::RunRecord, check: &str) -> nacos_chaos::check::Status {
    r.status_of(check)
        .unwrap_or_else(|| panic!("no {check} verdict"))
}

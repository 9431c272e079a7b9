//! Batches of runs: suites × from-versions × to-versions (× repeats), sharded for CI fan-out
//! and run with bounded parallelism. Every selected case yields a record — a case whose
//! task panicked becomes an aborted record (NOT AS EXPECTED), never a silently missing one —
//! and a selection of nothing is an error, never a green batch.

use std::path::PathBuf;
use std::sync::Arc;

use super::runner::{RunOptions, run};
use super::suite::Suite;
use crate::report::RunRecord;
use crate::{Error, Result};

/// One case: a suite, a version pair, and which repeat of it this is (1-based).
#[derive(Clone, Debug)]
pub struct Case {
    /// The suite.
    pub suite: Arc<Suite>,
    /// From-version.
    pub from: String,
    /// To-version, if the suite upgrades.
    pub to: Option<String>,
    /// Repeat number, 1..=N.
    pub repeat: u32,
}

/// Every case of `suites` (already loaded, version overrides applied), each `repeat` times
/// (repeats of a case are adjacent, so a shard keeps whole cases together only when
/// `repeat` is 1 — repeats are spread over shards like any other case).
///
/// ```
/// # use nacos_chaos::scenario::{Suite, expand};
/// let suite = Suite::parse("s.toml", "name = \"s\"\n[cluster]\nflavor = \"rnacos\"\nnodes = 3\n\
///     [versions]\nfrom = [\"0.7.3\", \"0.8.8\"]\n[[steps]]\naction = \"start\"\n").unwrap();
/// let cases = expand(vec![suite], 3).unwrap();
/// assert_eq!(cases.len(), 6);
/// assert_eq!((cases[2].from.as_str(), cases[2].repeat), ("0.7.3", 3));
/// assert!(expand(vec![], 1).is_err());
/// ```
pub fn expand(suites: Vec<Suite>, repeat: u32) -> Result<Vec<Case>> {
    if repeat == 0 {
        return Err(Error::Config(
            "--repeat 0 runs nothing\nfix: use --repeat 1 or more".into(),
        ));
    }
    let mut out = vec![];
    for suite in suites {
        let suite = Arc::new(suite);
        for (from, to) in suite.pairs() {
            for r in 1..=repeat {
                out.push(Case {
                    suite: suite.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    repeat: r,
                });
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Config(
            "no case to run: the suites name no version pair\nfix: give each suite \
             [versions] from = [..], or pass --from"
                .into(),
        ));
    }
    Ok(out)
}

/// Shard `i` of `n` (1-based): every n-th case starting at the i-th. A shard that selects
/// nothing is an error (an empty shard is not a green one).
///
/// ```
/// # use nacos_chaos::scenario::{Suite, expand, shard};
/// # let suite = Suite::parse("s.toml", "name = \"s\"\n[cluster]\nflavor = \"rnacos\"\nnodes = 3\n\
/// #     [versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n").unwrap();
/// let cases = expand(vec![suite], 2).unwrap();
/// assert_eq!(shard(cases.clone(), 2, 2).unwrap().len(), 1);
/// let err = shard(cases, 3, 3).unwrap_err().to_string();
/// assert!(err.contains("selects no case"), "{err}");
/// ```
pub fn shard(cases: Vec<Case>, i: usize, n: usize) -> Result<Vec<Case>> {
    let total = cases.len();
    if n == 0 || i == 0 || i > n {
        return Err(Error::Config(format!(
            "shard {i}/{n}: the index must be between 1 and the count\nfix: --shard 1/{n}"
        )));
    }
    let mine: Vec<Case> = cases
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % n == i - 1)
        .map(|(_, c)| c)
        .collect();
    if mine.is_empty() {
        return Err(Error::Config(format!(
            "shard {i}/{n} selects no case of the {total}\nfix: use at most {total} shard(s)"
        )));
    }
    Ok(mine)
}

/// Run `cases` on fresh clusters, at most `jobs` at once, each writing
/// `results/<run-id>/`. One record per case, in case order: a case that panicked is an
/// aborted record naming the panic.
pub async fn run_all(cases: Vec<Case>, jobs: usize, opts: RunOptions) -> Vec<RunRecord> {
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut handles = vec![];
    for c in &cases {
        let (sem, opts, c) = (sem.clone(), opts.clone(), c.clone());
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            run(&c.suite, &c.from, c.to.as_deref(), &opts).await
        }));
    }
    let mut out = vec![];
    for (h, c) in handles.into_iter().zip(&cases) {
        out.push(match h.await {
            Ok(r) => r,
            Err(e) => aborted(c, &opts.results, &panic_text(e)),
        });
    }
    out
}

/// The text of a task's panic (or cancellation).
fn panic_text(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return format!("case task cancelled: {e}");
    }
    let p = e.into_panic();
    let msg = p
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into());
    format!("case panicked: {msg}")
}

/// The record of a case that produced none: NOT AS EXPECTED, with `why`, written to
/// `results/<run-id>/` like any other so reports and merges count it.
pub fn aborted(c: &Case, results: &std::path::Path, why: &str) -> RunRecord {
    let mut r = RunRecord::example();
    r.run_id = crate::docker::new_run_id();
    r.scenario = c.suite.name.clone();
    r.suite_file = c.suite.path.as_ref().map(|p| p.display().to_string());
    r.flavor = c.suite.cluster.flavor;
    r.from_version = c.from.clone();
    r.to_version = c.to.clone();
    r.nodes = c.suite.cluster.nodes;
    r.seed = c.suite.seed;
    r.started = std::time::SystemTime::now();
    r.expectations = c.suite.expect.clone();
    r.error = Some(why.to_string());
    let dir: PathBuf = results.join(&r.run_id);
    if let Err(e) = crate::report::write_all(&r, &dir) {
        tracing::warn!(error = %e, dir = %dir.display(), "aborted case's record not written");
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> Suite {
        Suite::parse(
            "s.toml",
            "name = \"s\"\n[cluster]\nflavor = \"rnacos\"\nnodes = 3\n[versions]\n\
             from = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n",
        )
        .unwrap()
    }

    #[test]
    fn an_empty_selection_is_an_error_with_a_fix() {
        let e = expand(vec![suite()], 0).unwrap_err().to_string();
        assert!(e.contains("fix:"), "{e}");
        let cases = expand(vec![suite()], 1).unwrap();
        let e = shard(cases.clone(), 2, 2).unwrap_err().to_string();
        assert!(e.contains("shard 2/2 selects no case of the 1"), "{e}");
        assert!(shard(cases.clone(), 0, 2).is_err());
        assert_eq!(shard(cases, 1, 2).unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_panicking_case_is_an_aborted_record_not_a_missing_one() {
        let results = tempfile::tempdir().unwrap();
        let c = expand(vec![suite()], 1).unwrap().remove(0);
        let h = tokio::spawn(async { panic!("boom in step 2") });
        let why = panic_text(h.await.unwrap_err());
        let r = aborted(&c, results.path(), &why);
        assert!(!r.as_expected());
        assert_eq!(r.error.as_deref(), Some("case panicked: boom in step 2"));
        assert_eq!(r.scenario, "s");
        // Written like any run, so merges and shards count it.
        let m = crate::report::merge(&[results.path().to_path_buf()], &results.path().join("m"))
            .unwrap();
        assert_eq!(m.sources.len(), 1);
        assert!(!m.all_as_expected);
    }
}

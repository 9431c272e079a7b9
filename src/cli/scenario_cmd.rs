//! `run`, `matrix`, `merge`, `validate`, `preflight`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use nacos_chaos::flavor::FlavorKind;
use nacos_chaos::report::RunRecord;
use nacos_chaos::scenario::{RunOptions, Suite, run};

use super::{EXIT_INTERRUPTED, EXIT_NOT_AS_EXPECTED};

const INTERRUPTED: &str = "interrupted: clusters are torn down by their drop guards; `nacos-chaos gc` removes anything left";

/// One case of a matrix: a suite and a version pair.
#[derive(Clone)]
struct Case {
    suite: Arc<Suite>,
    from: String,
    to: Option<String>,
}

fn parse_list(s: &Option<String>) -> Option<Vec<String>> {
    s.as_ref().map(|v| {
        v.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
}

fn cases(suites: &[PathBuf], from: &Option<String>, to: &Option<String>) -> Result<Vec<Case>> {
    let mut out = vec![];
    for p in suites {
        let mut suite = Suite::load(p)?;
        if let Some(f) = parse_list(from) {
            suite.versions.from = f;
        }
        if let Some(t) = parse_list(to)
            && !suite.versions.to.is_empty()
        {
            suite.versions.to = t;
        }
        let suite = Arc::new(suite);
        for (f, t) in suite.pairs() {
            out.push(Case {
                suite: suite.clone(),
                from: f,
                to: t,
            });
        }
    }
    Ok(out)
}

fn print_record(r: &RunRecord, results: &std::path::Path) {
    println!(
        "{} [{}] run {}: {}",
        r.scenario,
        r.version_label(),
        r.run_id,
        if r.as_expected() {
            "AS EXPECTED"
        } else {
            "NOT AS EXPECTED"
        }
    );
    for v in &r.verdicts {
        println!(
            "  {:<13} {:<5} (expected {:<5}) {}",
            v.check,
            format!("{:?}", v.status).to_uppercase(),
            r.expectation(&v.check).status.word().to_uppercase(),
            v.summary
        );
    }
    for u in r.unmet_expectations() {
        println!("  not as expected: {u}");
    }
    if let Some(e) = &r.error {
        println!("  error: {e}");
    }
    println!(
        "  report: {}",
        results.join(&r.run_id).join("report.html").display()
    );
}

async fn run_cases(
    cases: Vec<Case>,
    jobs: usize,
    results: PathBuf,
    registry: Option<String>,
    run_id: Option<String>,
) -> Vec<RunRecord> {
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut handles = vec![];
    for c in cases {
        let sem = sem.clone();
        let opts = RunOptions {
            results: results.clone(),
            registry: registry.clone(),
            run_id: run_id.clone(),
        };
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            run(&c.suite, &c.from, c.to.as_deref(), &opts).await
        }));
    }
    let mut out = vec![];
    for h in handles {
        if let Ok(r) = h.await {
            out.push(r);
        }
    }
    out
}

/// `run SUITE`: every version pair of one suite, sequentially.
pub async fn run_suite(
    suite: PathBuf,
    from: Option<String>,
    to: Option<String>,
    results: PathBuf,
    registry: Option<String>,
    run_id: Option<String>,
) -> Result<ExitCode> {
    let cases = cases(&[suite], &from, &to)?;
    if run_id.is_some() && cases.len() != 1 {
        bail!("--run-id needs a suite with exactly one version pair (use --from/--to)");
    }
    let records = tokio::select! {
        r = run_cases(cases, 1, results.clone(), registry, run_id) => r,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("{INTERRUPTED}");
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
    };
    for r in &records {
        print_record(r, &results);
    }
    Ok(if records.iter().all(RunRecord::as_expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_AS_EXPECTED)
    })
}

/// Parse `i/n`.
fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let (i, n) = s.split_once('/').context("--shard must look like 1/4")?;
    let (i, n): (usize, usize) = (
        i.parse().context("shard index")?,
        n.parse().context("shard count")?,
    );
    if n == 0 || i == 0 || i > n {
        bail!("--shard {s}: need 1 <= i <= n");
    }
    Ok((i, n))
}

/// `matrix`: suites × from × to with bounded parallelism and sharding.
#[allow(clippy::too_many_arguments)]
pub async fn matrix(
    suites: Vec<PathBuf>,
    from: Option<String>,
    to: Option<String>,
    jobs: usize,
    shard: Option<String>,
    results: PathBuf,
    registry: Option<String>,
) -> Result<ExitCode> {
    let all = cases(&suites, &from, &to)?;
    let total = all.len();
    let mine: Vec<Case> = match shard.as_deref().map(parse_shard).transpose()? {
        Some((i, n)) => all
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % n == i - 1)
            .map(|(_, c)| c)
            .collect(),
        None => all,
    };
    println!(
        "matrix: {} of {total} cases, {jobs} in parallel",
        mine.len()
    );
    let records = tokio::select! {
        r = run_cases(mine, jobs, results.clone(), registry, None) => r,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("{INTERRUPTED}");
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
    };
    for r in &records {
        print_record(r, &results);
    }
    let dirs: Vec<PathBuf> = records.iter().map(|r| results.join(&r.run_id)).collect();
    if !dirs.is_empty() {
        let out = results.join(format!("matrix-{}", nacos_chaos::docker::new_run_id()));
        let merged = nacos_chaos::report::merge(&dirs, &out)?;
        println!(
            "merged: {} and {}",
            merged.junit.display(),
            merged.summary.display()
        );
    }
    Ok(if records.iter().all(RunRecord::as_expected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_AS_EXPECTED)
    })
}

/// `merge DIR... --out DIR`.
pub fn merge(dirs: Vec<PathBuf>, out: PathBuf) -> Result<ExitCode> {
    let m = nacos_chaos::report::merge(&dirs, &out)?;
    println!(
        "merged {} runs into {} and {}",
        m.sources.len(),
        m.junit.display(),
        m.summary.display()
    );
    Ok(if m.all_as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_AS_EXPECTED)
    })
}

/// `validate SUITE.. [--render]`: parse, check and render every suite for every version it
/// names, without Docker. Every invalid suite is reported (at `file:line:column`); the exit
/// code says whether any was.
pub fn validate(suites: Vec<PathBuf>, render: bool, registry: Option<String>) -> Result<ExitCode> {
    let mut rendered = vec![];
    let mut invalid = 0;
    for p in &suites {
        let checked = std::fs::read_to_string(p)
            .map_err(|e| nacos_chaos::Error::io("read suite", p, e))
            .and_then(|text| {
                let suite = Suite::parse(p, &text)?;
                let r = nacos_chaos::scenario::render(&suite, &text, registry.as_deref())?;
                Ok((suite, r))
            });
        match checked {
            Ok((suite, r)) => {
                let to = if suite.versions.to.is_empty() {
                    String::new()
                } else {
                    format!(" → {}", suite.versions.to.join(","))
                };
                let line = format!(
                    "ok  {}  {}: {}, {} node(s), {}{to}, {} step(s)",
                    p.display(),
                    suite.name,
                    suite.cluster.flavor,
                    suite.cluster.nodes,
                    suite.versions.from.join(","),
                    suite.steps.len()
                );
                // With --render, stdout is the JSON alone.
                if render {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
                rendered.push(r);
            }
            Err(e) => {
                invalid += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if render {
        let doc = serde_json::json!({
            "note": nacos_chaos::scenario::PLACEHOLDER_NOTE,
            "suites": rendered,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    if invalid > 0 {
        eprintln!("{invalid} of {} suite(s) invalid", suites.len());
        return Ok(ExitCode::from(EXIT_NOT_AS_EXPECTED));
    }
    Ok(ExitCode::SUCCESS)
}

/// `preflight`.
pub fn preflight(
    data: PathBuf,
    members: String,
    self_addr: Option<String>,
    flavor: FlavorKind,
    json: bool,
) -> Result<ExitCode> {
    let text = match members.strip_prefix('@') {
        Some(file) => {
            std::fs::read_to_string(file).with_context(|| format!("reading members file {file}"))?
        }
        None if std::path::Path::new(&members).is_file() => {
            std::fs::read_to_string(&members).with_context(|| format!("reading {members}"))?
        }
        None => members,
    };
    let mut opts = nacos_chaos::preflight::PreflightOptions::new(&data, flavor, &text)?;
    if let Some(s) = self_addr {
        opts = opts.with_self(&s)?;
    }
    let report = nacos_chaos::preflight::preflight(&opts)?;
    if json {
        println!("{}", report.to_json()?);
    } else {
        println!("{report}");
    }
    Ok(ExitCode::from(report.exit_code().clamp(0, 255) as u8))
}

//! `run`, `matrix`, `merge`, `validate`, `preflight`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use nacos_chaos::flavor::FlavorKind;
use nacos_chaos::report::{RunRecord, stability, write_stability};
use nacos_chaos::scenario::{Case, RunOptions, Suite, expand, run_all};

use super::{EXIT_INTERRUPTED, EXIT_NOT_AS_EXPECTED};

const INTERRUPTED: &str = "interrupted: clusters are torn down by their drop guards; `nacos-chaos gc` removes anything left";

fn parse_list(s: &Option<String>) -> Option<Vec<String>> {
    s.as_ref().map(|v| {
        v.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
}

/// Load `suites` with the version overrides applied, and expand them into cases.
fn cases(
    suites: &[PathBuf],
    from: &Option<String>,
    to: &Option<String>,
    repeat: u32,
) -> Result<Vec<Case>> {
    let mut loaded = vec![];
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
        loaded.push(suite);
    }
    Ok(expand(loaded, repeat)?)
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

/// Run the cases (Ctrl-C tears down and exits), print each record, and with repeats write
/// and print the stability table. Exit 0 only when every run came out as expected and no
/// case flipped.
async fn run_and_report(
    cases: Vec<Case>,
    jobs: usize,
    repeat: u32,
    opts: RunOptions,
) -> Result<(Vec<RunRecord>, ExitCode)> {
    let results = opts.results.clone();
    let records = tokio::select! {
        r = run_all(cases, jobs, opts) => r,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("{INTERRUPTED}");
            return Ok((vec![], ExitCode::from(EXIT_INTERRUPTED)));
        }
    };
    for r in &records {
        print_record(r, &results);
    }
    let mut ok = records.iter().all(RunRecord::as_expected);
    if repeat > 1 {
        let table = stability(&records);
        let dir = results.join(format!("stability-{}", nacos_chaos::docker::new_run_id()));
        let files = write_stability(&table, &dir)?;
        for c in &table {
            println!(
                "{} [{}]: {} over {} run(s) ({} as expected)",
                c.scenario,
                c.versions,
                c.word().to_uppercase(),
                c.run_ids.len(),
                c.as_expected
            );
            for k in c.checks.iter().filter(|k| k.counts.len() > 1) {
                println!("  {:<13} flipped {} time(s)", k.check, k.flips);
            }
        }
        println!("stability: {}", files.markdown.display());
        ok &= table.iter().all(|c| !c.unstable());
    }
    let code = if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_AS_EXPECTED)
    };
    Ok((records, code))
}

/// `run SUITE`: every version pair of one suite, `repeat` times each, `jobs` at once.
#[allow(clippy::too_many_arguments)]
pub async fn run_suite(
    suite: PathBuf,
    from: Option<String>,
    to: Option<String>,
    repeat: u32,
    jobs: usize,
    results: PathBuf,
    registry: Option<String>,
    run_id: Option<String>,
) -> Result<ExitCode> {
    let cases = cases(&[suite], &from, &to, repeat)?;
    if run_id.is_some() && cases.len() != 1 {
        bail!(
            "--run-id needs a suite with exactly one version pair (use --from/--to) and no --repeat"
        );
    }
    let opts = RunOptions {
        results,
        registry,
        run_id,
    };
    Ok(run_and_report(cases, jobs, repeat, opts).await?.1)
}

/// Parse `i/n`.
fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let (i, n) = s.split_once('/').context("--shard must look like 1/4")?;
    let (i, n): (usize, usize) = (
        i.parse().context("shard index")?,
        n.parse().context("shard count")?,
    );
    Ok((i, n))
}

/// `matrix`: suites × from × to (× repeat) with bounded parallelism and sharding.
#[allow(clippy::too_many_arguments)]
pub async fn matrix(
    suites: Vec<PathBuf>,
    from: Option<String>,
    to: Option<String>,
    repeat: u32,
    jobs: usize,
    shard: Option<String>,
    results: PathBuf,
    registry: Option<String>,
) -> Result<ExitCode> {
    let all = cases(&suites, &from, &to, repeat)?;
    let total = all.len();
    let mine = match shard.as_deref().map(parse_shard).transpose()? {
        Some((i, n)) => nacos_chaos::scenario::shard(all, i, n)?,
        None => all,
    };
    println!(
        "matrix: {} of {total} cases, {jobs} in parallel",
        mine.len()
    );
    let opts = RunOptions {
        results: results.clone(),
        registry,
        run_id: None,
    };
    let (records, code) = run_and_report(mine, jobs, repeat, opts).await?;
    let dirs: Vec<PathBuf> = records.iter().map(|r| results.join(&r.run_id)).collect();
    if records.is_empty() {
        return Ok(code); // interrupted
    }
    let out = results.join(format!("matrix-{}", nacos_chaos::docker::new_run_id()));
    let merged = nacos_chaos::report::merge(&dirs, &out)?;
    println!(
        "merged: {}, {} and {}",
        merged.index.display(),
        merged.junit.display(),
        merged.summary.display()
    );
    Ok(code)
}

/// `merge DIR... --out DIR`.
pub fn merge(dirs: Vec<PathBuf>, out: PathBuf) -> Result<ExitCode> {
    let m = nacos_chaos::report::merge(&dirs, &out)?;
    println!(
        "merged {} runs into {}, {} and {}",
        m.sources.len(),
        m.index.display(),
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

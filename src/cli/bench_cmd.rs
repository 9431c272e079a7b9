//! `bench`: speed and memory figures as Markdown tables (kept in `benches/README.md`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use nacos_chaos::bench::{self, Breakdown, Figure, baseline, flips, measure, mib, outcomes, secs};
use nacos_chaos::image::BuildProfile;
use nacos_chaos::scenario::{Case, RunOptions, Suite, expand, run};

use super::EXIT_NOT_AS_EXPECTED;

/// What to measure.
#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Where each suite's wall time goes: bring-up, the holds and leader waits it declares,
    /// and the harness's overhead (goal: ≤ 10 % of wall).
    Overhead {
        /// Suites (default: rnacos-restart-control and rnacos-ip-change-all).
        suites: Vec<PathBuf>,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
    /// Cases per hour at each `--jobs` value; verdicts compared between them (a flip is a
    /// failure of the bench).
    Throughput {
        /// Suites.
        #[arg(required = true)]
        suites: Vec<PathBuf>,
        /// Comma list of job counts.
        #[arg(long, default_value = "1,2,4")]
        jobs: String,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
    /// Memory per cluster and how many clusters run at once with verdicts unchanged: the
    /// suite `K` times at `--jobs K` for each count.
    Clusters {
        /// The suite (one version pair).
        #[arg(default_value = "suites/rnacos-restart-control.toml")]
        suite: PathBuf,
        /// Comma list of cluster counts.
        #[arg(long, default_value = "1,2,4,6")]
        counts: String,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
    /// Verdicts of suites under each r-nacos build profile (repeats pooled): the `fast`
    /// profile must not move one.
    Verdicts {
        /// Suites.
        #[arg(required = true)]
        suites: Vec<PathBuf>,
        /// Comma list of build profiles.
        #[arg(long, default_value = "release,fast")]
        builds: String,
        /// Runs per case and build.
        #[arg(long, default_value_t = 2)]
        repeat: u32,
        /// Clusters at once.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
}

fn list<T: std::str::FromStr>(s: &str, what: &str) -> Result<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    let v: Result<Vec<T>> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<T>()
                .map_err(|e| anyhow::anyhow!("{what} '{x}': {e}"))
        })
        .collect();
    let v = v?;
    if v.is_empty() {
        bail!("{what}: empty list\nfix: give a comma list, e.g. 1,2,4");
    }
    Ok(v)
}

fn load(suites: &[PathBuf], repeat: u32) -> Result<Vec<Case>> {
    let loaded: Result<Vec<Suite>> = suites
        .iter()
        .map(|p| Suite::load(p).with_context(|| format!("suite {}", p.display())))
        .collect();
    Ok(expand(loaded?, repeat)?)
}

fn opts(results: &Path, what: &str) -> RunOptions {
    RunOptions {
        results: results.join(format!(
            "bench-{what}-{}",
            nacos_chaos::docker::new_run_id()
        )),
        ..Default::default()
    }
}

/// Print the table and keep it beside the runs it came from.
fn emit(title: &str, rows: &[Figure], notes: &[String], dir: &Path) -> Result<()> {
    let mut text = format!("## {title}\n\n{}", bench::table(rows));
    for n in notes {
        text += &format!("\n{n}\n");
    }
    println!("{text}");
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let file = dir.join("bench.md");
    std::fs::write(&file, &text).with_context(|| format!("write {}", file.display()))?;
    println!("(kept in {})", file.display());
    Ok(())
}

/// `bench …`.
pub async fn bench(what: BenchWhat) -> Result<ExitCode> {
    match what {
        BenchWhat::Overhead { suites, results } => overhead(suites, &results).await,
        BenchWhat::Throughput {
            suites,
            jobs,
            results,
        } => throughput(&suites, &list(&jobs, "jobs")?, &results).await,
        BenchWhat::Clusters {
            suite,
            counts,
            results,
        } => clusters(&suite, &list(&counts, "counts")?, &results).await,
        BenchWhat::Verdicts {
            suites,
            builds,
            repeat,
            jobs,
            results,
        } => verdicts(&suites, &list(&builds, "build")?, repeat, jobs, &results).await,
    }
}

async fn overhead(mut suites: Vec<PathBuf>, results: &Path) -> Result<ExitCode> {
    if suites.is_empty() {
        suites = vec![
            "suites/rnacos-restart-control.toml".into(),
            "suites/rnacos-ip-change-all.toml".into(),
        ];
    }
    let o = opts(results, "overhead");
    let (mut rows, mut notes, mut ok) = (vec![], vec![], true);
    for case in load(&suites, 1)? {
        let started = Instant::now();
        let r = run(&case.suite, &case.from, case.to.as_deref(), &o).await;
        let wall = (started.elapsed().as_millis() as u64).saturating_sub(r.provision_ms);
        let b = Breakdown::of(&r, &case.suite, wall);
        let name = &case.suite.name;
        let before = baseline::overhead_pct(name).map_or("-".into(), |p| format!("{p:.0} %"));
        rows.push(Figure::new(
            &format!("overhead, {name}"),
            &before,
            &format!("{:.0} %", b.overhead_ratio() * 100.0),
            "≤ 10 %",
        ));
        notes.push(format!(
            "{name}: wall {}, bring-up {}, declared holds and leader waits {}, overhead {}; {}",
            secs(b.wall_ms),
            secs(b.bringup_ms),
            secs(b.declared_ms),
            secs(b.overhead_ms()),
            if r.as_expected() {
                "AS EXPECTED"
            } else {
                "NOT AS EXPECTED"
            }
        ));
        ok &= r.as_expected();
    }
    emit("Scenario overhead", &rows, &notes, &o.results)?;
    Ok(code(ok))
}

async fn throughput(suites: &[PathBuf], jobs: &[usize], results: &Path) -> Result<ExitCode> {
    let o = opts(results, "throughput");
    let (mut rows, mut notes) = (vec![], vec![]);
    let mut first = None;
    let mut ok = true;
    for &j in jobs {
        let m = measure(load(suites, 1)?, j, o.clone()).await?;
        let out = outcomes(&m.records);
        let f = first.get_or_insert_with(|| out.clone());
        let moved = flips(f, &out);
        ok &= moved.is_empty() && m.all_as_expected();
        rows.push(Figure::new(
            &format!("cases per hour, --jobs {j}"),
            "-",
            &format!("{:.0}", m.per_hour()),
            "-",
        ));
        notes.push(format!(
            "--jobs {j}: {} case(s) in {}, peak containers {}, {} flip(s) against --jobs {}{}",
            m.records.len(),
            secs(m.wall.as_millis() as u64),
            mib(m.peak_container_bytes),
            moved.len(),
            jobs[0],
            moved
                .iter()
                .map(|f| format!("\n  - {f}"))
                .collect::<String>()
        ));
    }
    emit("Matrix throughput", &rows, &notes, &o.results)?;
    Ok(code(ok))
}

async fn clusters(suite: &Path, counts: &[u32], results: &Path) -> Result<ExitCode> {
    let o = opts(results, "clusters");
    let (mut rows, mut notes, mut ok) = (vec![], vec![], true);
    for &k in counts {
        let cases = load(&[suite.to_path_buf()], k)?;
        let nodes: usize = cases.iter().map(|c| c.suite.cluster.nodes).sum();
        let m = measure(cases, k as usize, o.clone()).await?;
        let per = m.peak_container_bytes / u64::from(k.max(1));
        let fine = m.all_as_expected();
        ok &= fine;
        rows.push(Figure::new(
            &format!("{k} cluster(s) at once: memory per cluster"),
            "-",
            &mib(per),
            "≥ 6 clusters in 24 GiB",
        ));
        notes.push(format!(
            "{k} at once ({nodes} nodes): peak {} for all containers, {} in {}; {}",
            mib(m.peak_container_bytes),
            m.records.len(),
            secs(m.wall.as_millis() as u64),
            if fine {
                "every run AS EXPECTED"
            } else {
                "NOT every run as expected"
            }
        ));
    }
    rows.push(Figure::new(
        "harness peak RSS (this process, all of the above)",
        &format!("{} MiB", baseline::HARNESS_RSS_MIB),
        &mib(bench::own_peak_rss()),
        "-",
    ));
    emit("Clusters at once", &rows, &notes, &o.results)?;
    Ok(code(ok))
}

async fn verdicts(
    suites: &[PathBuf],
    builds: &[BuildProfile],
    repeat: u32,
    jobs: usize,
    results: &Path,
) -> Result<ExitCode> {
    let o = opts(results, "verdicts");
    let (mut rows, mut notes) = (vec![], vec![]);
    let mut first: Option<(BuildProfile, bench::Outcomes)> = None;
    let mut ok = true;
    for &b in builds {
        BuildProfile::choose(Some(b));
        let m = measure(load(suites, repeat)?, jobs, o.clone()).await;
        BuildProfile::choose(None);
        let m = m?;
        let out = outcomes(&m.records);
        let (base, base_out) = first.get_or_insert_with(|| (b, out.clone()));
        let moved = flips(base_out, &out);
        ok &= moved.is_empty();
        rows.push(Figure::new(
            // Against itself, `flips` counts only checks that varied over the repeats.
            &if b == *base {
                format!("checks that varied over the repeats, {b} build")
            } else {
                format!("flips, {b} build against {base} (variation included)")
            },
            "-",
            &moved.len().to_string(),
            "0",
        ));
        notes.push(format!(
            "{b}: {} run(s) in {}{}",
            m.records.len(),
            secs(m.wall.as_millis() as u64),
            moved
                .iter()
                .map(|f| format!("\n  - {f}"))
                .collect::<String>()
        ));
    }
    emit("Verdicts per r-nacos build", &rows, &notes, &o.results)?;
    Ok(code(ok))
}

fn code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_AS_EXPECTED)
    }
}

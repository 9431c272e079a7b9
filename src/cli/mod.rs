//! Command-line interface. Errors are reported with anyhow at this edge.

mod bench_cmd;
mod cluster_cmd;
mod rehearse_cmd;
mod report_cmd;
mod scenario_cmd;

use std::path::PathBuf;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use nacos_chaos::flavor::{FlavorKind, IdentityMode};

/// Chaos-test Nacos clusters in local Docker: launch, upgrade, inject faults, judge.
#[derive(Debug, Parser)]
#[command(name = "nacos-chaos", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Only warnings and errors on stderr (the verdict lines on stdout stay).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// More detail on stderr (-v: debug, -vv: trace). NACOS_CHAOS_LOG overrides both.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// Cluster options shared by commands that launch one.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Server flavor: rnacos or official.
    #[arg(long, default_value = "rnacos")]
    pub flavor: FlavorKind,
    /// Server version (r-nacos: 0.8.8; official: 2.4.1).
    #[arg(long, default_value = "0.8.8")]
    pub version: String,
    /// Number of nodes (1, 3 or 5).
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Identity mode: ip or hostname.
    #[arg(long, default_value = "ip", value_parser = parse_identity)]
    pub identity: IdentityMode,
    /// Registry or mirror prefix for official images (e.g. registry.example.com).
    #[arg(long, env = "NACOS_CHAOS_REGISTRY")]
    pub registry: Option<String>,
}

fn parse_identity(s: &str) -> std::result::Result<IdentityMode, String> {
    match s {
        "ip" => Ok(IdentityMode::Ip),
        "hostname" => Ok(IdentityMode::Hostname),
        other => Err(format!("'{other}': expected ip or hostname")),
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a cluster, wait for an agreed leader, print every node's Raft view.
    Up {
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Leave the cluster running (tear it down later with `down --run <id>`).
        #[arg(long)]
        keep: bool,
        /// Use this run id instead of a fresh one (tests use it to find what a run left).
        #[arg(long, hide = true)]
        run_id: Option<String>,
        /// Deadline for the agreed leader.
        #[arg(long, default_value = "120s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Tear down a kept cluster.
    Down {
        /// Run id printed by `up --keep`.
        #[arg(long)]
        run: String,
    },
    /// Remove resources left by crashed runs: only those carrying nacos-chaos labels.
    Gc {
        /// Only this run.
        #[arg(long)]
        run: Option<String>,
        /// List, do not remove.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run a suite (every version pair) on real local clusters; write results/<run-id>/.
    Run {
        /// Suite file (TOML).
        suite: PathBuf,
        /// Override the from-versions (comma list).
        #[arg(long, env = "NACOS_CHAOS_FROM")]
        from: Option<String>,
        /// Override the to-versions (comma list).
        #[arg(long, env = "NACOS_CHAOS_TO")]
        to: Option<String>,
        /// Run each version pair N times on fresh clusters and write a stability table
        /// (a case whose verdicts flip is UNSTABLE and fails the run).
        #[arg(long, default_value_t = 1)]
        repeat: u32,
        /// Clusters running at once (with --repeat): a count, or `auto` (from cores and memory).
        #[arg(long, default_value = "1")]
        jobs: nacos_chaos::scenario::Jobs,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Registry or mirror prefix for official images.
        #[arg(long, env = "NACOS_CHAOS_REGISTRY")]
        registry: Option<String>,
        /// Run id for a single-pair run (tests use it to find what a run left).
        #[arg(long, hide = true)]
        run_id: Option<String>,
    },
    /// Run suites × from-versions × to-versions, in parallel, optionally one shard of it.
    Matrix {
        /// Suite files.
        #[arg(required = true)]
        suites: Vec<PathBuf>,
        /// Override the from-versions (comma list).
        #[arg(long, env = "NACOS_CHAOS_FROM")]
        from: Option<String>,
        /// Override the to-versions (comma list).
        #[arg(long, env = "NACOS_CHAOS_TO")]
        to: Option<String>,
        /// Run each case N times on fresh clusters and write a stability table.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
        /// Clusters running at once: a count, or `auto` (from cores and memory; see
        /// benches/README.md for the measured knee).
        #[arg(long, default_value = "auto")]
        jobs: nacos_chaos::scenario::Jobs,
        /// Run only shard i of n (e.g. 1/4) for CI fan-out.
        #[arg(long)]
        shard: Option<String>,
        /// Results root.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Registry or mirror prefix for official images.
        #[arg(long, env = "NACOS_CHAOS_REGISTRY")]
        registry: Option<String>,
    },
    /// Merge results of several runs or shards into one junit.xml and summary.md.
    Merge {
        /// Result directories (searched recursively for verdict.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Read a Raft data dir offline and say whether it will elect a leader in the target cluster.
    Preflight {
        /// Data dir (official: nacos home, its data/, protocol/raft, or one group dir; r-nacos: RNACOS_DATA_DIR).
        #[arg(long)]
        data: PathBuf,
        /// Target members: a cluster.conf file, @file, or a comma list (r-nacos: id=ip:9848).
        #[arg(long)]
        members: String,
        /// This node's own address in the target (official: ip:8848; r-nacos: id=ip:9848).
        #[arg(long = "self")]
        self_addr: Option<String>,
        /// Flavor of the data.
        #[arg(long, default_value = "official")]
        flavor: FlavorKind,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Parse, check and render suites without Docker; every error at file:line:column.
    Validate {
        /// Suite files.
        #[arg(required = true)]
        suites: Vec<PathBuf>,
        /// Print every node's rendered container (image, env, command, ports, files) for
        /// every version each suite names, as JSON on stdout.
        #[arg(long)]
        render: bool,
        /// Registry or mirror prefix for official images.
        #[arg(long, env = "NACOS_CHAOS_REGISTRY")]
        registry: Option<String>,
    },
    /// Rehearse an upgrade on your own backups: the planned change and each fix on a fresh copy.
    Rehearse(rehearse_cmd::RehearseArgs),
    /// Write report.html, summary.md and junit.xml again from a run dir's verdict.json (or a
    /// matrix/merge dir's index.html, junit.xml and summary.md from its merged.json).
    Report {
        /// Run, matrix or merge directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Measure speed and memory: scenario overhead, matrix throughput, clusters at once,
    /// verdicts per r-nacos build profile (Markdown tables; see benches/README.md).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        what: bench_cmd::BenchWhat,
    },
    /// Build (or check) the images a flavor and version need.
    Image {
        #[command(flatten)]
        cluster: ClusterArgs,
    },
}

/// Exit code of a run, matrix or merge with a check not as expected, of `validate` with an
/// invalid suite, and of `up` without an agreed leader.
pub const EXIT_NOT_AS_EXPECTED: u8 = 1;
/// Exit code of every CLI error (bad flags or arguments, unreadable input, a suite `run`
/// cannot load, no Docker engine): apart from every preflight verdict (0-4).
pub const EXIT_CLI_ERROR: u8 = 64;
/// Exit code after Ctrl-C (clusters torn down).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Logs on stderr: colour only on a terminal and never with `NO_COLOR` set; the level from
/// `-q`/`-v`, or `NACOS_CHAOS_LOG` (an `EnvFilter` directive) when set.
fn init_logging(quiet: bool, verbose: u8) {
    use std::io::IsTerminal;
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (_, 0) => "info",
        (_, 1) => "debug",
        _ => "trace",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("NACOS_CHAOS_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!("{level},bollard=warn,hyper=warn"))
        });
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
}

/// Entry point.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors.
            return ExitCode::from(if e.exit_code() == 0 {
                0
            } else {
                EXIT_CLI_ERROR
            });
        }
    };
    init_logging(cli.quiet, cli.verbose);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_CLI_ERROR);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_CLI_ERROR)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Up {
            cluster,
            keep,
            timeout,
            run_id,
        } => cluster_cmd::up(cluster, keep, timeout, run_id).await,
        Command::Down { run } => cluster_cmd::gc(Some(run), false).await,
        Command::Gc { run, dry_run } => cluster_cmd::gc(run, dry_run).await,
        Command::Image { cluster } => cluster_cmd::image(cluster).await,
        Command::Bench { what } => bench_cmd::bench(what).await,
        Command::Run {
            suite,
            from,
            to,
            repeat,
            jobs,
            results,
            registry,
            run_id,
        } => {
            scenario_cmd::run_suite(
                suite,
                from,
                to,
                repeat,
                jobs.resolve(),
                results,
                registry,
                run_id,
            )
            .await
        }
        Command::Matrix {
            suites,
            from,
            to,
            repeat,
            jobs,
            shard,
            results,
            registry,
        } => {
            let jobs = jobs.resolve();
            scenario_cmd::matrix(suites, from, to, repeat, jobs, shard, results, registry).await
        }
        Command::Merge { dirs, out } => scenario_cmd::merge(dirs, out),
        Command::Report { dirs } => report_cmd::report(dirs),
        Command::Validate {
            suites,
            render,
            registry,
        } => scenario_cmd::validate(suites, render, registry),
        Command::Preflight {
            data,
            members,
            self_addr,
            flavor,
            json,
        } => scenario_cmd::preflight(data, members, self_addr, flavor, json),
        Command::Rehearse(args) => rehearse_cmd::rehearse(args).await,
    }
}

//! `nacos-chaos rehearse`: the planned upgrade and the recommended fixes, rehearsed on the
//! user's own backups. Exit code: 0 when the planned upgrade is safe, 1 when it is not,
//! 2 on error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};

use nacos_chaos::flavor::FlavorKind;
use nacos_chaos::rehearse::{self, Change, Plan, input};

/// Arguments of `rehearse`.
#[derive(Debug, clap::Args)]
pub struct RehearseArgs {
    /// Server flavor of the backups: official or rnacos.
    #[arg(long)]
    flavor: FlavorKind,
    /// Version production runs.
    #[arg(long)]
    from: String,
    /// Version to upgrade to (default: --from, an address change only).
    #[arg(long)]
    to: Option<String>,
    /// One backup per node, comma-separated, in member order: data dirs or .tar.gz (read-only).
    #[arg(long, value_delimiter = ',', required = true)]
    data: Vec<PathBuf>,
    /// Production membership: a cluster.conf file, @file, or a comma list of addr:port.
    #[arg(long)]
    members: String,
    /// The planned address change: old=new,... (default: addresses kept).
    #[arg(long, conflicts_with = "hostnames")]
    new_addresses: Option<String>,
    /// The planned change is to hostname identity.
    #[arg(long)]
    hostnames: bool,
    /// Fixes to rehearse, each on its own copy: all, or a comma list of delete-raft-dir,
    /// rollback, keep-old-addresses (alias pin-identities), rolling, raft-reset.
    #[arg(long, default_value = "all")]
    fix: String,
    /// How long each step waits for a leader.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    leader_timeout: Duration,
    /// Production keeps configs in MySQL: only the Raft groups are rehearsed (said in the report).
    #[arg(long)]
    external_db: bool,
    /// Registry or mirror prefix for official images.
    #[arg(long, env = "NACOS_CHAOS_REGISTRY")]
    registry: Option<String>,
    /// Report directory (default results/rehearse-<unix time>).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Run the rehearsal and write its report.
pub async fn rehearse(a: RehearseArgs) -> Result<ExitCode> {
    let (text, source) = match a.members.strip_prefix('@') {
        Some(file) => (
            std::fs::read_to_string(file)
                .with_context(|| format!("reading members file {file}"))?,
            PathBuf::from(file),
        ),
        None if std::path::Path::new(&a.members).is_file() => (
            std::fs::read_to_string(&a.members)
                .with_context(|| format!("reading {}", a.members))?,
            PathBuf::from(&a.members),
        ),
        None => (a.members.clone(), PathBuf::from("--members")),
    };
    let members = input::load_members(&text, &source, a.data.len())?;
    let change = match (&a.new_addresses, a.hostnames) {
        (Some(m), _) => Change::parse_new_addresses(m)?,
        (None, true) => Change::Hostnames,
        (None, false) => Change::SameAddresses,
    };
    let mut plan = Plan::new(a.flavor, &a.from, a.data.clone(), &text, change)?;
    plan.members = members;
    plan.to = a.to.unwrap_or_else(|| a.from.clone());
    plan.fixes = rehearse::parse_fixes(&a.fix)?;
    plan.leader_timeout = a.leader_timeout;
    plan.registry = a.registry;
    plan.external_db = a.external_db;
    let report = rehearse::rehearse(&plan).await?;
    let out = a.out.unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        PathBuf::from(format!("results/rehearse-{t}"))
    });
    let files = report.write(&out)?;
    println!(
        "planned upgrade {} → {}: {}",
        plan.from,
        plan.to,
        if report.safe { "SAFE" } else { "UNSAFE" }
    );
    for (i, f) in report.fixes.iter().enumerate() {
        println!(
            "  {}. {:<20} leader {:<8} lost {}",
            i + 1,
            f.fix,
            f.leader_ms
                .map(|m| format!("{m}ms"))
                .unwrap_or_else(|| "-".into()),
            f.lost.len()
        );
    }
    for f in files {
        println!("report: {}", f.display());
    }
    Ok(ExitCode::from(report.exit_code() as u8))
}

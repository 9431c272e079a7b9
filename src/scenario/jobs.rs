//! How many clusters run at once: a number, or `auto` — picked from this machine's cores and
//! available memory.
//!
//! `auto` is `min(cores × CLUSTERS_PER_CORE, available memory / CLUSTER_MEMORY)`, at least 1.
//! The factors come from `nacos-chaos bench throughput` on a 2-core, 24 GiB machine
//! (`benches/README.md`): 123 cases/h at `--jobs 1`, 226 at 2, 290 at 4 — but at 4 a control
//! suite's verdict flipped (r-nacos's startup race under load, see the README's findings),
//! so the knee with verdicts unchanged is one cluster per core. Memory is not the bound:
//! a 3-node r-nacos cluster peaks at tens of MiB.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Clusters per core `auto` allows (the throughput knee measured in `benches/README.md`).
pub const CLUSTERS_PER_CORE: usize = 1;
/// Memory budgeted per cluster by `auto`: three r-nacos nodes at their 512 MiB limit.
pub const CLUSTER_MEMORY: u64 = 3 * 512 * 1024 * 1024;

/// `--jobs`: a count or `auto`.
///
/// ```
/// use nacos_chaos::scenario::Jobs;
/// assert_eq!("3".parse::<Jobs>().unwrap().resolve(), 3);
/// assert!("auto".parse::<Jobs>().unwrap().resolve() >= 1);
/// assert!("0".parse::<Jobs>().is_err() && "many".parse::<Jobs>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jobs {
    /// Exactly this many.
    Count(usize),
    /// From cores and memory.
    Auto,
}

impl Jobs {
    /// The number of clusters to run at once on this machine.
    pub fn resolve(self) -> usize {
        match self {
            Jobs::Count(n) => n,
            Jobs::Auto => auto_for(cores(), available_memory()),
        }
    }
}

/// `auto`'s rule for a machine with `cores` and `memory` bytes available (`None`: unknown,
/// cores decide).
///
/// ```
/// use nacos_chaos::scenario::jobs::auto_for;
/// assert_eq!(auto_for(2, Some(24 << 30)), 2);
/// assert_eq!(auto_for(8, Some(3 << 30)), 2);   // memory bound (1.5 GiB budget each)
/// assert_eq!(auto_for(1, Some(1 << 20)), 1);   // never below one
/// ```
pub fn auto_for(cores: usize, memory: Option<u64>) -> usize {
    let by_cores = cores.max(1) * CLUSTERS_PER_CORE;
    let by_memory = memory.map_or(usize::MAX, |m| (m / CLUSTER_MEMORY) as usize);
    by_cores.min(by_memory).max(1)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `MemAvailable` from `/proc/meminfo`, bytes.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

impl FromStr for Jobs {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "auto" => Ok(Jobs::Auto),
            n => match n.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Jobs::Count(n)),
                _ => Err(Error::Config(format!(
                    "--jobs '{s}' is neither a positive count nor `auto`\n  fix: use e.g. \
                     --jobs 2, or --jobs auto to pick from cores and memory"
                ))),
            },
        }
    }
}

impl fmt::Display for Jobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Jobs::Count(n) => write!(f, "{n}"),
            Jobs::Auto => f.write_str("auto"),
        }
    }
}

//! Speed and memory, measured: where a scenario's time goes, how many cases an hour the
//! machine runs at each `--jobs`, how much memory a cluster costs and how many fit at once,
//! and whether any of that — or the r-nacos build profile — changes a verdict.
//!
//! `nacos-chaos bench …` prints each figure as a Markdown table beside the figure measured
//! before the work on speed began ([`baseline`]); `benches/README.md` keeps the tables.
//!
//! ```
//! use nacos_chaos::bench::{Figure, table};
//! let rows = [Figure::new("scenario overhead, restart-control", "18 %", "7 %", "≤ 10 %")];
//! assert!(table(&rows).contains("| scenario overhead, restart-control | 18 % | 7 % | ≤ 10 % |"));
//! ```

mod memory;
mod overhead;
mod runs;

pub use memory::{PeakSampler, managed_containers_bytes, own_peak_rss, working_set};
pub use overhead::Breakdown;
pub use runs::{Measured, Outcomes, flips, measure, outcomes};

/// One row of a bench table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The figure before (see [`baseline`]), or `-`.
    pub before: String,
    /// The figure now.
    pub now: String,
    /// The goal it is held to, or `-`.
    pub goal: String,
}

impl Figure {
    /// A row.
    pub fn new(name: &str, before: &str, now: &str, goal: &str) -> Figure {
        Figure {
            name: name.into(),
            before: before.into(),
            now: now.into(),
            goal: goal.into(),
        }
    }
}

/// Render rows as a Markdown table.
pub fn table(rows: &[Figure]) -> String {
    let mut out = String::from("| figure | before | now | goal |\n|---|---|---|---|\n");
    for r in rows {
        out += &format!("| {} | {} | {} | {} |\n", r.name, r.before, r.now, r.goal);
    }
    out
}

/// Seconds with one decimal.
pub fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// Mebibytes, rounded.
pub fn mib(bytes: u64) -> String {
    format!("{} MiB", (bytes as f64 / (1024.0 * 1024.0)).round())
}

/// Figures measured before the work on speed (issue #16, fresh 2-core machine, images built
/// with the crate's own release profile). `None` where nothing was measured.
pub mod baseline {
    /// Overhead share of wall time per suite, as measured then.
    pub fn overhead_pct(suite: &str) -> Option<f64> {
        match suite {
            "rnacos-restart-control" => Some(18.0),
            "rnacos-ip-change-all" => Some(38.0),
            _ => None,
        }
    }
    /// Peak resident set of the harness on `rnacos-restart-control` (release build), MiB.
    pub const HARNESS_RSS_MIB: f64 = 17.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_one_row_per_figure_and_units_round() {
        let t = table(&[
            Figure::new("a", "1", "2", "3"),
            Figure::new("b", "-", "4", "-"),
        ]);
        assert_eq!(t.lines().count(), 4, "{t}");
        assert_eq!(secs(1_250), "1.2 s");
        assert_eq!(mib(3 * 1024 * 1024 + 600 * 1024), "4 MiB");
    }
}

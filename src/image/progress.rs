//! Progress of a long image build (an r-nacos `cargo install`: minutes on 2 cores) with a
//! known total: the number of packages in the version's own `Cargo.lock` (an upper bound —
//! platform-only crates in the lock are never compiled, so the bar finishes early rather
//! than late). On a terminal it is a bar with elapsed time and ETA; elsewhere (a CI log, a
//! file) a plain line every [`LINE_EVERY`] crates.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::info;

/// Crates between plain progress lines when stderr is not a terminal.
pub const LINE_EVERY: u64 = 25;

/// Packages in a `Cargo.lock` (its `[[package]]` tables).
///
/// ```
/// use nacos_chaos::image::lock_package_count;
/// let lock = "version = 3\n\n[[package]]\nname = \"a\"\n\n[[package]]\nname = \"b\"\n";
/// assert_eq!(lock_package_count(lock), 2);
/// ```
pub fn lock_package_count(lock: &str) -> u64 {
    lock.lines().filter(|l| l.trim() == "[[package]]").count() as u64
}

/// The `Cargo.lock` cargo unpacked for `crate_name` `version` under `cargo_home`'s registry
/// sources, if it is there yet (cargo unpacks the crate before compiling its dependencies).
pub fn find_lock(cargo_home: &Path, crate_name: &str, version: &str) -> Option<PathBuf> {
    let src = cargo_home.join("registry").join("src");
    std::fs::read_dir(src).ok()?.flatten().find_map(|index| {
        let lock = index
            .path()
            .join(format!("{crate_name}-{version}"))
            .join("Cargo.lock");
        lock.is_file().then_some(lock)
    })
}

/// `CARGO_HOME`, or `~/.cargo`.
pub fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

/// Estimated time left: the average time per crate so far, times the crates left.
///
/// ```
/// use std::time::Duration;
/// use nacos_chaos::image::eta;
/// assert_eq!(eta(Duration::from_secs(100), 50, 150), Some(Duration::from_secs(200)));
/// assert_eq!(eta(Duration::from_secs(100), 0, 150), None);
/// assert_eq!(eta(Duration::from_secs(100), 160, 150), Some(Duration::ZERO));
/// ```
pub fn eta(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    if done == 0 {
        return None;
    }
    let left = total.saturating_sub(done);
    Some(elapsed.mul_f64(left as f64 / done as f64))
}

/// One build's progress: call [`BuildProgress::compiled`] per `Compiling` line.
pub struct BuildProgress {
    what: String,
    version: String,
    started: Instant,
    done: u64,
    total: Option<u64>,
    bar: Option<ProgressBar>,
}

impl BuildProgress {
    /// Progress of building `what` (`r-nacos 0.8.8`); a bar when stderr is a terminal.
    pub fn new(what: &str, version: &str) -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} crates, ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(what.to_string());
            bar
        });
        BuildProgress {
            what: what.to_string(),
            version: version.to_string(),
            started: Instant::now(),
            done: 0,
            total: None,
            bar,
        }
    }

    /// The total, read once at the first compiled crate (cargo unpacks the crate, lock
    /// included, before it compiles anything); no lock then means no total, not a rescan
    /// of the registry on every crate.
    fn total(&mut self, crate_name: &str) -> Option<u64> {
        if self.done == 1 {
            self.total = find_lock(&cargo_home(), crate_name, &self.version)
                .and_then(|p| std::fs::read_to_string(p).ok())
                .map(|l| lock_package_count(&l))
                .filter(|n| *n > 0);
            if let (Some(t), Some(bar)) = (self.total, &self.bar) {
                bar.set_length(t);
            }
        }
        self.total
    }

    /// One more crate compiled (`line` is cargo's `Compiling x v1` line).
    pub fn compiled(&mut self, crate_name: &str, line: &str) {
        self.done += 1;
        let total = self.total(crate_name);
        if let Some(bar) = &self.bar {
            bar.set_position(self.done.min(total.unwrap_or(u64::MAX)));
            bar.set_message(line.trim().to_string());
            return;
        }
        if self.done.is_multiple_of(LINE_EVERY) {
            let elapsed = self.started.elapsed();
            let of = total.map_or(String::new(), |t| format!(" of ≤{t}"));
            let left = total
                .and_then(|t| eta(elapsed, self.done, t))
                .map_or(String::new(), |d| format!(", about {} s left", d.as_secs()));
            info!(
                "{} build: {}{of} crates in {} s{left} ({})",
                self.what,
                self.done,
                elapsed.as_secs(),
                line.trim()
            );
        }
    }

    /// The build ended (either way): clear the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_found_under_any_registry_index() {
        let home = tempfile::tempdir().unwrap();
        let dir = home
            .path()
            .join("registry/src/index.example-1234/rnacos-0.8.8");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Cargo.lock"), "[[package]]\n[[package]]\n").unwrap();
        let lock = find_lock(home.path(), "rnacos", "0.8.8").unwrap();
        assert_eq!(
            lock_package_count(&std::fs::read_to_string(lock).unwrap()),
            2
        );
        assert!(find_lock(home.path(), "rnacos", "0.7.3").is_none());
    }

    #[test]
    fn plain_progress_counts_every_crate() {
        let mut p = BuildProgress::new("r-nacos 9.9.9", "9.9.9");
        for _ in 0..30 {
            p.compiled("rnacos-never-unpacked", "Compiling x v1");
        }
        assert_eq!(p.done, 30);
        assert_eq!(p.total, None, "no lock on disk: no invented total");
        p.finish();
    }
}

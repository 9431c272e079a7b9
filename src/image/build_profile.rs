//! How r-nacos is compiled: a test subject needs its protocol, not its peak throughput.
//!
//! `fast` (the default) keeps every *semantic* setting of cargo's release profile —
//! no debug assertions, no overflow checks, panics unwind — and only drops optimisation
//! (`opt-level = 0`, 256 codegen units, no debug info). `release` is the crate's own
//! `[profile.release]` (opt-level 3; r-nacos sets nothing else: `Cargo.toml` at v0.5.13 and
//! v0.7.3 has only commented-out `opt-level`/`strip`/`lto`, v0.8.8 and v0.4.3 no section).
//!
//! Why optimisation cannot move a verdict here: r-nacos's Raft heartbeats every 1000 ms and
//! elects after 2500–5000 ms (`src/starter.rs` at v0.7.3, `Config::build("rnacos raft")`),
//! three orders of magnitude above the CPU time an unoptimised request path costs on the
//! harness's light workload. `nacos-chaos bench verdicts` re-runs the shipped suites under
//! both builds and compares their verdicts; the figures are in `benches/README.md`.
//!
//! ```
//! use nacos_chaos::image::BuildProfile;
//! let fast: BuildProfile = "fast".parse().unwrap();
//! assert_eq!(fast, BuildProfile::Fast);
//! assert!(fast.cargo_env().contains(&("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")));
//! assert!("turbo".parse::<BuildProfile>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Environment variable choosing the r-nacos build profile (`fast` or `release`).
pub const PROFILE_ENV: &str = "NACOS_CHAOS_RNACOS_BUILD";

/// How the r-nacos binary under test is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildProfile {
    /// Release semantics without optimisation: about 2.5× faster to build on two cores.
    #[default]
    Fast,
    /// The crate's own release profile, as a production user runs it.
    Release,
}

/// A profile set by the program itself (`nacos-chaos bench verdicts` switches builds
/// between batches); it wins over the environment.
static CHOSEN: std::sync::RwLock<Option<BuildProfile>> = std::sync::RwLock::new(None);

impl BuildProfile {
    /// The profile in force: one [`BuildProfile::choose`] set, else
    /// `$NACOS_CHAOS_RNACOS_BUILD`, else `fast`.
    pub fn current() -> Result<Self> {
        match CHOSEN.read().map(|c| *c) {
            Ok(Some(p)) => Ok(p),
            _ => Self::from_env(),
        }
    }

    /// Make `profile` the one in force for this process (`None`: back to the environment).
    /// Images already built are repackaged from that profile's cached binary on next use.
    pub fn choose(profile: Option<BuildProfile>) {
        if let Ok(mut c) = CHOSEN.write() {
            *c = profile;
        }
    }

    /// The profile chosen by `$NACOS_CHAOS_RNACOS_BUILD` (default `fast`).
    pub fn from_env() -> Result<Self> {
        match std::env::var(PROFILE_ENV) {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            _ => Ok(Self::default()),
        }
    }

    /// The profile's name, as it appears in cache paths and image labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Release => "release",
        }
    }

    /// Cargo settings overriding the crate's `[profile.release]` (`cargo install` builds it).
    pub fn cargo_env(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Self::Release => vec![],
            Self::Fast => vec![
                ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
                ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256"),
                ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
                ("CARGO_PROFILE_RELEASE_INCREMENTAL", "false"),
                ("CARGO_PROFILE_RELEASE_LTO", "false"),
                // Stated, not inherited, so the release semantics cannot drift:
                ("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "false"),
                ("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "false"),
            ],
        }
    }
}

impl fmt::Display for BuildProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BuildProfile {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "fast" => Ok(Self::Fast),
            "release" => Ok(Self::Release),
            other => Err(Error::Config(format!(
                "r-nacos build profile '{other}' is unknown\n  fix: set {PROFILE_ENV} to \
                 `fast` (default: release semantics, no optimisation) or `release` \
                 (the crate's own profile)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_keeps_release_semantics_and_release_changes_nothing() {
        let env = BuildProfile::Fast.cargo_env();
        assert!(env.contains(&("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "false")));
        assert!(env.contains(&("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "false")));
        assert!(BuildProfile::Release.cargo_env().is_empty());
    }

    #[test]
    fn names_round_trip_and_unknown_names_say_the_fix() {
        for p in [BuildProfile::Fast, BuildProfile::Release] {
            assert_eq!(p.name().parse::<BuildProfile>().unwrap(), p);
        }
        let err = "debug".parse::<BuildProfile>().unwrap_err().to_string();
        assert!(err.contains("fix:") && err.contains(PROFILE_ENV), "{err}");
    }
}

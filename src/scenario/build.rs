//! Suites written in Rust: the same [`Suite`] a TOML file describes, built step by step and
//! validated exactly as a file is (the builder renders it to TOML and parses that), so a
//! Rust test and a suite file cannot disagree about what is valid.

use std::collections::BTreeMap;
use std::time::Duration;

use super::suite::{ClusterSection, Step, Suite, Versions};
use crate::check::{Expectation, Status, Thresholds};
use crate::error::{Error, Result};
use crate::fault::Fault;
use crate::flavor::{ClusterMode, FlavorKind, IdentityMode};
use crate::workload::WorkloadSpec;

/// A suite under construction; [`SuiteBuilder::build`] validates it.
///
/// ```
/// use std::time::Duration;
/// use nacos_chaos::fault::{Fault, Targets};
/// use nacos_chaos::scenario::{Step, Suite};
/// let isolate = Fault::isolate(Targets::Leader);
/// let suite = Suite::rnacos("isolate-leader", "0.8.8")
///     .steps([Step::start(), Step::workload(true), Step::fault(isolate, Duration::from_secs(20))])
///     .build()
///     .unwrap();
/// assert_eq!((suite.cluster.nodes, suite.steps.len()), (3, 3));
/// let e = Suite::rnacos("even", "0.8.8").nodes(2).step(Step::start()).build().unwrap_err();
/// assert!(e.to_string().contains("expected 1, 3 or 5"), "{e}");
/// ```
#[derive(Debug, Clone)]
pub struct SuiteBuilder {
    suite: Suite,
}

impl Suite {
    /// A suite named `name` of three r-nacos nodes at `version`, without steps yet.
    pub fn rnacos(name: &str, version: &str) -> SuiteBuilder {
        Suite::builder(name, FlavorKind::RNacos, version)
    }

    /// A suite named `name` of three `flavor` nodes at `version`, without steps yet.
    pub fn builder(name: &str, flavor: FlavorKind, version: &str) -> SuiteBuilder {
        SuiteBuilder {
            suite: Suite {
                name: name.to_string(),
                description: String::new(),
                seed: 1,
                cluster: ClusterSection {
                    flavor,
                    nodes: 3,
                    identity: IdentityMode::default(),
                    mode: ClusterMode::default(),
                    tuning: BTreeMap::new(),
                    node: vec![],
                },
                versions: Versions {
                    from: vec![version.to_string()],
                    to: vec![],
                },
                workload: WorkloadSpec::default(),
                thresholds: Thresholds::default(),
                expect: BTreeMap::new(),
                steps: vec![],
                path: None,
                signatures: vec![],
            },
        }
    }
}

impl SuiteBuilder {
    /// `nodes` nodes instead of three.
    pub fn nodes(mut self, nodes: usize) -> Self {
        self.suite.cluster.nodes = nodes;
        self
    }

    /// `self` with `step` appended.
    pub fn step(mut self, step: Step) -> Self {
        self.suite.steps.push(toml::Spanned::new(0..0, step));
        self
    }

    /// `self` with `steps` appended, in order.
    pub fn steps(self, steps: impl IntoIterator<Item = Step>) -> Self {
        steps.into_iter().fold(self, SuiteBuilder::step)
    }

    /// The versions the suite names (`[versions]`; a [`super::Harness`] runs the first pair
    /// unless told otherwise).
    pub fn versions(mut self, from: &[&str], to: &[&str]) -> Self {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        self.suite.versions = Versions {
            from: owned(from),
            to: owned(to),
        };
        self
    }

    /// `check` is expected to end with `status` (default: pass).
    pub fn expect(mut self, check: &str, status: Status) -> Self {
        self.suite
            .expect
            .insert(check.to_string(), Expectation::from(status));
        self
    }

    /// The checks' thresholds.
    pub fn thresholds(mut self, thresholds: Thresholds) -> Self {
        self.suite.thresholds = thresholds;
        self
    }

    /// The workload.
    pub fn workload(mut self, workload: WorkloadSpec) -> Self {
        self.suite.workload = workload;
        self
    }

    /// The suite, validated as the same suite in a file `<name>.toml` would be.
    pub fn build(self) -> Result<Suite> {
        let name = format!("{}.toml", self.suite.name);
        let text = toml::to_string(&self.suite).map_err(|e| Error::Config(format!(
            "suite '{}' cannot be written as TOML: {e}\nfix: a suite built in Rust holds only values a suite file can hold",
            self.suite.name
        )))?;
        let mut suite = Suite::parse(&name, &text)?;
        suite.path = None;
        Ok(suite)
    }
}

impl Step {
    /// `action = "start"`: every node, the default 120 s deadline, nodes started one by one.
    pub fn start() -> Step {
        Step::Start {
            timeout: Duration::from_secs(120),
            nodes: None,
            order: None,
            stagger: None,
            may_fail: false,
        }
    }

    /// `action = "workload"`: probes on or off.
    pub fn workload(enabled: bool) -> Step {
        Step::Workload { enabled }
    }

    /// `action = "fault"` held for `duration`, then healed.
    pub fn fault(fault: Fault, duration: Duration) -> Step {
        Step::Fault {
            fault,
            duration: Some(duration),
        }
    }

    /// `action = "wait_leader"`: an agreed leader within the default 60 s, expected.
    pub fn wait_leader() -> Step {
        Step::WaitLeader {
            timeout: Duration::from_secs(60),
            expect: true,
        }
    }

    /// `action = "hold"`: let `duration` pass with the workload probing.
    pub fn hold(duration: Duration) -> Step {
        Step::Hold { duration }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each constructor is the step a suite file's bare `action` line parses to, so a Rust
    /// test and a TOML suite mean the same by `start` or `wait_leader`.
    #[test]
    fn constructors_equal_the_toml_defaults() {
        let text = "name = \"d\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n\
                    [[steps]]\naction = \"start\"\n[[steps]]\naction = \"workload\"\nenabled = true\n\
                    [[steps]]\naction = \"wait_leader\"\n[[steps]]\naction = \"hold\"\nduration = \"2s\"\n";
        let parsed = Suite::parse("d.toml", text).unwrap();
        let built = Suite::rnacos("d", "0.8.8")
            .steps([
                Step::start(),
                Step::workload(true),
                Step::wait_leader(),
                Step::hold(Duration::from_secs(2)),
            ])
            .build()
            .unwrap();
        let steps = |s: &Suite| {
            s.steps
                .iter()
                .map(|s| s.get_ref().clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(steps(&built), steps(&parsed));
        assert_eq!(built.cluster, parsed.cluster);
        assert_eq!(built.path, None);
    }

    /// A suite built in Rust is refused where the same file would be, with the same message.
    #[test]
    fn a_bad_built_suite_is_refused_like_a_file() {
        let e = Suite::rnacos("no-steps", "0.8.8").build().unwrap_err();
        assert!(e.to_string().starts_with("no-steps.toml:"), "{e}");
        let e = Suite::rnacos("x", "0.8.8")
            .nodes(4)
            .step(Step::start())
            .build()
            .unwrap_err();
        assert!(e.to_string().starts_with("x.toml:"), "{e}");
        assert!(
            e.to_string()
                .contains("cluster.nodes = 4: expected 1, 3 or 5"),
            "{e}"
        );
    }
}

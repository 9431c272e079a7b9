//! Everything a run produced, in one serialisable record: the input to every report.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::check::{Checkpoint, Expectation, Unmet, Verdict};
use crate::cluster::BootMembership;
use crate::cluster::observe::Observation;
use crate::fault::FaultWindow;
use crate::flavor::FlavorKind;
use crate::workload::{FinalRead, History};

/// Version of the verdict JSON schema (`results/<run>/verdict.json`). Records of every
/// earlier version still load (2: expectations became `{status, reason}` objects; 3 added
/// `configured_members`).
pub const SCHEMA_VERSION: u32 = 3;

/// One scenario step as executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step description (`upgrade n2 to 0.8.8`).
    pub name: String,
    /// Start, ms since run start.
    pub start_ms: u64,
    /// End, ms since run start.
    pub end_ms: u64,
    /// Did the step itself succeed (a fault applied, a node started)?
    pub ok: bool,
    /// Details or error.
    pub detail: String,
}

/// The full record of one scenario run against one version pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Schema version.
    pub schema_version: u32,
    /// Run id (labels every Docker resource of the run).
    pub run_id: String,
    /// Scenario name.
    pub scenario: String,
    /// Suite file, if any.
    pub suite_file: Option<String>,
    /// Flavor.
    pub flavor: FlavorKind,
    /// Starting version.
    pub from_version: String,
    /// Upgrade target version, if the scenario upgrades.
    pub to_version: Option<String>,
    /// Cluster size.
    pub nodes: usize,
    /// Seed of any randomised schedule.
    pub seed: u64,
    /// Wall-clock start.
    #[serde(with = "humantime_serde")]
    pub started: SystemTime,
    /// Scenario duration, ms: from bring-up to teardown (image provisioning excluded).
    pub duration_ms: u64,
    /// Time spent providing images before the scenario started (builds on first use), ms.
    #[serde(default)]
    pub provision_ms: u64,
    /// Docker engine version text.
    pub engine: String,
    /// Bring-up attempts the cluster took (r-nacos bring-up starts a cluster over with empty
    /// data when it is not fit to experiment on; 0: not brought up, or a record written
    /// before attempts were recorded).
    #[serde(default)]
    pub attempts: u32,
    /// Steps.
    pub steps: Vec<StepRecord>,
    /// Fault windows.
    pub faults: Vec<FaultWindow>,
    /// Leader waits at checkpoints.
    pub checkpoints: Vec<Checkpoint>,
    /// Raft observations over time.
    pub observations: Vec<Observation>,
    /// Client history.
    pub history: History,
    /// Reads after heal.
    pub final_reads: Vec<FinalRead>,
    /// The membership each node would boot with, read after heal (empty: not read).
    #[serde(default)]
    pub boot_memberships: Vec<BootMembership>,
    /// Why the boot memberships could not be read (the flavor keeps them; reading failed).
    #[serde(default)]
    pub boot_memberships_unread: Option<String>,
    /// Peer ids of the nodes configured as members at the end of the run (started and not
    /// scaled in), what the membership check compares the live members with.
    #[serde(default)]
    pub configured_members: Vec<String>,
    /// Each node's data dir at the end of the run.
    #[serde(default)]
    pub disk: Vec<crate::check::DiskUsage>,
    /// Verdicts.
    pub verdicts: Vec<Verdict>,
    /// Expected outcome per check (known-bad scenarios expect Fail, with its reason); a
    /// check not listed is expected to pass.
    pub expectations: BTreeMap<String, Expectation>,
    /// Runner error that aborted the scenario, if any.
    pub error: Option<String>,
    /// Collected log files, relative to the run's results directory.
    pub logs: Vec<String>,
}

impl RunRecord {
    /// What the record expects of `check` (Pass unless stated).
    pub fn expectation(&self, check: &str) -> Expectation {
        self.expectations.get(check).cloned().unwrap_or_default()
    }

    /// Checks whose verdict does not meet its expectation (Pass unless stated), each with
    /// what was wanted, what came, and why. A Skip meets only `skip` or `any`.
    ///
    /// ```
    /// use nacos_chaos::check::{Status, Verdict};
    /// let mut r = nacos_chaos::report::RunRecord::example();
    /// r.verdicts.push(Verdict { check: "durability".into(), status: Status::Skip,
    ///     summary: "no operations recorded".into(), evidence: vec![], metrics: Default::default() });
    /// let unmet = r.unmet_expectations();
    /// assert_eq!(unmet[0].why, "skipped: no operations recorded");
    /// assert!(!r.as_expected());
    /// ```
    pub fn unmet_expectations(&self) -> Vec<Unmet> {
        self.verdicts
            .iter()
            .filter_map(|v| {
                let wanted = self.expectation(&v.check);
                let why = wanted.judge(v)?;
                Some(Unmet {
                    check: v.check.clone(),
                    wanted,
                    got: v.status,
                    why,
                })
            })
            .collect()
    }

    /// The status of `check`'s verdict (`None`: the check did not run).
    ///
    /// ```
    /// use nacos_chaos::check::{Status, Verdict};
    /// let mut r = nacos_chaos::report::RunRecord::example();
    /// r.verdicts.push(Verdict { check: "leader".into(), status: Status::Pass,
    ///     summary: String::new(), evidence: vec![], metrics: Default::default() });
    /// assert_eq!(r.status_of("leader"), Some(Status::Pass));
    /// assert_eq!(r.status_of("disk"), None);
    /// ```
    pub fn status_of(&self, check: &str) -> Option<crate::check::Status> {
        self.verdicts
            .iter()
            .find(|v| v.check == check)
            .map(|v| v.status)
    }

    /// Did the scenario behave as expected (no runner error, every check as expected)?
    pub fn as_expected(&self) -> bool {
        self.error.is_none() && self.unmet_expectations().is_empty()
    }

    /// `from→to` label for reports.
    ///
    /// ```
    /// # use nacos_chaos::report::RunRecord;
    /// # let mut r: RunRecord = RunRecord::example();
    /// r.to_version = Some("0.8.8".into());
    /// assert_eq!(r.version_label(), "0.7.3→0.8.8");
    /// ```
    pub fn version_label(&self) -> String {
        match &self.to_version {
            Some(t) => format!("{}→{}", self.from_version, t),
            None => self.from_version.clone(),
        }
    }

    /// A small, empty record for examples and tests.
    pub fn example() -> Self {
        RunRecord {
            schema_version: SCHEMA_VERSION,
            run_id: "rexample".into(),
            scenario: "example".into(),
            suite_file: None,
            flavor: FlavorKind::RNacos,
            from_version: "0.7.3".into(),
            to_version: None,
            nodes: 3,
            seed: 1,
            started: SystemTime::UNIX_EPOCH,
            duration_ms: 0,
            engine: String::new(),
            attempts: 1,
            steps: vec![],
            faults: vec![],
            checkpoints: vec![],
            observations: vec![],
            history: History::default(),
            final_reads: vec![],
            boot_memberships: vec![],
            boot_memberships_unread: None,
            configured_members: vec![],
            disk: vec![],
            provision_ms: 0,
            verdicts: vec![],
            expectations: BTreeMap::new(),
            error: None,
            logs: vec![],
        }
    }
}

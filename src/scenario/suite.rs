//! The suite file model (TOML): cluster, versions, workload, thresholds, expectations and
//! steps. Parsing reports `file:line:column`, what was expected, and a hint; unknown keys
//! are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::check::{Expectation, Thresholds};
use crate::cluster::MembershipPolicy;
use crate::error::{Error, Result};
use crate::fault::{Fault, Targets};
use crate::flavor::{ClusterMode, FlavorKind, IdentityMode, SuiteSignature};
use crate::workload::WorkloadSpec;

use super::locate::{Seg, line_col, locate};

/// Cluster section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSection {
    /// Flavor.
    pub flavor: FlavorKind,
    /// Node count (1, 3, 5).
    #[serde(default = "three")]
    pub nodes: usize,
    /// Identity mode.
    #[serde(default)]
    pub identity: IdentityMode,
    /// `cluster` (default) or `standalone` (official flavor, one node: `MODE=standalone`).
    #[serde(default)]
    pub mode: ClusterMode,
    /// Flavor tuning (e.g. `election_timeout_ms = "5000"` for official Nacos).
    #[serde(default)]
    pub tuning: BTreeMap<String, String>,
    /// Per-node settings (`[[cluster.node]]`).
    #[serde(default)]
    pub node: Vec<NodeSection>,
}

pub use crate::flavor::naming::NameForm;

/// One `[[cluster.node]]` table: per-node identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// Which node (`n2`).
    pub name: String,
    /// This node's identity mode (default: the cluster's).
    #[serde(default)]
    pub identity: Option<IdentityMode>,
    /// How the node names itself.
    #[serde(default)]
    pub self_name: Option<NameForm>,
    /// How its peers list it.
    #[serde(default)]
    pub listed_as: Option<NameForm>,
}

/// What `replace` keeps of the old node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// Its name (hostname and node id), at a new address.
    #[default]
    Name,
    /// Its address, under a new name.
    Address,
}

/// What an `admin` step expects of the server's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminExpect {
    /// A successful answer (the step fails otherwise).
    #[default]
    Success,
    /// A refusal (the step fails on success).
    Failure,
    /// Either; only recorded.
    Any,
}

fn three() -> usize {
    3
}

/// Versions section: the matrix axes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// Versions the cluster starts at.
    pub from: Vec<String>,
    /// Versions upgrade steps move to (empty: the suite has no upgrade).
    #[serde(default)]
    pub to: Vec<String>,
}

/// Upgrade strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Node by node, waiting for an agreed leader after each.
    Rolling,
    /// Stop every node, start all at the new version.
    FullStop,
}

/// Upgrade order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Order {
    /// `"leader_last"` (default) or `"index"`.
    Named(String),
    /// Explicit node list.
    Nodes(Vec<String>),
}

impl Default for Order {
    fn default() -> Self {
        Order::Named("leader_last".into())
    }
}

/// One scenario step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Create and start the cluster at the from-version; wait for voters and a leader.
    Start {
        /// Bring-up deadline.
        #[serde(default = "secs120", with = "humantime_serde")]
        timeout: Duration,
        /// Only these nodes (the rest come later with `start_node`, or never).
        #[serde(default)]
        nodes: Option<Vec<String>>,
        /// The order nodes are started in (default n1, n2, ...).
        #[serde(default)]
        order: Option<Vec<String>>,
        /// Delay between node starts (`"0s"`: all at once). Without it, joining flavors
        /// start one node at a time and wait for each join.
        #[serde(default)]
        stagger: Option<String>,
        /// The cluster may fail to form: a node that never becomes healthy within the
        /// deadline is recorded for the checks instead of failing the run.
        #[serde(default)]
        may_fail: bool,
    },
    /// Create and start one node that `start` left out (it joins as configured).
    StartNode {
        /// Which node.
        node: String,
        /// Deadline for it to become a voter.
        #[serde(default = "secs60", with = "humantime_serde")]
        timeout: Duration,
    },
    /// Add a new node (the next name) with fresh data.
    ScaleOut {
        /// Deadline for it to become a voter.
        #[serde(default = "secs60", with = "humantime_serde")]
        timeout: Duration,
    },
    /// Remove a node: from the configuration only, or also from the Raft membership.
    ScaleIn {
        /// Which node.
        node: String,
        /// Also remove it from the Raft membership through the server's API.
        #[serde(default)]
        raft: bool,
    },
    /// A new node with empty data takes an old node's name or address.
    Replace {
        /// The node replaced.
        node: String,
        /// What the new node keeps.
        #[serde(default)]
        keep: Keep,
    },
    /// Call a documented operations API of the flavor and record the answer.
    Admin {
        /// The operation (official: transfer_leader, snapshot, reset_raft_cluster,
        /// remove_peer; r-nacos: change_membership, join_node).
        op: String,
        /// The node the operation is about (and, unless `via` says otherwise, sent to).
        #[serde(default)]
        node: Option<String>,
        /// What the answer must be.
        #[serde(default)]
        expect: AdminExpect,
    },
    /// Wait for an agreed leader; records a checkpoint.
    WaitLeader {
        /// Deadline.
        #[serde(default = "secs60", with = "humantime_serde")]
        timeout: Duration,
        /// Whether a leader is expected here (false in known-bad scenarios).
        #[serde(default = "yes")]
        expect: bool,
    },
    /// Turn the workload on or off.
    Workload {
        /// On or off.
        enabled: bool,
    },
    /// Upgrade (to the `to` version) or roll back (to the `from` version).
    Upgrade {
        /// Strategy.
        #[serde(default = "rolling")]
        strategy: Strategy,
        /// Order for rolling upgrades.
        #[serde(default)]
        order: Order,
        /// Only these nodes (hold a mixed-version cluster).
        #[serde(default)]
        nodes: Option<Targets>,
        /// Nodes whose IP changes as they are upgraded.
        #[serde(default)]
        ip_change: Option<Targets>,
        /// Membership servers are told after an IP change.
        #[serde(default)]
        membership: MembershipPolicy,
        /// Per-node leader wait (rolling) or overall (full stop).
        #[serde(default = "secs60", with = "humantime_serde")]
        wait: Duration,
        /// Whether a leader is expected after each node.
        #[serde(default = "yes")]
        expect_leader: bool,
        /// Roll back to the from-version instead.
        #[serde(default)]
        rollback: bool,
        /// Take each node out of the workload's rotation while it restarts and until the
        /// cluster agrees on a leader again (what a load balancer's readiness check does).
        #[serde(default)]
        drain: bool,
    },
    /// Inject a fault; with a duration it is healed after it, otherwise it stays until a
    /// `heal` step or the end of the run.
    Fault {
        /// The fault.
        fault: Fault,
        /// How long to hold it.
        #[serde(default, with = "humantime_serde::option")]
        duration: Option<Duration>,
    },
    /// Heal every active fault.
    Heal,
    /// Let time pass (the workload keeps probing).
    Hold {
        /// How long.
        #[serde(with = "humantime_serde")]
        duration: Duration,
    },
    /// Read each node's Raft data dir offline and record preflight's prediction.
    Preflight,
    /// Rehearse a planned change and fixes on a backup of this cluster (see
    /// [`crate::rehearse::suite_step`]); verdicts `rehearsal.<fix>.leader|lost`.
    Rehearse(crate::rehearse::RehearseStep),
}

fn secs60() -> Duration {
    Duration::from_secs(60)
}
fn secs120() -> Duration {
    Duration::from_secs(120)
}
fn yes() -> bool {
    true
}
fn rolling() -> Strategy {
    Strategy::Rolling
}

/// A whole suite file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Scenario name (unique across suites).
    pub name: String,
    /// What the scenario shows.
    #[serde(default)]
    pub description: String,
    /// Seed for any randomised schedule (latency jitter, loss).
    #[serde(default = "one")]
    pub seed: u64,
    /// Cluster spec.
    pub cluster: ClusterSection,
    /// Versions.
    pub versions: Versions,
    /// Workload.
    #[serde(default)]
    pub workload: WorkloadSpec,
    /// Thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Expected outcome per check (default pass): a status, or `{ status, reason }`.
    #[serde(default)]
    pub expect: BTreeMap<String, Expectation>,
    /// Steps, in order.
    pub steps: Vec<toml::Spanned<Step>>,
    /// The file it came from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// The suite's own known failure texts (`[[signatures]]`), added to the flavor's.
    #[serde(default)]
    pub signatures: Vec<SuiteSignature>,
}

fn one() -> u64 {
    1
}

const CHECKS: &[&str] = &[
    "leader",
    "availability",
    "durability",
    "convergence",
    "signatures",
    "membership",
    "disk",
];

/// Operations an `admin` step may call, per flavor.
pub const ADMIN_OPS_OFFICIAL: &[&str] = &[
    "transfer_leader",
    "snapshot",
    "reset_raft_cluster",
    "remove_peer",
];
/// Official ops whose value is one node's peer id: the step must name the node.
const ADMIN_OPS_NEED_NODE: &[&str] = &["transfer_leader", "remove_peer"];
/// r-nacos's membership API.
pub const ADMIN_OPS_RNACOS: &[&str] = &["change_membership", "join_node", "metrics"];

/// Errors inside `[[steps]]` lose their span through the tagged enum; find the failing step
/// by deserialising each one alone, then the offending key's line within it.
fn refine_step_error(text: &str) -> Option<(usize, usize)> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let steps = table.get("steps")?.as_array()?;
    let (idx, err) = steps.iter().enumerate().find_map(|(i, v)| {
        v.clone()
            .try_into::<Step>()
            .err()
            .map(|e| (i, e.to_string()))
    })?;
    let lines: Vec<&str> = text.lines().collect();
    let headers: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[steps]]")
        .map(|(i, _)| i)
        .collect();
    let start = *headers.get(idx)?;
    let end = headers.get(idx + 1).copied().unwrap_or(lines.len());
    let token = err
        .split('`')
        .nth(1)
        .or_else(|| err.split('"').nth(1))
        .or_else(|| err.split('\'').nth(1))
        .unwrap_or("");
    if !token.is_empty() {
        for (i, l) in lines.iter().enumerate().take(end).skip(start) {
            if let Some(col) = l.find(token) {
                return Some((i + 1, l[..col].chars().count() + 1));
            }
        }
    }
    Some((start + 1, 1))
}

fn hint_for(message: &str) -> String {
    if message.contains("unknown field") {
        "remove the key or fix its spelling; the expected keys are listed above".into()
    } else if message.contains("unknown variant") {
        "use one of the listed values".into()
    } else if message.contains("missing field") {
        "add the missing key".into()
    } else if message.contains("duration") || message.contains("time unit") {
        "durations look like \"30s\", \"2m\", \"500ms\"".into()
    } else {
        "see suites/README.md for the suite format".into()
    }
}

impl Suite {
    /// Parse and validate suite text; `path` is used in error messages.
    ///
    /// ```
    /// use nacos_chaos::scenario::Suite;
    /// let s = Suite::parse("x.toml", r#"
    /// name = "demo"
    /// [cluster]
    /// flavor = "rnacos"
    /// [versions]
    /// from = ["0.8.8"]
    /// [[steps]]
    /// action = "start"
    /// "#).unwrap();
    /// assert_eq!(s.cluster.nodes, 3);
    /// let e = Suite::parse("x.toml", "name = \"d\"\nbogus = 1\n").unwrap_err();
    /// assert!(e.to_string().starts_with("x.toml:2:1"));
    /// ```
    pub fn parse(path: impl AsRef<Path>, text: &str) -> Result<Suite> {
        let path = path.as_ref().to_path_buf();
        let mut suite: Suite = toml::from_str(text).map_err(|e| {
            let (line, column) = refine_step_error(text)
                .or_else(|| e.span().map(|s| line_col(text, s.start)))
                .unwrap_or((1, 1));
            let message = e.message().to_string();
            Error::Suite {
                path: path.clone(),
                line,
                column,
                hint: hint_for(&message),
                message,
            }
        })?;
        suite.path = Some(path.clone());
        suite.validate(text)?;
        Ok(suite)
    }

    /// Read and parse a suite file.
    pub fn load(path: impl AsRef<Path>) -> Result<Suite> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p).map_err(|e| Error::io("read suite", p, e))?;
        Suite::parse(p, &text)
    }

    /// An error at the deepest part of `path` found in `text` (1:1 only if none is).
    pub(crate) fn err_at(
        &self,
        text: &str,
        path: &[Seg<'_>],
        message: String,
        hint: &str,
    ) -> Error {
        let (line, column) = locate(text, path).map_or((1, 1), |s| line_col(text, s.start));
        Error::Suite {
            path: self.path.clone().unwrap_or_default(),
            line,
            column,
            message,
            hint: hint.into(),
        }
    }

    // Over 80 lines for now: one rule after another, each with the span its error points at;
    // other branches are adding rules here, so it is split after they merge (issue #10).
    fn validate(&self, text: &str) -> Result<()> {
        use Seg::{Index, Key};
        let n = self.cluster.nodes;
        if ![1, 3, 5].contains(&n) {
            return Err(self.err_at(
                text,
                &[Key("cluster"), Key("nodes")],
                format!("cluster.nodes = {n}: expected 1, 3 or 5"),
                "a Raft cluster needs an odd size",
            ));
        }
        if self.cluster.mode == ClusterMode::Standalone {
            if self.cluster.flavor != FlavorKind::Official {
                return Err(self.err_at(
                    text,
                    &[Key("cluster"), Key("mode"), Seg::Value],
                    format!(
                        "cluster.mode = \"standalone\" needs flavor = \"official\" (this suite: \"{}\")",
                        self.cluster.flavor
                    ),
                    "only official Nacos has a standalone mode (MODE=standalone)",
                ));
            }
            if n != 1 {
                return Err(self.err_at(
                    text,
                    &[Key("cluster"), Key("mode"), Seg::Value],
                    format!("cluster.mode = \"standalone\" runs one node; cluster.nodes = {n}"),
                    "set nodes = 1, or mode = \"cluster\"",
                ));
            }
        }
        if self.versions.from.is_empty() {
            return Err(self.err_at(
                text,
                &[Key("versions"), Key("from")],
                "versions.from is empty".into(),
                "list at least one version, e.g. from = [\"0.8.8\"]",
            ));
        }
        let keys: Vec<&String> = self.expect.keys().collect();
        crate::rehearse::suite_step::validate(&self.steps, &keys)
            .map_err(|(at, message, hint)| self.err_at(text, &at, message, &hint))?;
        for k in self.expect.keys() {
            if !CHECKS.contains(&k.as_str()) && crate::rehearse::verdicts::split(k).is_none() {
                return Err(self.err_at(
                    text,
                    &[Key("expect"), Key(k)],
                    format!("expect.{k}: unknown check"),
                    &format!("checks are {}", CHECKS.join(", ")),
                ));
            }
        }
        if self.workload.rate_per_node <= 0.0 || self.workload.rate_per_node > 100.0 {
            return Err(self.err_at(
                text,
                &[Key("workload"), Key("rate_per_node")],
                format!(
                    "workload.rate_per_node = {}: expected 0 < rate ≤ 100",
                    self.workload.rate_per_node
                ),
                "a few operations per second per node is plenty",
            ));
        }
        let t = &self.thresholds;
        if !(0.0..=1.0).contains(&t.min_success_ratio) {
            return Err(self.err_at(
                text,
                &[Key("thresholds"), Key("min_success_ratio")],
                format!(
                    "thresholds.min_success_ratio = {}: not within 0..=1",
                    t.min_success_ratio
                ),
                "a ratio: 0.9 means 90% of each operation kind must succeed",
            ));
        }
        for (key, w) in [
            ("during_fault", &t.during_fault),
            ("after_heal", &t.after_heal),
        ] {
            if let Some(r) = w.as_ref().and_then(|w| w.min_success_ratio)
                && !(0.0..=1.0).contains(&r)
            {
                return Err(self.err_at(
                    text,
                    &[Key("thresholds"), Key(key), Key("min_success_ratio")],
                    format!("thresholds.{key}.min_success_ratio = {r}: not within 0..=1"),
                    "a ratio: 0.5 means half of each operation kind must succeed in that window",
                ));
            }
        }
        if t.max_data_bytes == Some(0) {
            return Err(self.err_at(
                text,
                &[Key("thresholds"), Key("max_data_bytes")],
                "thresholds.max_data_bytes must be > 0".into(),
                "a bound on each node's data dir, e.g. 67108864 (64 MiB)",
            ));
        }
        if t.max_time_to_leader_ms == 0 {
            return Err(self.err_at(
                text,
                &[Key("thresholds"), Key("max_time_to_leader_ms")],
                "thresholds.max_time_to_leader_ms must be > 0".into(),
                "no election is instant; the default is 30000",
            ));
        }
        // `sdk = true` in a build without the SDK probe is an error, never silently ignored.
        self.workload.validate()?;
        // Faults may come before `start` (active while the nodes boot); then `start`.
        let first = self
            .steps
            .iter()
            .position(|s| !matches!(s.get_ref(), Step::Fault { .. }));
        match first.map(|i| (i, self.steps[i].get_ref())) {
            Some((_, Step::Start { .. })) => {}
            other => {
                let i = other.map_or(0, |(i, _)| i);
                return Err(self.err_at(
                    text,
                    &[Key("steps"), Index(i), Key("action")],
                    "the first step must be `action = \"start\"` (only `fault` steps may come before it)".into(),
                    "add [[steps]] action = \"start\" first",
                ));
            }
        }
        let start_at = first.unwrap_or(0);
        self.validate_nodes(text)?;
        self.validate_membership_steps(text)?;
        for (i, s) in self.steps.iter().enumerate() {
            let at = |rest: &[Seg<'static>]| -> Vec<Seg<'static>> {
                let mut p = vec![Key("steps"), Index(i)];
                p.extend_from_slice(rest);
                p
            };
            match s.get_ref() {
                Step::Start { .. } if i != start_at => {
                    return Err(self.err_at(
                        text,
                        &at(&[Key("action")]),
                        "`start` may only be the first step".into(),
                        "use `fault` with kind = \"restart\" to restart nodes",
                    ));
                }
                Step::Upgrade {
                    rollback: false, ..
                } if self.versions.to.is_empty() => {
                    return Err(self.err_at(
                        text,
                        &at(&[Key("action")]),
                        "an upgrade step needs versions.to".into(),
                        "add to = [\"<version>\"] under [versions]",
                    ));
                }
                Step::Upgrade {
                    order,
                    nodes,
                    ip_change,
                    ..
                } => {
                    self.check_order(text, order, &at(&[Key("order")]))?;
                    for (key, t) in [("nodes", nodes), ("ip_change", ip_change)] {
                        if let Some(t) = t {
                            self.check_targets(text, t, &at(&[Key(key)]))?;
                        }
                    }
                }
                Step::Fault {
                    fault,
                    duration: Some(_),
                } if fault.is_instant() => {
                    return Err(self.err_at(
                        text,
                        &at(&[Key("duration")]),
                        format!(
                            "fault '{}' happens at once; a duration makes no sense",
                            fault.kind()
                        ),
                        "remove `duration`",
                    ));
                }
                Step::Fault { fault, duration } if i < start_at => {
                    self.check_fault(text, fault, &at(&[Key("fault")]))?;
                    if fault.boot_targets().is_none() {
                        return Err(self.err_at(
                            text,
                            &at(&[Key("fault"), Key("kind")]),
                            format!("fault '{}' cannot be active while the nodes boot", fault.kind()),
                            "before start: latency (without peers), loss, bandwidth or dns, on named nodes, e.g. nodes = [\"n3\"]",
                        ));
                    }
                    if duration.is_some() {
                        return Err(self.err_at(
                            text,
                            &at(&[Key("duration")]),
                            "a fault before start stays until a `heal` step or the end".into(),
                            "remove `duration`; add a heal step after start",
                        ));
                    }
                }
                Step::Fault { fault, .. } => {
                    self.check_fault(text, fault, &at(&[Key("fault")]))?;
                }
                _ => {}
            }
        }
        self.validate_signatures(text)
    }

    /// `[[signatures]]`: each well formed (regex compiles, source `api` or `log`), names
    /// unique and distinct from the flavor's catalogue ids.
    fn validate_signatures(&self, text: &str) -> Result<()> {
        let flavor: Vec<String> = crate::flavor::for_kind(self.cluster.flavor)
            .signatures()
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for (i, s) in self.signatures.iter().enumerate() {
            let at = [Seg::Key("signatures"), Seg::Index(i), Seg::Key("name")];
            let bad = |message: String, hint: &str| Err(self.err_at(text, &at, message, hint));
            if let Err(e) = s.validate() {
                return bad(e, "see [[signatures]] in suites/README.md");
            }
            if flavor.contains(&s.name) || !seen.insert(s.name.as_str()) {
                return bad(
                    format!("signature name '{}' is already used", s.name),
                    "give each signature a name of its own (the flavor's ids are taken too)",
                );
            }
        }
        Ok(())
    }

    /// A node name (`n2`) that exists among `known` nodes; its index.
    fn check_name(&self, text: &str, name: &str, known: usize, at: &[Seg<'_>]) -> Result<usize> {
        let mut p = at.to_vec();
        p.push(Seg::Value);
        let idx = crate::fault::Targets::node_index(name)
            .map_err(|e| self.err_at(text, &p, e, "name nodes n1, n2, ..."))?;
        if idx == 0 || idx > known {
            return Err(self.err_at(
                text,
                &p,
                format!("{name} does not exist here ({known} node(s) at this step)"),
                &format!("nodes are n1..n{known} (cluster.nodes, plus one per earlier scale_out)"),
            ));
        }
        Ok(idx)
    }

    /// A list of node names: each exists and is named once.
    fn check_names(
        &self,
        text: &str,
        list: &[String],
        known: usize,
        at: &[Seg<'_>],
    ) -> Result<Vec<usize>> {
        let mut seen = Vec::new();
        for (j, name) in list.iter().enumerate() {
            let mut p = at.to_vec();
            p.push(Seg::Index(j));
            let idx = self.check_name(text, name, known, &p)?;
            if seen.contains(&idx) {
                return Err(self.err_at(
                    text,
                    &p,
                    format!("{name} is listed twice"),
                    "name each node once",
                ));
            }
            seen.push(idx);
        }
        Ok(seen)
    }

    /// `[[cluster.node]]`: each names an existing node, once.
    fn validate_nodes(&self, text: &str) -> Result<()> {
        let mut seen = Vec::new();
        for (j, n) in self.cluster.node.iter().enumerate() {
            let at = [
                Seg::Key("cluster"),
                Seg::Key("node"),
                Seg::Index(j),
                Seg::Key("name"),
            ];
            let idx = self.check_name(text, &n.name, self.cluster.nodes, &at)?;
            if seen.contains(&idx) {
                return Err(self.err_at(
                    text,
                    &at,
                    format!("[[cluster.node]] {} appears twice", n.name),
                    "one [[cluster.node]] table per node",
                ));
            }
            seen.push(idx);
        }
        Ok(())
    }

    /// Bring-up, membership and admin steps, with the node count as steps change it.
    // Over 80 lines for now: one arm per step that changes the node count, threaded through
    // one running count; other branches are adding step arms here, so it is split after
    // they merge.
    fn validate_membership_steps(&self, text: &str) -> Result<()> {
        use Seg::{Index, Key};
        let mut known = self.cluster.nodes;
        let mut started: Vec<usize> = (1..=known).collect();
        for (i, s) in self.steps.iter().enumerate() {
            let at = |k: &'static str| vec![Key("steps"), Index(i), Key(k)];
            match s.get_ref() {
                Step::Start {
                    nodes,
                    order,
                    stagger,
                    ..
                } => {
                    if let Some(list) = nodes {
                        started = self.check_names(text, list, known, &at("nodes"))?;
                        if started.is_empty() {
                            return Err(self.err_at(
                                text,
                                &at("nodes"),
                                "start: `nodes` is empty".into(),
                                "start at least one node",
                            ));
                        }
                    }
                    if let Some(list) = order {
                        let idx = self.check_names(text, list, known, &at("order"))?;
                        for (j, k) in idx.iter().enumerate() {
                            if !started.contains(k) {
                                let mut p = at("order");
                                p.push(Index(j));
                                return Err(self.err_at(
                                    text,
                                    &p,
                                    format!("start order names n{k}, which this start does not start"),
                                    "list only nodes from `nodes` (the others come with start_node)",
                                ));
                            }
                        }
                    }
                    if let Some(st) = stagger
                        && humantime::parse_duration(st).is_err()
                    {
                        let mut p = at("stagger");
                        p.push(Seg::Value);
                        return Err(self.err_at(
                            text,
                            &p,
                            format!("stagger = {st:?}: not a duration"),
                            "a delay between node starts, e.g. \"2s\" or \"500ms\"; \"0s\" starts all at once",
                        ));
                    }
                }
                Step::StartNode { node, .. } => {
                    let idx = self.check_name(text, node, known, &at("node"))?;
                    if started.contains(&idx) {
                        return Err(self.err_at(
                            text,
                            &at("node"),
                            format!("start_node: {node} is already started"),
                            "start_node starts a node `start` left out (start.nodes)",
                        ));
                    }
                    started.push(idx);
                }
                Step::ScaleOut { .. } => {
                    known += 1;
                    started.push(known);
                }
                Step::ScaleIn { node, .. } => {
                    let idx = self.check_name(text, node, known, &at("node"))?;
                    started.retain(|k| *k != idx);
                }
                Step::Replace { node, keep } => {
                    let idx = self.check_name(text, node, known, &at("node"))?;
                    if *keep == Keep::Address {
                        // A new node (the next name) takes the old one's address.
                        started.retain(|k| *k != idx);
                        known += 1;
                        started.push(known);
                    }
                }
                Step::Admin { op, node, .. } => {
                    let ops = match self.cluster.flavor {
                        FlavorKind::Official => ADMIN_OPS_OFFICIAL,
                        FlavorKind::RNacos => ADMIN_OPS_RNACOS,
                    };
                    if !ops.contains(&op.as_str()) {
                        let mut p = at("op");
                        p.push(Seg::Value);
                        return Err(self.err_at(
                            text,
                            &p,
                            format!(
                                "admin op {op:?} is not an operation of flavor {}",
                                self.cluster.flavor
                            ),
                            &format!("ops of {} are {}", self.cluster.flavor, ops.join(", ")),
                        ));
                    }
                    if let Some(n) = node {
                        self.check_name(text, n, known, &at("node"))?;
                    } else if ADMIN_OPS_NEED_NODE.contains(&op.as_str())
                        && self.cluster.flavor == FlavorKind::Official
                    {
                        return Err(self.err_at(
                            text,
                            &at("op"),
                            format!("admin op {op:?} is about one node and none is named"),
                            "add node = \"n2\" (the new leader, or the peer to remove)",
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// An upgrade `order`: a known name, or each node once, each one that exists.
    fn check_order(&self, text: &str, order: &Order, at: &[Seg<'_>]) -> Result<()> {
        let with = |rest: Seg<'static>| -> Vec<Seg<'_>> {
            let mut p = at.to_vec();
            p.push(rest);
            p
        };
        match order {
            Order::Named(s) if s == "leader_last" || s == "index" => Ok(()),
            Order::Named(other) => Err(self.err_at(
                text,
                &with(Seg::Value),
                format!("upgrade order '{other}': expected leader_last, index, or a node list"),
                "e.g. order = [\"n2\", \"n3\", \"n1\"]",
            )),
            Order::Nodes(list) => {
                let mut seen = Vec::new();
                for (j, name) in list.iter().enumerate() {
                    let idx = crate::fault::Targets::node_index(name).map_err(|e| {
                        self.err_at(text, &with(Seg::Index(j)), e, "name nodes n1, n2, ...")
                    })?;
                    self.check_node(text, idx, &with(Seg::Index(j)))?;
                    if seen.contains(&idx) {
                        return Err(self.err_at(
                            text,
                            &with(Seg::Index(j)),
                            format!("upgrade order: {name} is listed twice"),
                            "name each node once",
                        ));
                    }
                    seen.push(idx);
                }
                Ok(())
            }
        }
    }

    fn check_node(&self, text: &str, idx: usize, at: &[Seg<'_>]) -> Result<()> {
        let n = self.cluster.nodes;
        if idx > n {
            return Err(self.err_at(
                text,
                at,
                format!("n{idx} does not exist in a {n}-node cluster"),
                &format!("nodes are n1..n{n} (cluster.nodes = {n})"),
            ));
        }
        Ok(())
    }

    /// Named targets exist (selectors are resolved at run time).
    fn check_targets(&self, text: &str, t: &crate::fault::Targets, at: &[Seg<'_>]) -> Result<()> {
        if let crate::fault::Targets::Nodes(v) = t {
            for (j, idx) in v.iter().enumerate() {
                let mut p = at.to_vec();
                p.push(Seg::Index(j));
                self.check_node(text, *idx, &p)?;
            }
        }
        Ok(())
    }

    /// A target that must resolve to exactly one node.
    fn check_single(&self, text: &str, t: &crate::fault::Targets, at: &[Seg<'_>]) -> Result<()> {
        use crate::fault::Targets;
        self.check_targets(text, t, at)?;
        let n = self.cluster.nodes;
        let count = match t {
            Targets::Leader | Targets::OneFollower => 1,
            Targets::Nodes(v) => v.len(),
            Targets::All => n,
            Targets::Followers => n - 1,
            Targets::Majority => n / 2 + 1,
            Targets::Minority => n / 2,
        };
        if count != 1 {
            return Err(self.err_at(
                text,
                at,
                format!("{t:?} is {count} node(s) here; this fault needs exactly one node"),
                "name one node, e.g. node = \"n1\", or \"leader\"",
            ));
        }
        Ok(())
    }

    /// Check a fault against its own rules ([`Fault::rules`]), pointing at the key at fault.
    fn check_fault(&self, text: &str, fault: &Fault, at: &[Seg<'_>]) -> Result<()> {
        use crate::fault::Rule;
        let path = |keys: &[&'static str], value: bool| -> Vec<Seg<'_>> {
            let mut p = at.to_vec();
            p.extend(keys.iter().map(|k| Seg::Key(k)));
            p.extend(value.then_some(Seg::Value));
            p
        };
        for rule in fault.rules(self.cluster.nodes) {
            match rule {
                Rule::Targets(keys, t) => self.check_targets(text, t, &path(&keys, false))?,
                Rule::Single(keys, t) => self.check_single(text, t, &path(&keys, false))?,
                Rule::Invalid(i) => {
                    return Err(self.err_at(text, &path(&i.at, i.value), i.message, &i.fix));
                }
            }
        }
        Ok(())
    }

    /// What this suite asks for that the harness cannot run yet for its flavor (it
    /// validates, but a run refuses it up front with this reason), or `None`.
    ///
    /// ```
    /// use nacos_chaos::scenario::Suite;
    /// let s = Suite::parse("x.toml", "name = \"d\"\n[cluster]\nflavor = \"official\"\n\
    ///     [versions]\nfrom = [\"2.4.1\"]\n[[steps]]\naction = \"start\"\n\
    ///     [[steps]]\naction = \"admin\"\nop = \"snapshot\"\n").unwrap();
    /// assert!(s.not_implemented().is_none());
    /// ```
    pub fn not_implemented(&self) -> Option<String> {
        let flavor = self.cluster.flavor;
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            match s.get_ref() {
                Step::Fault { .. }
                    if flavor == FlavorKind::Official
                        && !self.steps[..i]
                            .iter()
                            .any(|s| matches!(s.get_ref(), Step::Start { .. })) =>
                {
                    return Some(format!(
                        "step {n}: a fault active while the nodes boot on the official flavor"
                    ));
                }
                Step::Admin { op, .. } if op == "join_node" => {
                    return Some(format!("step {n}: admin op join_node"));
                }
                _ => {}
            }
        }
        None
    }

    /// `versions.from` or `versions.to`.
    pub(crate) fn versions_named(&self, role: &str) -> &[String] {
        if role == "to" {
            &self.versions.to
        } else {
            &self.versions.from
        }
    }

    /// Every (from, to) version pair of this suite.
    pub fn pairs(&self) -> Vec<(String, Option<String>)> {
        let mut out = vec![];
        for f in &self.versions.from {
            if self.versions.to.is_empty() {
                out.push((f.clone(), None));
            }
            for t in &self.versions.to {
                out.push((f.clone(), Some(t.clone())));
            }
        }
        out
    }
}

//! Checks: pure functions from history and observations to verdicts. No Docker here.
//!
//! Each check is one unit with its thresholds and the evidence behind its verdict:
//!
//! - [`leader()`] — a leader at every checkpoint within the bound, never two leaders in one
//!   term of one Raft epoch, terms monotonic per node (except once, where a fault that
//!   resets Raft state opens a new epoch);
//! - [`availability()`] — success ratio and longest outage per operation kind;
//! - [`durability()`] — every acknowledged write readable from every node after heal, no
//!   phantom values;
//! - [`convergence()`] — after heal, nodes agree on membership and on content;
//! - [`signatures()`] — no known failure text in API errors or node logs;
//! - [`membership()`] — per Raft group, the live members equal the configured node set on
//!   every node.
//!
//! Each is also a [`Check`] (a type with a name and a verdict over a [`CheckInput`]);
//! [`Compose`] runs a list of them, and [`all`] runs the standard list.

mod availability;
mod availability_window;
mod compose;
mod convergence;
mod disk;
mod durability;
mod expect;
mod leader;
mod membership;
mod model;
pub mod restart_safety;
mod signatures;
#[cfg(test)]
pub(crate) mod testkit;
mod upgrade_state;

use std::collections::BTreeMap;

pub use availability::availability;
pub use availability_window::availability_in;
pub use compose::{
    Availability, Check, Compose, Convergence, Disk, Durability, Leader, Membership, Signatures,
};
pub use convergence::convergence;
pub use disk::{DiskUsage, disk, tar_usage};
pub use durability::durability;
pub use expect::{Expectation, Reason, Unmet, Wanted};
pub use leader::leader;
pub use membership::membership;
pub use model::{Checkpoint, Evidence, NodeLog, Status, Thresholds, Verdict, WindowThresholds};
pub use signatures::{
    SignatureMatch, SignatureScope, log_line_time, matches, matches_at, run_epoch, signatures,
    signatures_in, signatures_tolerating,
};
pub use upgrade_state::upgrade_agreement;

use crate::fault::FaultWindow;
use crate::flavor::Signature;
use crate::record::{BootMembership, FinalRead, History, Observation, OpKind};

/// Everything the checks read, borrowed from a run record.
///
/// ```
/// use nacos_chaos::check::{self, CheckInput, Thresholds};
/// use nacos_chaos::workload::History;
/// let history = History::default();
/// let thresholds = Thresholds::default();
/// let input = CheckInput {
///     history: &history,
///     final_reads: &[],
///     boot_memberships: &[],
///     boot_unread: None,
///     observations: &[],
///     checkpoints: &[],
///     faults: &[],
///     logs: &[],
///     catalog: &[],
///     thresholds: &thresholds,
///     configured: &[],
///     disk: &[],
/// };
/// assert_eq!(check::all(&input).len(), 6);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CheckInput<'a> {
    /// Every client operation of the run.
    pub history: &'a History,
    /// What each node returned per key after heal.
    pub final_reads: &'a [FinalRead],
    /// Raft observations, in any order (checks sort by `at_ms`).
    pub observations: &'a [Observation],
    /// Leader waits at scenario checkpoints.
    pub checkpoints: &'a [Checkpoint],
    /// Faults applied during the run. The runner adds its bring-up and upgrade steps as
    /// windows of kind `bring_up` / `upgrade` without targets (they restart nodes as a restart
    /// fault does): the signatures check excuses transient texts inside them, and no rule
    /// keyed on a fault kind or target matches them.
    pub faults: &'a [FaultWindow],
    /// Collected node logs.
    pub logs: &'a [NodeLog],
    /// The membership each node would boot with, read after heal (empty: not read).
    pub boot_memberships: &'a [BootMembership],
    /// Why the boot memberships could not be read, when the flavor keeps them but reading
    /// failed: restart safety is then not judged, and convergence cannot pass.
    pub boot_unread: Option<&'a str>,
    /// Known failure texts of the flavor under test.
    pub catalog: &'a [Signature],
    /// Thresholds.
    pub thresholds: &'a Thresholds,
    /// Peer ids of the nodes the run configured as members at its end (started and not
    /// scaled in); empty: not recorded, membership not judged.
    pub configured: &'a [String],
    /// Each node's data dir at the end of the run (judged only with
    /// `thresholds.max_data_bytes`).
    pub disk: &'a [DiskUsage],
}

impl<'a> CheckInput<'a> {
    /// An input with `history` and `thresholds` and nothing else recorded; fill the rest
    /// with struct update syntax (`CheckInput { observations: &obs, ..CheckInput::empty(..) }`).
    ///
    /// ```
    /// use nacos_chaos::check::{CheckInput, Thresholds};
    /// use nacos_chaos::record::History;
    /// let (history, thresholds) = (History::default(), Thresholds::default());
    /// let input = CheckInput::empty(&history, &thresholds);
    /// assert!(input.observations.is_empty() && input.boot_unread.is_none());
    /// ```
    pub fn empty(history: &'a History, thresholds: &'a Thresholds) -> Self {
        CheckInput {
            history,
            final_reads: &[],
            observations: &[],
            checkpoints: &[],
            faults: &[],
            logs: &[],
            boot_memberships: &[],
            boot_unread: None,
            catalog: &[],
            thresholds,
            configured: &[],
            disk: &[],
        }
    }
}

/// Run every check, in the order leader, availability, durability, convergence, signatures,
/// membership, and disk where `thresholds.max_data_bytes` is set.
///
/// ```
/// use nacos_chaos::check::{self, CheckInput, Status, Thresholds};
/// use nacos_chaos::workload::History;
/// let (history, thresholds) = (History::default(), Thresholds::default());
/// let input = CheckInput { history: &history, final_reads: &[], boot_memberships: &[],
///     boot_unread: None, observations: &[], checkpoints: &[], faults: &[], logs: &[], catalog: &[], thresholds: &thresholds,
///     configured: &[], disk: &[] };
/// let verdicts = check::all(&input);
/// let names: Vec<&str> = verdicts.iter().map(|v| v.check.as_str()).collect();
/// assert_eq!(names, ["leader", "availability", "durability", "convergence", "signatures", "membership"]);
/// // Nothing recorded: nothing is claimed.
/// assert!(verdicts.iter().all(|v| v.status == Status::Skip));
/// ```
pub fn all(input: &CheckInput<'_>) -> Vec<Verdict> {
    Compose::standard(input.thresholds).verdicts(input)
}

/// The snake_case name of an operation kind, as serialized (`publish_config`).
pub(crate) fn kind_name(kind: OpKind) -> &'static str {
    match kind {
        OpKind::RegisterPersistent => "register_persistent",
        OpKind::RegisterEphemeral => "register_ephemeral",
        OpKind::Deregister => "deregister",
        OpKind::ListInstances => "list_instances",
        OpKind::PublishConfig => "publish_config",
        OpKind::GetConfig => "get_config",
    }
}

/// A verdict from its parts.
pub(crate) fn verdict(
    check: &str,
    status: Status,
    summary: impl Into<String>,
    evidence: Vec<Evidence>,
    metrics: BTreeMap<String, f64>,
) -> Verdict {
    Verdict {
        check: check.to_string(),
        status,
        summary: summary.into(),
        evidence,
        metrics,
    }
}

/// A Skip verdict with its reason and no evidence.
pub(crate) fn skip(check: &str, reason: impl Into<String>) -> Verdict {
    verdict(check, Status::Skip, reason, Vec::new(), BTreeMap::new())
}

/// Evidence with every field.
pub(crate) fn evidence(
    text: impl Into<String>,
    node: Option<&str>,
    at_ms: Option<u64>,
    source: Option<String>,
) -> Evidence {
    Evidence {
        text: text.into(),
        node: node.map(str::to_string),
        at_ms,
        source,
    }
}

/// [`crate::record::clip`], under its old name.
pub fn clip_pub(s: &str, max: usize) -> String {
    crate::record::clip(s, max)
}

pub(crate) use crate::record::clip;

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(OpKind::RegisterPersistent)]
    #[case(OpKind::RegisterEphemeral)]
    #[case(OpKind::Deregister)]
    #[case(OpKind::ListInstances)]
    #[case(OpKind::PublishConfig)]
    #[case(OpKind::GetConfig)]
    fn kind_name_matches_serde(#[case] kind: OpKind) {
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind_name(kind)));
    }

    #[test]
    fn clip_keeps_short_and_cuts_long() {
        assert_eq!(clip("  abc ", 10), "abc");
        let long = "é".repeat(50);
        let c = clip(&long, 10);
        assert_eq!(c.chars().count(), 10);
        assert!(c.ends_with('…'));
    }

    #[test]
    fn all_runs_every_check_and_each_fires_on_a_bad_run() {
        use crate::check::testkit::{failed_read, hist, node, obs, publish, view};
        use crate::flavor::{self, FlavorKind, Role};
        use crate::record::Outcome;

        let mut bad = publish("n1", "k", "v1", 100, 200, Outcome::Fail);
        bad.error = Some("unknown the raft leader addr!".into());
        let history = hist(vec![publish("n1", "k", "v1", 0, 10, Outcome::Ok), bad]);
        let final_reads = [failed_read("n1", OpKind::GetConfig, "k", "timeout")];
        let m: &[&str] = &["1", "2"];
        let observations = [obs(
            5,
            vec![
                node(1, vec![view("g", Role::Leader, Some(1), Some("1"), m)]),
                node(2, vec![view("g", Role::Leader, Some(1), Some("2"), &["2"])]),
            ],
        )];
        let catalog = flavor::for_kind(FlavorKind::RNacos).signatures();
        let thresholds = Thresholds::default();
        let input = CheckInput {
            history: &history,
            final_reads: &final_reads,
            boot_memberships: &[],
            boot_unread: None,
            observations: &observations,
            checkpoints: &[],
            faults: &[],
            logs: &[],
            catalog: &catalog,
            thresholds: &thresholds,
            configured: &["1".to_string(), "2".to_string()],
            disk: &[],
        };
        let verdicts = all(&input);
        for v in &verdicts {
            assert_eq!(v.status, Status::Fail, "{v:?}");
        }
    }
}

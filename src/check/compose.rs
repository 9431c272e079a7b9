//! The [`Check`] trait and [`Compose`], a list of checks run as one (Jepsen's `compose`):
//! a new check is one type implementing [`Check`] and one line in [`Compose::standard`].

use super::{CheckInput, SignatureScope, Verdict};

/// One check: a name and a pure verdict over what a run recorded.
///
/// ```
/// use nacos_chaos::check::{self, Check, CheckInput, Compose, Status, Thresholds, Verdict};
/// use nacos_chaos::record::History;
///
/// /// Fails any run with more than `max` operations.
/// struct AtMost(usize);
/// impl Check for AtMost {
///     fn name(&self) -> &'static str { "at_most" }
///     fn verdict(&self, input: &CheckInput<'_>) -> Verdict {
///         let n = input.history.ops.len();
///         let status = if n <= self.0 { Status::Pass } else { Status::Fail };
///         Verdict { check: self.name().into(), status, summary: format!("{n} ops"),
///                   evidence: vec![], metrics: Default::default() }
///     }
/// }
/// let (history, thresholds) = (History::default(), Thresholds::default());
/// let input = CheckInput::empty(&history, &thresholds);
/// let verdicts = Compose::new().with(check::Durability).with(AtMost(0)).verdicts(&input);
/// assert_eq!(verdicts[1].status, Status::Pass);
/// assert_eq!(verdicts.iter().map(|v| v.check.as_str()).collect::<Vec<_>>(), ["durability", "at_most"]);
/// ```
pub trait Check: Send + Sync {
    /// The check's name, as its verdict carries it (`leader`).
    fn name(&self) -> &'static str;
    /// The verdict over `input`. A check with nothing to judge returns a Skip with its reason.
    fn verdict(&self, input: &CheckInput<'_>) -> Verdict;
}

/// Checks run in order over one input, one verdict each.
#[derive(Default)]
pub struct Compose {
    checks: Vec<Box<dyn Check>>,
}

impl std::fmt::Debug for Compose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.checks.iter().map(|c| c.name()))
            .finish()
    }
}

impl Compose {
    /// No checks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `self` followed by `check`.
    pub fn with(mut self, check: impl Check + 'static) -> Self {
        self.checks.push(Box::new(check));
        self
    }

    /// The checks every run gets: leader, availability, durability, convergence, signatures,
    /// membership, and disk where `thresholds.max_data_bytes` sets a bound.
    ///
    /// ```
    /// use nacos_chaos::check::{Compose, Thresholds};
    /// let mut t = Thresholds::default();
    /// assert_eq!(Compose::standard(&t).names().len(), 6);
    /// t.max_data_bytes = Some(1 << 30);
    /// assert_eq!(Compose::standard(&t).names().last(), Some(&"disk"));
    /// ```
    pub fn standard(thresholds: &super::Thresholds) -> Self {
        let checks = Compose::new()
            .with(Leader)
            .with(Availability)
            .with(Durability)
            .with(Convergence)
            .with(Signatures)
            .with(Membership);
        // Disk growth is judged only where the suite sets a bound.
        match thresholds.max_data_bytes {
            Some(max) => checks.with(Disk { max_bytes: max }),
            None => checks,
        }
    }

    /// The checks' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.checks.iter().map(|c| c.name()).collect()
    }

    /// Every check's verdict over `input`, in order.
    pub fn verdicts(&self, input: &CheckInput<'_>) -> Vec<Verdict> {
        self.checks.iter().map(|c| c.verdict(input)).collect()
    }
}

/// [`super::leader()`]: a leader at every checkpoint, one leader per term and epoch.
#[derive(Debug, Clone, Copy)]
pub struct Leader;
impl Check for Leader {
    fn name(&self) -> &'static str {
        "leader"
    }
    fn verdict(&self, i: &CheckInput<'_>) -> Verdict {
        super::leader(i.checkpoints, i.observations, i.faults, i.thresholds)
    }
}

/// [`super::availability_in()`]: success ratio and longest outage per operation kind.
#[derive(Debug, Clone, Copy)]
pub struct Availability;
impl Check for Availability {
    fn name(&self) -> &'static str {
        "availability"
    }
    fn verdict(&self, i: &CheckInput<'_>) -> Verdict {
        super::availability_in(i.history, i.faults, i.thresholds)
    }
}

/// [`super::durability()`]: every acknowledged write readable everywhere after heal.
#[derive(Debug, Clone, Copy)]
pub struct Durability;
impl Check for Durability {
    fn name(&self) -> &'static str {
        "durability"
    }
    fn verdict(&self, i: &CheckInput<'_>) -> Verdict {
        super::durability(i.history, i.final_reads)
    }
}

/// [`super::convergence()`]: after heal, nodes agree on membership and content.
#[derive(Debug, Clone, Copy)]
pub struct Convergence;
impl Check for Convergence {
    fn name(&self) -> &'static str {
        "convergence"
    }
    fn verdict(&self, i: &CheckInput<'_>) -> Verdict {
        super::convergence(
            i.observations,
            i.final_reads,
            i.boot_memberships,
            i.boot_unread,
        )
    }
}

/// [`super::signatures_in()`]: no known failure text in API errors or node logs.
#[derive(Debug, Clone, Copy)]
pub struct Signatures;
impl Check for Signatures {
    fn name(&self) -> &'static str {
        "signatures"
    }
    fn verdict(&self, i: &CheckInput<'_>) -> Verdict {
        let scope = SignatureScope {
            windows: i.faults,
            epoch: super::run_epoch(i.observations),
            settle_ms: i.thresholds.transient_settle_ms,
            tolerated: i.thresholds.tolerated_signature_matches,
        };
        super::signatures_in(i.catalog, i.history, i.logs, &scope)
    }
}

/// [`super::membership()`]: live members equal the configured node set on every node.
#[derive(Debug, Clone, Copy)]
pub struct Membership;
impl Check for Membership {
    fn name(&self) -> &'static str {
        "membership"
    }
    fn verdict(&self, i: &CheckInput<'_>) -> Verdict {
        super::membership(i.observations, i.configured)
    }
}

/// [`super::disk()`]: no node's data dir above `max_bytes`.
#[derive(Debug, Clone, Copy)]
pub struct Disk {
    /// The bound, in bytes.
    pub max_bytes: u64,
}
impl Check for Disk {
    fn name(&self) -> &'static str {
        "disk"
    }
    fn verdict(&self, i: &CheckInput<'_>) -> Verdict {
        super::disk(i.disk, self.max_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Status, Thresholds, testkit};
    use crate::record::{History, OpKind, Outcome};

    /// Every standard check's name is the name its verdict carries, so a rename cannot make
    /// `[expect]` entries or reports name a check that no longer exists.
    #[test]
    fn names_are_the_verdicts_names() {
        let thresholds = Thresholds {
            max_data_bytes: Some(1),
            ..Thresholds::default()
        };
        let history = History::default();
        let input = CheckInput::empty(&history, &thresholds);
        let compose = Compose::standard(&thresholds);
        let got: Vec<String> = compose
            .verdicts(&input)
            .into_iter()
            .map(|v| v.check)
            .collect();
        assert_eq!(got, compose.names());
        assert_eq!(got.len(), 7);
    }

    /// A composition fires where one of its checks fires, and only there.
    #[test]
    fn a_composition_reports_each_checks_own_verdict() {
        let thresholds = Thresholds::default();
        let history = testkit::hist(vec![testkit::publish("n1", "k", "v1", 0, 10, Outcome::Ok)]);
        let lost = [testkit::failed_read(
            "n1",
            OpKind::GetConfig,
            "k",
            "timeout",
        )];
        let input = CheckInput {
            final_reads: &lost,
            ..CheckInput::empty(&history, &thresholds)
        };
        let v = Compose::new()
            .with(Durability)
            .with(Membership)
            .verdicts(&input);
        assert_eq!(v[0].status, Status::Fail, "{v:?}");
        assert_eq!(v[1].status, Status::Skip, "{v:?}");
        assert_eq!(format!("{:?}", Compose::new().with(Leader)), "[\"leader\"]");
    }
}

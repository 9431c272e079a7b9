//! Rehearse an upgrade on the user's own data: restore each node's backup into a cluster
//! carrying the production identities, read a baseline of the data through the server's
//! API, run the planned upgrade and each recommended fix on its own fresh copy, and rank
//! the fixes by outcome (leader, time to recover, baseline entries lost).
//!
//! The planned change is the same addresses, new addresses, or a move to hostname identity.
//! Besides the built-in fixes ([`Fix`]), a suite can state its own as steps ([`SuiteFix`],
//! run by the scenario's `rehearse` step, see [`suite_step`]). Not yet run for real: the
//! official flavor end to end (`tests/rehearse_official.rs`, no image here); its Raft reset
//! request is covered by fixtures ([`raft_reset`]).
//!
//! ```no_run
//! # async fn f() -> nacos_chaos::Result<()> {
//! use nacos_chaos::rehearse::{Plan, Change, rehearse};
//! let plan = Plan::new(
//!     nacos_chaos::flavor::FlavorKind::RNacos, "0.8.8",
//!     vec!["n1".into(), "n2".into(), "n3".into()],
//!     "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848",
//!     Change::parse_new_addresses("10.0.0.1=10.0.1.1,10.0.0.2=10.0.1.2,10.0.0.3=10.0.1.3")?,
//! )?;
//! let report = rehearse(&plan).await?;
//! println!("planned upgrade safe: {}", report.safe);
//! # Ok(()) }
//! ```

pub mod addresses;
pub mod baseline;
pub mod fixes;
pub mod input;
pub mod raft_reset;
pub mod report;
pub mod restore;
pub mod suite_step;
pub mod synthetic;
pub mod verdicts;

pub use addresses::{AddressMap, Change};
pub use fixes::{ALL_FIXES, Fix, parse_fixes};
pub use report::{FixOutcome, RehearsalReport};
pub use suite_step::{RehearseStep, SuiteFix};

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::cluster::{Cluster, ClusterSpec};
use crate::docker::new_run_id;
use crate::error::{Error, Result};
use crate::flavor::{FlavorKind, IdentityMode};
use crate::poll::Poll;
use crate::preflight::{Member, PreflightOptions};
use baseline::{Lost, Snapshot};

/// What to rehearse.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Server flavor.
    pub flavor: FlavorKind,
    /// Version production runs.
    pub from: String,
    /// Version to upgrade to (default: `from`, an identity change only).
    pub to: String,
    /// One backup per node, in member order (directories or `.tar.gz`).
    pub backups: Vec<PathBuf>,
    /// Production members, in node order.
    pub members: Vec<Member>,
    /// The planned identity change.
    pub change: Change,
    /// Fixes to rehearse besides the planned upgrade.
    pub fixes: Vec<Fix>,
    /// How long each step waits for a leader.
    pub leader_timeout: Duration,
    /// Registry / mirror prefix for official images.
    pub registry: Option<String>,
    /// True when production keeps configs in an external database (MySQL): only the Raft
    /// groups are rehearsed, and the report says so.
    pub external_db: bool,
    /// Fixes a suite states as steps, each run on its own fresh copy after the built-in ones.
    pub suite_fixes: Vec<SuiteFix>,
    /// The suite those steps come from (their workload and thresholds).
    pub suite: Option<crate::scenario::Suite>,
}

impl Plan {
    /// A plan with every fix and a 60 s leader deadline. `members` is cluster.conf content
    /// or a comma list; its count must equal the number of backups.
    pub fn new(
        flavor: FlavorKind,
        from: &str,
        backups: Vec<PathBuf>,
        members: &str,
        change: Change,
    ) -> Result<Plan> {
        let members = input::load_members(members, &PathBuf::from("--members"), backups.len())?;
        Ok(Plan {
            flavor,
            from: from.into(),
            to: from.into(),
            backups,
            members,
            change,
            fixes: ALL_FIXES.to_vec(),
            leader_timeout: Duration::from_secs(60),
            registry: None,
            external_db: false,
            suite_fixes: vec![],
            suite: None,
        })
    }
}

/// A fresh cluster restored from the backups, running `from` at the old addresses.
struct Copy {
    cluster: Cluster,
    map: AddressMap,
    evidence: Vec<String>,
}

async fn fresh_copy(plan: &Plan, backups: &[input::Backup]) -> Result<Copy> {
    let spec = ClusterSpec {
        flavor: plan.flavor,
        version: plan.from.clone(),
        nodes: backups.len(),
        identity: IdentityMode::Ip,
        registry: plan.registry.clone(),
        tuning: vec![],
        naming: vec![],
        mode: Default::default(),
    };
    let prefer = addresses::preferred_octet(&plan.members);
    let mut cluster = Cluster::create_in_subnet(spec, new_run_id(), prefer).await?;
    let map = addresses::map(&plan.members, &plan.change, cluster.network())?;
    let mut evidence = vec![format!(
        "run {} on {}{}",
        cluster.run_id(),
        cluster.network().subnet(),
        if map.reproduced {
            " (the production addresses themselves)"
        } else {
            " (production addresses mapped)"
        }
    )];
    for (b, n) in backups.iter().zip(&map.nodes) {
        cluster.pin_ip(n.node, n.run_old)?;
        evidence.push(restore::restore_dir(&cluster, b.node, &b.dir).await?);
    }
    // Start every node on its restored data (no join dance: the data knows its cluster).
    for i in 1..=backups.len() {
        let join = cluster.nodes()[i - 1].join;
        cluster.start_node(i, join).await?;
    }
    evidence.push(match cluster.wait_for_leader(plan.leader_timeout).await {
        Ok(l) => format!(
            "{} ms: restored cluster has a leader after {:?}",
            cluster.now_ms(),
            l.elapsed
        ),
        Err(e) => format!(
            "{} ms: restored cluster has no leader: {e}",
            cluster.now_ms()
        ),
    });
    Ok(Copy {
        cluster,
        map,
        evidence,
    })
}

/// The node to read the baseline from: the agreed leader's, else n1.
async fn reader_node(c: &mut Cluster) -> usize {
    let obs = c.observe().await;
    let groups = c.expected_groups();
    let agreed = crate::cluster::observe::agreements(&obs, &groups);
    let leader = agreed.values().find_map(|a| a.leader().map(str::to_string));
    (1..=c.nodes().len())
        .find(|i| Some(c.peer_of(*i)) == leader)
        .unwrap_or(1)
}

async fn read_node(c: &Cluster, i: usize) -> Result<Snapshot> {
    let base = c
        .node(i)?
        .base_url()
        .ok_or_else(|| Error::Config(format!("n{i} has no published HTTP port")))?;
    baseline::read(c.http(), &base, c.flavor().kind()).await
}

/// Baseline entries lost on any node that answers (a client may reach any node), polled
/// until none is lost or `settle` passes (followers catching up). Unanswered nodes are
/// evidence; when no node answers, every entry counts as lost (`unreadable`).
async fn losses(
    c: &Cluster,
    base: &Snapshot,
    settle: Duration,
    ev: &mut Vec<String>,
) -> Result<Vec<Lost>> {
    let mut poll = Poll::new("baseline entries back on every node", settle);
    loop {
        let mut lost = std::collections::BTreeSet::new();
        let mut notes = vec![];
        let mut answered = 0;
        for i in 1..=c.nodes().len() {
            match read_node(c, i).await {
                Ok(s) => {
                    answered += 1;
                    let l = baseline::diff(base, &s);
                    notes.push(format!(
                        "n{i} serves {} entries, {} baseline entr(ies) lost",
                        s.entries.len(),
                        l.len()
                    ));
                    lost.extend(l);
                }
                Err(e) => notes.push(format!("n{i} did not answer the baseline read: {e}")),
            }
        }
        if answered == 0 {
            lost.extend(base.entries.iter().map(|e| Lost {
                entry: e.key(),
                how: "unreadable".into(),
            }));
        }
        if lost.is_empty() || poll.expired() || answered == 0 {
            ev.extend(notes);
            return Ok(lost.into_iter().collect());
        }
        if poll.next(format!("{} lost", lost.len())).await.is_err() {
            ev.extend(notes);
            return Ok(lost.into_iter().collect());
        }
    }
}

/// Fraction of nodes answering an instance list (of the first baseline service).
async fn registry_availability(c: &Cluster, base: &Snapshot) -> (usize, usize) {
    let (ns, group, svc) = base
        .entries
        .iter()
        .find_map(|e| match e {
            baseline::Entry::Service {
                namespace,
                group,
                name,
            } => Some((namespace.clone(), group.clone(), name.clone())),
            _ => None,
        })
        .unwrap_or_else(|| {
            (
                String::new(),
                "DEFAULT_GROUP".into(),
                "nacos-chaos-probe".into(),
            )
        });
    let path = c.flavor().api(&c.spec().version).instance_list;
    let mut ok = 0;
    for n in c.nodes() {
        let Some(base) = n.base_url() else { continue };
        let r = c
            .http()
            .get(format!("{base}{path}"))
            .query(&[
                ("serviceName", &svc),
                ("groupName", &group),
                ("namespaceId", &ns),
            ])
            .send()
            .await;
        if matches!(r, Ok(ref r) if r.status().is_success()) {
            ok += 1;
        }
    }
    (ok, c.nodes().len())
}

/// Preflight every node's copy (as loaded by [`input::load_backups`]) against the
/// production membership after the planned change: one line per node with its verdict.
pub fn preflight_copies(plan: &Plan, backups: &[input::Backup]) -> Vec<String> {
    let net = crate::docker::RunNetwork {
        name: String::new(),
        octet: 0,
    };
    let Ok(map) = addresses::map(&plan.members, &plan.change, &net) else {
        return vec![];
    };
    let target: Vec<String> = map
        .nodes
        .iter()
        .zip(&plan.members)
        .map(|(n, m)| match plan.flavor {
            FlavorKind::RNacos => {
                let new = Member {
                    id: None,
                    host: n.prod_new.clone(),
                    port: None,
                };
                format!("{}={}", n.node, new.rnacos_addr())
            }
            FlavorKind::Official => format!("{}:{}", n.prod_new, m.port.unwrap_or(8848)),
        })
        .collect();
    backups
        .iter()
        .zip(&target)
        .map(|(b, me)| {
            let opts =
                PreflightOptions::new(&b.dir, plan.flavor, &target.join(",")).and_then(|o| {
                    match plan.flavor {
                        FlavorKind::Official => o.with_self(me),
                        FlavorKind::RNacos => Ok(o),
                    }
                });
            match opts.and_then(|o| crate::preflight::preflight(&o)) {
                Ok(r) => format!(
                    "n{} ({}): {} (exit {})",
                    b.node,
                    b.source.display(),
                    r.worst().label(),
                    r.worst().exit_code()
                ),
                Err(e) => format!(
                    "n{} ({}): preflight could not read it: {e}",
                    b.node,
                    b.source.display()
                ),
            }
        })
        .collect()
}

/// A fix as it is run: a built-in one, or one a suite states as steps.
#[derive(Debug, Clone, Copy)]
enum Remedy<'a> {
    Builtin(Fix),
    Steps(&'a SuiteFix),
}

impl Remedy<'_> {
    fn name(&self) -> String {
        match self {
            Remedy::Builtin(f) => f.name().into(),
            Remedy::Steps(s) => s.name.clone(),
        }
    }

    async fn run(
        &self,
        plan: &Plan,
        copy: &mut Copy,
        base: &Snapshot,
    ) -> Result<(Vec<String>, Instant)> {
        match self {
            Remedy::Builtin(fix) => {
                fixes::run_fix(
                    *fix,
                    &mut copy.cluster,
                    &copy.map,
                    (&plan.from, &plan.to),
                    base,
                    plan.leader_timeout,
                )
                .await
            }
            Remedy::Steps(s) => suite_step::run_suite_fix(plan, s, &mut copy.cluster).await,
        }
    }

    /// The outcome under this remedy's name (a suite fix borrows `Fix::Planned`'s shape).
    fn label(&self, o: FixOutcome) -> FixOutcome {
        match self {
            Remedy::Builtin(_) => o,
            Remedy::Steps(s) => o.renamed(&s.name, &s.describe()),
        }
    }
}

/// Run one fix on a fresh copy and measure it.
async fn measure(
    plan: &Plan,
    backups: &[input::Backup],
    remedy: Remedy<'_>,
    base: Option<&Snapshot>,
) -> Result<(FixOutcome, Option<Snapshot>, AddressMap)> {
    let fix = match remedy {
        Remedy::Builtin(f) => f,
        Remedy::Steps(_) => Fix::Planned,
    };
    let t0 = Instant::now();
    let mut copy = fresh_copy(plan, backups).await?;
    let run_id = copy.cluster.run_id().to_string();
    let mut ev = std::mem::take(&mut copy.evidence);
    ev.extend(copy.map.lines());
    let map = copy.map.clone();
    let mut baseline_read = None;
    let base = match base {
        Some(b) => b.clone(),
        None => {
            let i = reader_node(&mut copy.cluster).await;
            let s = read_node(&copy.cluster, i).await?;
            ev.push(format!(
                "baseline read from n{i}: {} entries",
                s.entries.len()
            ));
            baseline_read = Some(s.clone());
            s
        }
    };
    let result = remedy.run(plan, &mut copy, &base).await;
    let outcome = match result {
        Err(Error::Unsupported { why, .. }) => {
            FixOutcome::not_available(fix, plan.flavor, why, run_id)
        }
        Err(e) => FixOutcome::failed(fix, plan.flavor, e.to_string(), ev, run_id),
        Ok((steps, began)) => {
            ev.extend(steps);
            let leader = copy.cluster.wait_for_leader(plan.leader_timeout).await;
            let leader_ms = match &leader {
                Ok(_) => Some(began.elapsed().as_millis() as u64),
                Err(e) => {
                    ev.push(format!(
                        "no agreed leader within {:?}: {e}",
                        plan.leader_timeout
                    ));
                    None
                }
            };
            let settle = if leader_ms.is_some() {
                Duration::from_secs(15)
            } else {
                Duration::ZERO
            };
            let lost = losses(&copy.cluster, &base, settle, &mut ev).await?;
            let registry = registry_availability(&copy.cluster, &base).await;
            FixOutcome::ran(fix, plan.flavor, leader_ms, registry, lost, ev, run_id)
        }
    };
    let outcome = remedy.label(outcome);
    if let Err(e) = copy.cluster.teardown().await {
        warn!(error = %e, "teardown of a rehearsal copy failed");
    }
    info!(fix = %remedy.name(), took = ?t0.elapsed(), "fix rehearsed");
    Ok((outcome, baseline_read, map))
}

/// Rehearse `plan`: the planned upgrade, then each fix, each on its own fresh copy.
pub async fn rehearse(plan: &Plan) -> Result<RehearsalReport> {
    let backups = input::load_backups(&plan.backups, plan.flavor)?;
    let digests_before: Vec<String> = backups
        .iter()
        .map(|b| input::tree_digest(&b.dir))
        .collect::<Result<_>>()?;
    let (planned, base, map) = measure(plan, &backups, Remedy::Builtin(Fix::Planned), None).await?;
    let base = base.ok_or_else(|| Error::Config("no baseline was read".into()))?;
    let preflight = preflight_copies(plan, &backups);
    let mut outcomes = vec![];
    for fix in plan.fixes.iter().copied().filter(|f| *f != Fix::Planned) {
        outcomes.push(
            measure(plan, &backups, Remedy::Builtin(fix), Some(&base))
                .await?
                .0,
        );
    }
    for sf in &plan.suite_fixes {
        outcomes.push(
            measure(plan, &backups, Remedy::Steps(sf), Some(&base))
                .await?
                .0,
        );
    }
    for (b, d) in backups.iter().zip(&digests_before) {
        if &input::tree_digest(&b.dir)? != d {
            return Err(Error::Backup {
                path: b.source.clone(),
                detail: "changed while the rehearsal read it".into(),
                fix: "rehearse on a copy nothing else writes to".into(),
            });
        }
    }
    Ok(RehearsalReport::new(
        plan, map, base, preflight, planned, outcomes,
    ))
}

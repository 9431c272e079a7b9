//! The rehearsal inside a suite: `action = "rehearse"` launches a stand-in production
//! cluster (the suite's flavor, size and from-version), writes synthetic data, takes each
//! node's data dir as the "backup", tears the stand-in down, and rehearses the planned
//! change and the fixes on the backup, each on its own fresh copy — the built-in fixes by
//! name and the suite's own as steps. Each outcome becomes verdicts
//! `rehearsal.<fix>.leader` and `rehearsal.<fix>.lost`, judged by `[expect]` like any check.
//!
//! ```toml
//! [expect]
//! "rehearsal.planned.leader" = "fail"
//! "rehearsal.delete-raft-dir.lost" = { status = "fail", reason = 'delete-raft-dir: [1-9]\d* baseline entr\(ies\) lost' }
//!
//! [[steps]]
//! action = "rehearse"
//! change = "new_addresses"
//! fixes = ["delete-raft-dir", "keep-old-addresses"]
//!
//! [[steps.fix]]
//! name = "ip-change-then-wipe"
//! [[steps.fix.steps]]
//! action = "fault"
//! fault = { kind = "wipe_raft", nodes = "all" }
//! ```

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::synthetic::SyntheticData;
use super::{Change, Plan, RehearsalReport};
use crate::cluster::{Cluster, ClusterSpec};
use crate::error::{Error, Result};
use crate::flavor::IdentityMode;
use crate::scenario::Step;
use crate::scenario::steps::Ctx;

/// The planned change a suite rehearses, on the run's own addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlannedChange {
    /// Every node moves to a new address (last octet + 20).
    #[default]
    NewAddresses,
    /// Peers named by hostname instead of address.
    Hostnames,
    /// Same addresses (a version upgrade only).
    SameAddresses,
}

/// A fix a suite states as steps (the normal step vocabulary, minus `start`, `workload`
/// and `rehearse`), run on its own fresh copy restored from the backup and running at the
/// old addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFix {
    /// Name in the report and in `rehearsal.<name>.*` expectations.
    pub name: String,
    /// What it does (default: the steps, described).
    #[serde(default)]
    pub description: String,
    /// The steps.
    pub steps: Vec<Step>,
}

impl SuiteFix {
    /// The description, or the steps described one after the other.
    pub fn describe(&self) -> String {
        if !self.description.is_empty() {
            return self.description.clone();
        }
        let steps: Vec<String> = self.steps.iter().map(crate::scenario::describe).collect();
        format!("the suite's steps: {}", steps.join(", then "))
    }
}

/// `action = "rehearse"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RehearseStep {
    /// The planned change.
    #[serde(default)]
    pub change: PlannedChange,
    /// Built-in fixes by name (`delete-raft-dir`, `rollback`, `keep-old-addresses`,
    /// `rolling`, `raft-reset`).
    #[serde(default)]
    pub fixes: Vec<String>,
    /// The suite's own fixes.
    #[serde(default)]
    pub fix: Vec<SuiteFix>,
    /// Synthetic data written before the backup is taken.
    #[serde(default)]
    pub data: SyntheticData,
    /// How long each copy waits for a leader.
    #[serde(default = "secs60", with = "humantime_serde")]
    pub timeout: Duration,
}

fn secs60() -> Duration {
    Duration::from_secs(60)
}

impl RehearseStep {
    /// Short description for the step record.
    pub fn describe(&self) -> String {
        let mut names: Vec<String> = self.fixes.clone();
        names.extend(self.fix.iter().map(|f| f.name.clone()));
        format!(
            "rehearse {:?} on a stand-in production backup (fixes: {})",
            self.change,
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        )
    }

    fn change_for(&self, c: &Cluster) -> Result<Change> {
        Ok(match self.change {
            PlannedChange::SameAddresses => Change::SameAddresses,
            PlannedChange::Hostnames => Change::Hostnames,
            PlannedChange::NewAddresses => {
                let ips: Vec<_> = c.nodes().iter().map(|n| n.identity.ip).collect();
                Change::parse_new_addresses(&super::addresses::moved_up(&ips, 20).join(","))?
            }
        })
    }
}

/// The stand-in production cluster's backup: its members, the planned change on its
/// addresses, and one data dir per node.
struct Production {
    members: String,
    change: Change,
    backups: Vec<std::path::PathBuf>,
}

/// Launch a stand-in production cluster like the suite's, write the synthetic data, stop
/// every node, copy each data dir into `dir/n<i>`, and tear it down (also on failure).
/// The suite's own cluster is left alone: the copies need the stand-in's subnet free, to
/// run at the very addresses the backup names.
async fn production_backup(
    spec: ClusterSpec,
    step: &RehearseStep,
    dir: &std::path::Path,
    ev: &mut Vec<String>,
) -> Result<Production> {
    let mut p = Cluster::create(spec).await?;
    let r = backup_of(&mut p, step, dir, ev).await;
    if let Err(e) = p.teardown().await {
        tracing::warn!(error = %e, "teardown of the stand-in production cluster failed");
    }
    r
}

async fn backup_of(
    p: &mut Cluster,
    step: &RehearseStep,
    dir: &std::path::Path,
    ev: &mut Vec<String>,
) -> Result<Production> {
    let up = p
        .start_all(step.timeout.max(Duration::from_secs(120)))
        .await?;
    ev.push(format!(
        "stand-in production cluster run {} on {}: leader after {:?}",
        p.run_id(),
        p.network().subnet(),
        up.elapsed
    ));
    ev.push(step.data.write(p, 1).await?);
    let n = p.nodes().len();
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    for i in 1..=n {
        p.stop_node(i, 10).await?;
    }
    let mut backups = vec![];
    for i in 1..=n {
        let d = dir.join(format!("n{i}"));
        super::restore::save_node_data(p, i, &d).await?;
        backups.push(d);
    }
    ev.push(format!(
        "{} ms: every node stopped, its data dir copied to {}",
        p.now_ms(),
        dir.display()
    ));
    let members: Vec<String> = p
        .nodes()
        .iter()
        .map(|n| format!("{}:8848", n.identity.ip))
        .collect();
    Ok(Production {
        members: members.join(","),
        change: step.change_for(p)?,
        backups,
    })
}

/// Run the step: a stand-in production cluster with synthetic data, its backup, the
/// rehearsal on it, the report under `<results>/rehearsal/`, and the verdicts.
pub async fn execute(ctx: &mut Ctx<'_>, c: &mut Cluster, step: &RehearseStep) -> Result<String> {
    let spec = ClusterSpec {
        flavor: c.spec().flavor,
        version: ctx.from.to_string(),
        nodes: c.nodes().len(),
        identity: IdentityMode::Ip,
        registry: c.spec().registry.clone(),
        tuning: c.spec().tuning.clone(),
        mode: c.spec().mode,
        naming: vec![],
    };
    let mut ev = vec![];
    let dir = ctx.results_dir.join("rehearsal");
    let prod = production_backup(spec, step, &dir.join("backup"), &mut ev).await?;
    let mut plan = Plan::new(
        c.flavor().kind(),
        ctx.from,
        prod.backups,
        &prod.members,
        prod.change,
    )?;
    plan.to = ctx.to.unwrap_or(ctx.from).to_string();
    plan.fixes = step
        .fixes
        .iter()
        .map(|f| f.parse())
        .collect::<Result<_>>()?;
    plan.leader_timeout = step.timeout;
    plan.registry = c.spec().registry.clone();
    plan.suite_fixes = step.fix.clone();
    plan.suite = Some(ctx.suite.clone());
    let report = super::rehearse(&plan).await?;
    report.write(&dir)?;
    ctx.record.verdicts.extend(super::verdicts::of(&report));
    ev.push(summary(&report));
    Ok(ev.join("; "))
}

fn summary(r: &RehearsalReport) -> String {
    let fixes: Vec<String> = r
        .fixes
        .iter()
        .map(|f| {
            format!(
                "{}: {} leader, {} lost",
                f.fix,
                if f.leader_ms.is_some() { "a" } else { "no" },
                f.lost.len()
            )
        })
        .collect();
    format!(
        "planned {} ({} baseline entries); {}",
        if r.safe { "SAFE" } else { "UNSAFE" },
        r.baseline.entries.len(),
        fixes.join("; ")
    )
}

type StepFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<String>> + Send + 'a>>;

/// One step of a suite fix. Boxed with its `Send` stated: a step may be a rehearsal, which
/// runs suite fixes, which run steps (the cycle needs a named, boxed future).
fn step_in_fix<'a>(ctx: &'a mut Ctx<'_>, c: &'a mut Cluster, step: &'a Step) -> StepFuture<'a> {
    Box::pin(crate::scenario::steps::execute(ctx, c, step))
}

/// Run a suite fix's steps on a restored copy. Returns the evidence (each step and its
/// read-back, and every leader checkpoint) and when its steps began.
pub(super) async fn run_suite_fix(
    plan: &Plan,
    fix: &SuiteFix,
    c: &mut Cluster,
) -> Result<(Vec<String>, Instant)> {
    let suite = plan.suite.as_ref().ok_or_else(|| {
        Error::Config(format!(
            "fix '{}' has steps but no suite\n  fix: state suite fixes in a suite's rehearse step",
            fix.name
        ))
    })?;
    let scratch = tempfile::Builder::new()
        .prefix("nchaos-fix-")
        .tempdir()
        .map_err(|e| Error::io("create temp dir for", "a suite fix", e))?;
    let mut record = crate::report::RunRecord::example();
    record.scenario = fix.name.clone();
    let mut ctx = Ctx {
        suite,
        from: &plan.from,
        to: Some(&plan.to),
        nemesis: Default::default(),
        workload: None,
        record,
        results_dir: scratch.path().to_path_buf(),
        boot_faults: vec![],
    };
    let began = Instant::now();
    let mut ev = vec![];
    for step in &fix.steps {
        let detail = step_in_fix(&mut ctx, c, step).await?;
        ev.push(format!(
            "{} ms: {}: {detail}",
            c.now_ms(),
            crate::scenario::describe(step)
        ));
    }
    Ok((ev, began))
}

/// A problem with a suite's rehearsal: where (keys into the suite text), what, and the fix.
pub(crate) type Invalid<'a> = (Vec<crate::scenario::locate::Seg<'a>>, String, String);

/// Check a suite's `rehearse` steps and its `rehearsal.*` expectations: at most one
/// rehearse step; fix names known (built-in) or unique (the suite's); a suite fix's steps
/// neither start the cluster, nor run the workload, nor rehearse; every expectation names
/// `planned` or a rehearsed fix and an aspect in [`super::verdicts::ASPECTS`].
pub(crate) fn validate<'a>(
    steps: &'a [toml::Spanned<Step>],
    expect_keys: &'a [&'a String],
) -> std::result::Result<(), Invalid<'a>> {
    use crate::scenario::locate::Seg::{Index, Key};
    let rehearsals: Vec<(usize, &RehearseStep)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s.get_ref() {
            Step::Rehearse(r) => Some((i, r)),
            _ => None,
        })
        .collect();
    if rehearsals.len() > 1 {
        return Err((
            vec![Key("steps"), Index(rehearsals[1].0)],
            "a second rehearse step".into(),
            "one rehearse step per suite: its verdicts are named rehearsal.<fix>.*".into(),
        ));
    }
    let mut names: Vec<String> = vec!["planned".into()];
    if let Some(&(i, r)) = rehearsals.first() {
        for (j, f) in r.fixes.iter().enumerate() {
            match f.parse::<super::Fix>() {
                Ok(super::Fix::Planned) | Err(_) => {
                    return Err((
                        vec![Key("steps"), Index(i), Key("fixes"), Index(j)],
                        format!("unknown built-in fix '{f}'"),
                        "use delete-raft-dir, rollback, keep-old-addresses (pin-identities), rolling or raft-reset; state your own as [[steps.fix]]".into(),
                    ));
                }
                Ok(fix) => names.push(fix.name().into()),
            }
        }
        for (j, f) in r.fix.iter().enumerate() {
            let here = vec![Key("steps"), Index(i), Key("fix"), Index(j)];
            if let Some(problem) = suite_fix_problem(f, &names) {
                return Err((here, problem.0, problem.1));
            }
            names.push(f.name.clone());
        }
    }
    for k in expect_keys {
        let Some((fix, aspect)) = super::verdicts::split(k) else {
            continue;
        };
        let why = if rehearsals.is_empty() {
            Some("the suite has no rehearse step".to_string())
        } else if !names.iter().any(|n| n == fix) {
            Some(format!(
                "'{fix}' is not rehearsed here (rehearsed: {})",
                names.join(", ")
            ))
        } else if !super::verdicts::ASPECTS.contains(&aspect) {
            Some(format!("'{aspect}' is not judged (judged: leader, lost)"))
        } else {
            None
        };
        if let Some(why) = why {
            return Err((
                vec![Key("expect"), Key(k.as_str())],
                format!("expect.\"{k}\": {why}"),
                "write \"rehearsal.<planned or a rehearsed fix>.<leader|lost>\"".into(),
            ));
        }
    }
    Ok(())
}

fn suite_fix_problem(f: &SuiteFix, taken: &[String]) -> Option<(String, String)> {
    let ok_chars = f
        .name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if f.name.is_empty() || !ok_chars {
        return Some((
            format!("fix name '{}'", f.name),
            "use lowercase letters, digits and '-'".into(),
        ));
    }
    if taken.contains(&f.name) || f.name.parse::<super::Fix>().is_ok() {
        return Some((
            format!("fix name '{}' is already used", f.name),
            "give the suite's fix its own name (not a built-in one's)".into(),
        ));
    }
    if f.steps.is_empty() {
        return Some((
            format!("fix '{}' has no steps", f.name),
            "add [[steps.fix.steps]] with the normal step vocabulary".into(),
        ));
    }
    f.steps.iter().find_map(|s| match s {
        Step::Start { .. } | Step::Workload { .. } | Step::Rehearse(_) => Some((
            format!(
                "fix '{}': a `{}` step cannot run inside a fix",
                f.name,
                crate::scenario::describe(s)
            ),
            "a fix runs on a restored copy that is already started and has no workload".into(),
        )),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use crate::scenario::Suite;

    const HEAD: &str =
        "name = \"x\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n";

    fn suite(expect: &str, steps: &str) -> crate::Result<Suite> {
        Suite::parse(
            "x.toml",
            &format!("{HEAD}[expect]\n{expect}\n[[steps]]\naction = \"start\"\n{steps}"),
        )
    }

    const FIX: &str = "[[steps]]\naction = \"rehearse\"\nfixes = [\"delete-raft-dir\"]\n\
                       [[steps.fix]]\nname = \"again\"\n[[steps.fix.steps]]\naction = \"hold\"\nduration = \"1s\"\n";

    #[test]
    fn a_rehearse_step_with_a_suite_fix_parses_and_its_keys_are_accepted() {
        let s = suite(
            "\"rehearsal.planned.leader\" = \"fail\"\n\"rehearsal.again.lost\" = \"pass\"\n\"rehearsal.delete-raft-dir.lost\" = \"fail\"",
            FIX,
        )
        .unwrap();
        let crate::scenario::Step::Rehearse(r) = s.steps[1].get_ref() else {
            panic!("not a rehearse step: {:?}", s.steps[1]);
        };
        assert_eq!(r.fix[0].name, "again");
        assert_eq!(r.fix[0].steps.len(), 1);
        assert_eq!(r.timeout, std::time::Duration::from_secs(60));
        assert!(
            r.describe().contains("delete-raft-dir, again"),
            "{}",
            r.describe()
        );
    }

    #[rstest::rstest]
    #[case::unknown_builtin(
        "",
        "[[steps]]\naction = \"rehearse\"\nfixes = [\"reboot\"]\n",
        "unknown built-in fix 'reboot'"
    )]
    #[case::unrehearsed_fix(
        "\"rehearsal.rolling.leader\" = \"pass\"",
        FIX,
        "'rolling' is not rehearsed here"
    )]
    #[case::bad_aspect("\"rehearsal.again.speed\" = \"pass\"", FIX, "'speed' is not judged")]
    #[case::no_step("\"rehearsal.planned.leader\" = \"fail\"", "", "no rehearse step")]
    #[case::fix_starts(
        "",
        "[[steps]]\naction = \"rehearse\"\n[[steps.fix]]\nname = \"x\"\n[[steps.fix.steps]]\naction = \"start\"\n",
        "cannot run inside a fix"
    )]
    #[case::builtin_name(
        "",
        "[[steps]]\naction = \"rehearse\"\n[[steps.fix]]\nname = \"rollback\"\n[[steps.fix.steps]]\naction = \"heal\"\n",
        "already used"
    )]
    #[case::two_steps("", &format!("{FIX}{FIX}"), "a second rehearse step")]
    #[case::unknown_key("", "[[steps]]\naction = \"rehearse\"\nfixs = []\n", "unknown field")]
    fn bad_rehearsals_are_refused_with_a_fix(
        #[case] expect: &str,
        #[case] steps: &str,
        #[case] want: &str,
    ) {
        let e = suite(expect, steps).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
        assert!(e.contains("x.toml:"), "{e}");
    }
}

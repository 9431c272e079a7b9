//! Runs one suite against one version pair on a fresh cluster, and returns its record.
//! Everything is healed and torn down at the end, also when a step fails.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use tracing::{info, warn};

use super::steps::{Ctx, execute};
use super::suite::{Step, Suite};
use crate::check::{CheckInput, NodeLog, all};
use crate::cluster::{Cluster, ClusterSpec};
use crate::docker::new_run_id;
use crate::fault::{FaultWindow, Nemesis};
use crate::flavor::Signature;
use crate::report::{RunRecord, SCHEMA_VERSION};

/// Options for a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Root of results (`results/`); the run writes `results/<run-id>/`.
    pub results: PathBuf,
    /// Registry / mirror for official images.
    pub registry: Option<String>,
    /// Run id (default: fresh).
    pub run_id: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            results: PathBuf::from("results"),
            registry: None,
            run_id: None,
        }
    }
}

/// What a step waits for and how long at most (`, waiting up to 40s for an agreed leader`),
/// for the progress line that starts it.
fn waits_for(step: &super::Step) -> String {
    use super::Step;
    match step {
        Step::Start { timeout, .. } => {
            format!(", waiting up to {timeout:?} for every node to vote and a leader")
        }
        Step::WaitLeader { timeout, .. } => {
            format!(", waiting up to {timeout:?} for an agreed leader")
        }
        Step::Upgrade { wait, .. } => {
            format!(", waiting up to {wait:?} per node for an agreed leader")
        }
        Step::Hold { duration } => format!(", holding for {duration:?}"),
        Step::Fault {
            duration: Some(d), ..
        } => format!(", holding the fault for {d:?}"),
        _ => String::new(),
    }
}

/// Make sure every image the case needs (from- and to-version) is present before the
/// scenario's clock starts.
async fn provision(
    suite: &Suite,
    from: &str,
    to: Option<&str>,
    opts: &RunOptions,
    run_id: &str,
) -> crate::Result<()> {
    let engine = crate::docker::Engine::connect(run_id.to_string()).await?;
    for v in std::iter::once(from).chain(to) {
        crate::image::ensure(&engine, suite.cluster.flavor, v, opts.registry.as_deref()).await?;
    }
    Ok(())
}

/// Run `suite` from `from` (upgrading to `to`, if any). Never panics: failures are recorded
/// in the returned record (`error`) and the cluster is torn down.
pub async fn run(suite: &Suite, from: &str, to: Option<&str>, opts: &RunOptions) -> RunRecord {
    let run_id = opts.run_id.clone().unwrap_or_else(new_run_id);
    let dir = opts.results.join(&run_id);
    // Images are their own phase: a first-time build must not count as scenario time.
    let t_images = Instant::now();
    // A suite the harness cannot run yet is refused below, before anything is provided.
    let images = if suite.not_implemented().is_some() {
        Ok(())
    } else {
        provision(suite, from, to, opts, &run_id).await
    };
    let provision_ms = t_images.elapsed().as_millis() as u64;
    let started = SystemTime::now();
    let t0 = Instant::now();
    let mut record = RunRecord {
        schema_version: SCHEMA_VERSION,
        run_id: run_id.clone(),
        scenario: suite.name.clone(),
        suite_file: suite.path.as_ref().map(|p| p.display().to_string()),
        flavor: suite.cluster.flavor,
        from_version: from.to_string(),
        to_version: to.map(String::from),
        nodes: suite.cluster.nodes,
        seed: suite.seed,
        started,
        duration_ms: 0,
        engine: String::new(),
        attempts: 0,
        steps: vec![],
        faults: vec![],
        checkpoints: vec![],
        observations: vec![],
        history: Default::default(),
        final_reads: vec![],
        boot_memberships: vec![],
        boot_memberships_unread: None,
        configured_members: vec![],
        disk: vec![],
        provision_ms,
        verdicts: vec![],
        expectations: suite.expect.clone(),
        error: None,
        logs: vec![],
    };
    let spec = ClusterSpec {
        flavor: suite.cluster.flavor,
        version: from.to_string(),
        nodes: suite.cluster.nodes,
        identity: suite.cluster.identity,
        mode: suite.cluster.mode,
        registry: opts.registry.clone(),
        tuning: suite
            .cluster
            .tuning
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        naming: super::render::node_naming(suite),
    };
    if let Some(what) = suite.not_implemented() {
        let e = crate::error::Error::NotImplemented {
            flavor: suite.cluster.flavor.to_string(),
            what,
            fix: "`nacos-chaos validate` accepts the suite; run only suites without it for now"
                .into(),
        };
        record.error = Some(e.to_string());
        write(&record, &dir);
        return record;
    }
    if let Err(e) = images {
        record.error = Some(format!("images could not be provided: {e}"));
        write(&record, &dir);
        return record;
    }
    info!(scenario = %suite.name, versions = %record.version_label(), run = %run_id, "scenario starting");
    let mut cluster = match Cluster::create_with_run_id(spec, run_id.clone()).await {
        Ok(c) => c,
        Err(e) => {
            record.error = Some(format!("cluster could not be created: {e}"));
            record.duration_ms = t0.elapsed().as_millis() as u64;
            write(&record, &dir);
            return record;
        }
    };
    record.engine = cluster.engine().version().to_string();
    let mut ctx = Ctx {
        suite,
        from,
        to,
        nemesis: Nemesis::default(),
        workload: None,
        record,
        results_dir: dir.clone(),
        boot_faults: vec![],
    };
    let total = suite.steps.len();
    let mut step_windows = vec![];
    for (i, step) in suite.steps.iter().enumerate() {
        let step = step.get_ref();
        let start_ms = cluster.now_ms();
        let t = Instant::now();
        info!(
            "[{}] step {}/{total}: {}{}",
            suite.name,
            i + 1,
            super::steps::describe(step),
            waits_for(step)
        );
        // Observe around every step so the timeline has no stale stretches.
        cluster.observe().await;
        let result = execute(&mut ctx, &mut cluster, step).await;
        cluster.observe().await;
        let (ok, detail) = match result {
            Ok(detail) => (true, detail),
            Err(e) => (false, e.to_string()),
        };
        info!(
            "[{}] step {}/{total} {} in {:.1?}: {detail}",
            suite.name,
            i + 1,
            if ok { "done" } else { "FAILED" },
            t.elapsed()
        );
        ctx.record.steps.push(crate::report::StepRecord {
            name: super::steps::describe(step),
            start_ms,
            end_ms: cluster.now_ms(),
            ok,
            detail: detail.clone(),
        });
        if let Some(w) = restart_window(i, step, start_ms, cluster.now_ms()) {
            step_windows.push(w);
        }
        if !ok {
            ctx.record.error = Some(format!(
                "step {} ({}) failed: {detail}",
                i + 1,
                super::steps::describe(step)
            ));
            break;
        }
    }
    // Heal everything, stop probes, read back, collect logs, judge, tear down.
    if let Err(e) = ctx.nemesis.heal_all(&mut cluster).await {
        warn!(error = %e, "healing failed");
        ctx.record.error.get_or_insert(format!("heal failed: {e}"));
    }
    if let Some(w) = ctx.workload.take() {
        ctx.record.history = w.stop().await;
    }
    if !ctx.record.history.ops.is_empty() {
        ctx.record.final_reads = crate::workload::final_reads(
            &cluster,
            &ctx.record.history,
            Duration::from_secs(3),
            Duration::from_secs(15),
        )
        .await;
    }
    match cluster.boot_memberships().await {
        Ok(boots) => ctx.record.boot_memberships = boots.unwrap_or_default(),
        Err(e) => {
            warn!(error = %e, "boot memberships unreadable; restart safety not judged");
            ctx.record.boot_memberships_unread = Some(e.to_string());
        }
    }
    ctx.record.disk = data_usage(&cluster).await;
    let logs: Vec<NodeLog> = match cluster.collect_logs(&dir).await {
        Ok(l) => l,
        Err(e) => {
            warn!(error = %e, "log collection failed");
            vec![]
        }
    };
    ctx.record.logs = logs
        .iter()
        .map(|l| format!("logs/{}/{}", l.node, l.file))
        .collect();
    let faults = ctx.nemesis.windows();
    let mut record = ctx.record;
    record.faults = faults;
    record.observations = cluster.observations().to_vec();
    record.attempts = cluster.bringup_attempts();
    record.configured_members = cluster.configured_peers();
    let catalog = catalogue(cluster.flavor().signatures(), suite);
    let windows: Vec<FaultWindow> = record.faults.iter().cloned().chain(step_windows).collect();
    // Verdicts a step recorded (a rehearsal's), after the checks'.
    let from_steps = std::mem::take(&mut record.verdicts);
    record.verdicts = all(&CheckInput {
        history: &record.history,
        final_reads: &record.final_reads,
        boot_memberships: &record.boot_memberships,
        boot_unread: record.boot_memberships_unread.as_deref(),
        observations: &record.observations,
        checkpoints: &record.checkpoints,
        faults: &windows,
        logs: &logs,
        catalog: &catalog,
        thresholds: &suite.thresholds,
        configured: &record.configured_members,
        disk: &record.disk,
    });
    record
        .verdicts
        .extend(crate::rehearse::verdicts::with_unanswered(
            from_steps,
            &suite.expect,
        ));
    if !record.as_expected()
        && let Err(e) = super::repro::write_repro(&cluster, &record, &dir)
    {
        warn!(error = %e, "repro export failed");
    }
    if let Err(e) = cluster.teardown().await {
        record.error.get_or_insert(format!("teardown failed: {e}"));
    }
    record.duration_ms = t0.elapsed().as_millis() as u64;
    write(&record, &dir);
    info!(scenario = %suite.name, as_expected = record.as_expected(), dir = %dir.display(), "scenario finished");
    record
}

/// Each node's data dir (every node that has a container), read out of the container.
async fn data_usage(cluster: &Cluster) -> Vec<crate::check::DiskUsage> {
    let path = crate::flavor::data_path(cluster.spec().flavor);
    let mut out = vec![];
    for n in cluster.nodes() {
        let Some(id) = &n.container_id else { continue };
        match cluster.download(id, path).await {
            Ok(tar) => {
                let (bytes, files) = crate::check::tar_usage(&tar);
                out.push(crate::check::DiskUsage {
                    node: n.name().to_string(),
                    bytes,
                    files,
                });
            }
            Err(e) => warn!(node = n.name(), error = %e, "data dir not measured"),
        }
    }
    out
}

/// The flavor's catalogue followed by the suite's own `[[signatures]]`.
fn catalogue(mut flavor: Vec<Signature>, suite: &Suite) -> Vec<Signature> {
    flavor.extend(suite.signatures.iter().map(|s| s.to_signature()));
    flavor
}

/// Bring-up and upgrade steps restart nodes as a restart fault does: a window (no targets)
/// for the signatures check's transient texts. Other steps: none.
fn restart_window(i: usize, step: &Step, start_ms: u64, end_ms: u64) -> Option<FaultWindow> {
    let kind = match step {
        Step::Start { .. } => "bring_up",
        Step::Upgrade { .. } => "upgrade",
        _ => return None,
    };
    Some(FaultWindow {
        id: format!("step{}", i + 1),
        kind: kind.into(),
        description: super::steps::describe(step),
        targets: vec![],
        start_ms,
        end_ms: Some(end_ms),
        proof: vec![],
        heal_proof: vec![],
    })
}

fn write(record: &RunRecord, dir: &Path) {
    if let Err(e) = std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|_| crate::report::write_all(record, dir).map_err(|e| e.to_string()))
    {
        warn!(error = %e, "writing the report failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bring_up_and_upgrade_steps_are_windows_others_not() {
        let start = Step::Start {
            timeout: Duration::from_secs(1),
            nodes: None,
            order: None,
            stagger: None,
            may_fail: false,
        };
        let w = restart_window(0, &start, 0, 900).unwrap();
        assert_eq!((w.id.as_str(), w.kind.as_str()), ("step1", "bring_up"));
        assert_eq!((w.start_ms, w.end_ms), (0, Some(900)));
        assert!(w.targets.is_empty());
        let hold = Step::Hold {
            duration: Duration::from_secs(1),
        };
        assert!(restart_window(1, &hold, 5, 9).is_none());
    }

    fn suite_with(signatures: &str) -> crate::error::Result<Suite> {
        let text = format!(
            "name = \"x\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n\
             [[steps]]\naction = \"start\"\n{signatures}"
        );
        Suite::parse("x.toml", &text)
    }

    #[rstest::rstest]
    #[case::bad_regex("name = \"a\"\npattern = \"(\"\nsource = \"log\"", "not a regex")]
    #[case::any_source(
        "name = \"a\"\npattern = \"x\"\nsource = \"any\"",
        "must be \"api\" or \"log\""
    )]
    #[case::empty_match(
        "name = \"a\"\npattern = \"x*\"\nsource = \"api\"",
        "matches the empty line"
    )]
    #[case::bad_name("name = \"a b\"\npattern = \"x\"\nsource = \"api\"", "use letters")]
    #[case::flavor_id(
        "name = \"rnacos-unknown-leader\"\npattern = \"x\"\nsource = \"api\"",
        "already used"
    )]
    fn bad_suite_signatures_are_refused(#[case] entry: &str, #[case] want: &str) {
        let e = suite_with(&format!("[[signatures]]\n{entry}\n")).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }

    #[test]
    fn duplicate_suite_signature_is_refused_and_good_ones_parse() {
        let one = "[[signatures]]\nname = \"a\"\npattern = \"x\"\nsource = \"api\"\n";
        let s = suite_with(one).unwrap();
        assert_eq!(s.signatures.len(), 1);
        let e = suite_with(&format!("{one}{one}")).unwrap_err();
        assert!(e.to_string().contains("already used"), "{e}");
        let unknown = suite_with(
            "[[signatures]]\nname = \"a\"\npattern = \"x\"\nsource = \"api\"\nwhat = 1\n",
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn suite_signatures_follow_the_flavor_catalogue() {
        let suite = Suite::parse(
            "x.toml",
            r#"
name = "x"
[cluster]
flavor = "rnacos"
[versions]
from = ["0.8.8"]
[[steps]]
action = "start"
[[signatures]]
name = "suite-text"
pattern = "boom [0-9]+"
source = "log"
"#,
        )
        .unwrap();
        let flavor = crate::flavor::for_kind(crate::flavor::FlavorKind::RNacos).signatures();
        let n = flavor.len();
        let all = catalogue(flavor, &suite);
        assert_eq!(all.len(), n + 1);
        assert_eq!(all[n].id, "suite-text");
    }
}

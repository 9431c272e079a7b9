//! One run of one suite, as named phases: **prepare** (images, record, cluster), **steps**
//! (each step observed before and after), **quiesce** (heal every fault, stop the workload,
//! read every key back), **collect** (boot memberships, data dirs, logs, observations),
//! **analyze** (the checks; a repro bundle where the run was not as expected), **teardown**
//! (remove every container, write the record).
//!
//! [`super::run`] (the CLI's runner) and Rust tests use the same [`Harness`]:
//!
//! ```no_run
//! # async fn demo(suite: &nacos_chaos::scenario::Suite) {
//! use nacos_chaos::scenario::Harness;
//! let record = Harness::new(suite).run().await;
//! println!("{}: as expected: {}", record.scenario, record.as_expected());
//! # }
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use tracing::{info, warn};

use super::runner::{
    RunOptions, catalogue, data_usage, provision, restart_window, waits_for, write,
};
use super::steps::{Ctx, describe, execute};
use super::suite::Suite;
use crate::check::{CheckInput, NodeLog, all};
use crate::cluster::{Cluster, ClusterSpec};
use crate::docker::new_run_id;
use crate::fault::{FaultWindow, Nemesis};
use crate::report::{RunRecord, SCHEMA_VERSION, StepRecord};

/// A suite, the versions it runs at, and where its record goes: [`Harness::run`] runs it.
#[derive(Debug, Clone)]
pub struct Harness<'a> {
    suite: &'a Suite,
    from: &'a str,
    to: Option<&'a str>,
    opts: RunOptions,
}

impl<'a> Harness<'a> {
    /// `suite` at its first from-version (upgrading to its first to-version, if it names
    /// one), default [`RunOptions`] (results under `results/<run-id>/`).
    pub fn new(suite: &'a Suite) -> Self {
        let first = |v: &'a [String]| v.first().map(String::as_str);
        Harness {
            suite,
            from: first(&suite.versions.from).unwrap_or_default(),
            to: first(&suite.versions.to),
            opts: RunOptions::default(),
        }
    }

    /// Run at `from`, upgrade steps moving to `to` (`None`: no upgrade), instead of the
    /// suite's first pair.
    pub fn versions(mut self, from: &'a str, to: Option<&'a str>) -> Self {
        (self.from, self.to) = (from, to);
        self
    }

    /// Where results go, which registry, which run id.
    pub fn options(mut self, opts: RunOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Every phase in order. Never panics: a failure is recorded in the returned record
    /// (`error`), everything is healed and torn down, and the record is written.
    pub async fn run(self) -> RunRecord {
        let mut run = match self.prepare().await {
            Ok(run) => run,
            Err(record) => return record,
        };
        run.steps().await;
        run.quiesce().await;
        let logs = run.collect().await;
        run.analyze(&logs);
        run.teardown().await
    }

    /// Provide the images (their own clock: a first-time build is not scenario time), start
    /// the record, create the cluster. `Err`: the record of a run that could not begin,
    /// already written.
    async fn prepare(self) -> Result<Run<'a>, RunRecord> {
        let run_id = self.opts.run_id.clone().unwrap_or_else(new_run_id);
        let dir = self.opts.results.join(&run_id);
        let t_images = Instant::now();
        let refused = self.suite.not_implemented();
        // A suite the harness cannot run yet is refused before anything is provided.
        let images = match refused {
            Some(_) => Ok(()),
            None => provision(self.suite, self.from, self.to, &self.opts, &run_id).await,
        };
        let provision_ms = t_images.elapsed().as_millis() as u64;
        let t0 = Instant::now();
        let mut record = self.blank_record(&run_id, provision_ms);
        let begun = match (refused, images) {
            (Some(what), _) => Err(crate::error::Error::NotImplemented {
                flavor: self.suite.cluster.flavor.to_string(),
                what,
                fix: "`nacos-chaos validate` accepts the suite; run only suites without it for now"
                    .into(),
            }
            .to_string()),
            (None, Err(e)) => Err(format!("images could not be provided: {e}")),
            (None, Ok(())) => {
                info!(scenario = %self.suite.name, versions = %record.version_label(), run = %run_id, "scenario starting");
                Cluster::create_with_run_id(self.cluster_spec(), run_id.clone())
                    .await
                    .map_err(|e| format!("cluster could not be created: {e}"))
            }
        };
        let cluster = match begun {
            Ok(cluster) => cluster,
            Err(why) => {
                record.error = Some(why);
                record.duration_ms = t0.elapsed().as_millis() as u64;
                write(&record, &dir);
                return Err(record);
            }
        };
        record.engine = cluster.engine().version().to_string();
        Ok(Run {
            ctx: Ctx {
                suite: self.suite,
                from: self.from,
                to: self.to,
                nemesis: Nemesis::default(),
                workload: None,
                record,
                results_dir: dir.clone(),
                boot_faults: vec![],
            },
            cluster,
            step_windows: vec![],
            dir,
            t0,
        })
    }

    /// The record before anything ran.
    fn blank_record(&self, run_id: &str, provision_ms: u64) -> RunRecord {
        let suite = self.suite;
        RunRecord {
            schema_version: SCHEMA_VERSION,
            run_id: run_id.to_string(),
            scenario: suite.name.clone(),
            suite_file: suite.path.as_ref().map(|p| p.display().to_string()),
            flavor: suite.cluster.flavor,
            from_version: self.from.to_string(),
            to_version: self.to.map(String::from),
            nodes: suite.cluster.nodes,
            seed: suite.seed,
            started: SystemTime::now(),
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
        }
    }

    /// The cluster the suite describes, at the from-version.
    fn cluster_spec(&self) -> ClusterSpec {
        let c = &self.suite.cluster;
        ClusterSpec {
            flavor: c.flavor,
            version: self.from.to_string(),
            nodes: c.nodes,
            identity: c.identity,
            mode: c.mode,
            registry: self.opts.registry.clone(),
            tuning: c
                .tuning
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            naming: super::render::node_naming(self.suite),
        }
    }
}

/// A run under way: the cluster, what the steps built, the clock.
struct Run<'a> {
    ctx: Ctx<'a>,
    cluster: Cluster,
    /// Bring-up and upgrade steps, as windows for the signatures check.
    step_windows: Vec<FaultWindow>,
    dir: PathBuf,
    t0: Instant,
}

impl Run<'_> {
    /// Every step in order, observed before and after so the timeline has no stale stretches;
    /// the first failing step ends the phase and is the run's error.
    async fn steps(&mut self) {
        let suite = self.ctx.suite;
        let total = suite.steps.len();
        for (i, step) in suite.steps.iter().enumerate() {
            let step = step.get_ref();
            let (start_ms, t) = (self.cluster.now_ms(), Instant::now());
            info!(
                "[{}] step {}/{total}: {}{}",
                suite.name,
                i + 1,
                describe(step),
                waits_for(step)
            );
            self.cluster.observe().await;
            let result = execute(&mut self.ctx, &mut self.cluster, step).await;
            self.cluster.observe().await;
            let (ok, detail) = match result {
                Ok(detail) => (true, detail),
                Err(e) => (false, e.to_string()),
            };
            let verb = if ok { "done" } else { "FAILED" };
            info!(
                "[{}] step {}/{total} {verb} in {:.1?}: {detail}",
                suite.name,
                i + 1,
                t.elapsed()
            );
            let end_ms = self.cluster.now_ms();
            self.ctx.record.steps.push(StepRecord {
                name: describe(step),
                start_ms,
                end_ms,
                ok,
                detail: detail.clone(),
            });
            self.step_windows
                .extend(restart_window(i, step, start_ms, end_ms));
            if !ok {
                let why = format!("step {} ({}) failed: {detail}", i + 1, describe(step));
                self.ctx.record.error = Some(why);
                break;
            }
        }
    }

    /// Heal everything, stop the probes, read every written key back from every node.
    async fn quiesce(&mut self) {
        if let Err(e) = self.ctx.nemesis.heal_all(&mut self.cluster).await {
            warn!(error = %e, "healing failed");
            self.ctx
                .record
                .error
                .get_or_insert(format!("heal failed: {e}"));
        }
        if let Some(w) = self.ctx.workload.take() {
            self.ctx.record.history = w.stop().await;
        }
        let record = &mut self.ctx.record;
        if !record.history.ops.is_empty() {
            let (settle, timeout) = (Duration::from_secs(3), Duration::from_secs(15));
            record.final_reads =
                crate::workload::final_reads(&self.cluster, &record.history, settle, timeout).await;
        }
    }

    /// Boot memberships, data dir sizes, node logs (returned: the signatures check reads
    /// them, the record keeps their paths), observations, faults, configured members.
    async fn collect(&mut self) -> Vec<NodeLog> {
        let record = &mut self.ctx.record;
        match self.cluster.boot_memberships().await {
            Ok(boots) => record.boot_memberships = boots.unwrap_or_default(),
            Err(e) => {
                warn!(error = %e, "boot memberships unreadable; restart safety not judged");
                record.boot_memberships_unread = Some(e.to_string());
            }
        }
        record.disk = data_usage(&self.cluster).await;
        let logs = self
            .cluster
            .collect_logs(&self.dir)
            .await
            .unwrap_or_else(|e| {
                warn!(error = %e, "log collection failed");
                vec![]
            });
        record.logs = logs
            .iter()
            .map(|l| format!("logs/{}/{}", l.node, l.file))
            .collect();
        record.faults = self.ctx.nemesis.windows();
        record.observations = self.cluster.observations().to_vec();
        record.attempts = self.cluster.bringup_attempts();
        record.configured_members = self.cluster.configured_peers();
        logs
    }

    /// Every check over the record; where the run was not as expected, a repro bundle.
    fn analyze(&mut self, logs: &[NodeLog]) {
        let suite = self.ctx.suite;
        let record = &self.ctx.record;
        let catalog = catalogue(self.cluster.flavor().signatures(), suite);
        let windows: Vec<FaultWindow> = record
            .faults
            .iter()
            .chain(&self.step_windows)
            .cloned()
            .collect();
        let verdicts = all(&CheckInput {
            history: &record.history,
            final_reads: &record.final_reads,
            boot_memberships: &record.boot_memberships,
            boot_unread: record.boot_memberships_unread.as_deref(),
            observations: &record.observations,
            checkpoints: &record.checkpoints,
            faults: &windows,
            logs,
            catalog: &catalog,
            thresholds: &suite.thresholds,
            configured: &record.configured_members,
            disk: &record.disk,
        });
        // Verdicts a step recorded (a rehearsal's) come after the checks'; an expected
        // rehearsal outcome nothing answered is a skip.
        let from_steps = std::mem::take(&mut self.ctx.record.verdicts);
        self.ctx.record.verdicts = verdicts;
        self.ctx
            .record
            .verdicts
            .extend(crate::rehearse::verdicts::with_unanswered(
                from_steps,
                &suite.expect,
            ));
        let record = &self.ctx.record;
        if !record.as_expected()
            && let Err(e) = super::repro::write_repro(&self.cluster, record, &self.dir)
        {
            warn!(error = %e, "repro export failed");
        }
    }

    /// Remove every container, network and volume of the run; write the record.
    async fn teardown(mut self) -> RunRecord {
        let mut record = self.ctx.record;
        if let Err(e) = self.cluster.teardown().await {
            record.error.get_or_insert(format!("teardown failed: {e}"));
        }
        record.duration_ms = self.t0.elapsed().as_millis() as u64;
        write(&record, &self.dir);
        info!(scenario = %record.scenario, as_expected = record.as_expected(), dir = %self.dir.display(), "scenario finished");
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A suite the harness cannot run yet ends in prepare: nothing provided, no cluster, no
    /// steps, no verdicts, and the record still written with the reason and its fix.
    #[tokio::test]
    async fn a_refused_suite_ends_in_prepare_with_its_record_written() {
        let suite = Suite::parse(
            "refused.toml",
            "name = \"refused\"\n[cluster]\nflavor = \"rnacos\"\n\
             [versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n\
             [[steps]]\naction = \"admin\"\nop = \"join_node\"\nnode = \"n2\"\n",
        )
        .unwrap();
        let results = tempfile::tempdir().unwrap();
        let opts = RunOptions {
            results: results.path().to_path_buf(),
            run_id: Some("rtest".into()),
            ..RunOptions::default()
        };
        let record = Harness::new(&suite).options(opts).run().await;
        let error = record.error.as_deref().unwrap_or_default();
        assert!(
            error.starts_with("not implemented yet for rnacos: step 2: admin op join_node"),
            "{error}"
        );
        assert!(error.contains("fix: "), "{error}");
        assert!(
            record.steps.is_empty() && record.verdicts.is_empty(),
            "{record:?}"
        );
        assert_eq!(
            (record.from_version.as_str(), record.to_version.as_deref()),
            ("0.8.8", None)
        );
        let written = results
            .path()
            .join("rtest")
            .join(crate::report::VERDICT_FILE);
        assert!(written.is_file(), "{} not written", written.display());
    }

    /// The first pair of the suite's versions unless told otherwise.
    #[test]
    fn versions_default_to_the_suites_first_pair() {
        let suite = Suite::rnacos("v", "0.7.3")
            .versions(&["0.7.3", "0.6.0"], &["0.8.8"])
            .step(super::super::Step::start())
            .build()
            .unwrap();
        let h = Harness::new(&suite);
        assert_eq!((h.from, h.to), ("0.7.3", Some("0.8.8")));
        let h = h.versions("0.6.0", None);
        assert_eq!((h.from, h.to), ("0.6.0", None));
    }
}

//! Runs one suite against one version pair on a fresh cluster, and returns its record
//! (through [`Harness`]), and the helpers its phases share. Everything is healed and torn
//! down at the end, also when a step fails.

use std::path::{Path, PathBuf};

use tracing::warn;

use super::harness::Harness;
use super::suite::{Step, Suite};
use crate::cluster::Cluster;
use crate::fault::FaultWindow;
use crate::flavor::Signature;
use crate::report::RunRecord;

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
pub(super) fn waits_for(step: &super::Step) -> String {
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
pub(super) async fn provision(
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

/// Run `suite` from `from` (upgrading to `to`, if any): [`Harness::run`]. Never panics:
/// failures are recorded in the returned record (`error`) and the cluster is torn down.
pub async fn run(suite: &Suite, from: &str, to: Option<&str>, opts: &RunOptions) -> RunRecord {
    Harness::new(suite)
        .versions(from, to)
        .options(opts.clone())
        .run()
        .await
}

/// Each node's data dir (every node that has a container), read out of the container.
pub(super) async fn data_usage(cluster: &Cluster) -> Vec<crate::check::DiskUsage> {
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
pub(super) fn catalogue(mut flavor: Vec<Signature>, suite: &Suite) -> Vec<Signature> {
    flavor.extend(suite.signatures.iter().map(|s| s.to_signature()));
    flavor
}

/// Bring-up and upgrade steps restart nodes as a restart fault does: a window (no targets)
/// for the signatures check's transient texts. Other steps: none.
pub(super) fn restart_window(
    i: usize,
    step: &Step,
    start_ms: u64,
    end_ms: u64,
) -> Option<FaultWindow> {
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

pub(super) fn write(record: &RunRecord, dir: &Path) {
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
    use std::time::Duration;

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

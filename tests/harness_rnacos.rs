//! The crate-root example (`src/lib.rs`), for real: a Rust test through the library's
//! [`Harness`], the pipeline `nacos-chaos run` uses. Needs Docker and the image
//! `nacos-chaos/rnacos:0.8.8`; without either it says SKIP (under CI=true it fails).

mod common;

use std::time::Duration;

use nacos_chaos::{
    check::Status,
    fault::{Fault, Partition, Targets},
    scenario::{Harness, RunOptions, Step, Suite},
};

/// The example's body, line for line, plus: a skip when the image is absent (this test never
/// builds it), results in a temporary directory, and the whole record on failure.
#[tokio::test]
async fn isolating_the_leader_loses_no_acknowledged_write() -> nacos_chaos::Result<()> {
    let Some(engine) = common::engine_or_skip("harness_isolate_leader").await else {
        return Ok(());
    };
    let image = format!("{}:{}", nacos_chaos::image::RNACOS_REPO, common::RNACOS_TO);
    if !engine.image_exists(&image).await? {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{image} is required under CI=true"
        );
        common::skip(
            "harness_isolate_leader",
            &format!("image {image} not built"),
        );
        return Ok(());
    }
    let results = tempfile::tempdir().expect("temp dir");
    let opts = RunOptions {
        results: results.path().to_path_buf(),
        ..RunOptions::default()
    };

    let isolate = Fault::Partition {
        partition: Partition::Isolate(Targets::Leader),
    };
    let suite = Suite::rnacos("isolate-leader", common::RNACOS_TO)
        .steps([
            Step::start(),
            Step::workload(true),
            Step::fault(isolate, Duration::from_secs(20)),
            Step::wait_leader(),
        ])
        .build()?;
    let record = Harness::new(&suite).options(opts).run().await;
    let verdicts = serde_json::to_string_pretty(&record.verdicts).unwrap_or_default();
    assert_eq!(record.error, None, "{verdicts}");
    assert_eq!(
        record.status_of("durability"),
        Some(Status::Pass),
        "{verdicts}"
    );
    assert_eq!(record.status_of("leader"), Some(Status::Pass), "{verdicts}");
    // The fault really was applied and healed, on the leader alone.
    let fault = record
        .faults
        .iter()
        .find(|f| f.kind == "partition")
        .expect("a partition window");
    assert_eq!(
        (fault.targets.len(), fault.end_ms.is_some()),
        (1, true),
        "{fault:?}"
    );
    assert!(
        !record.history.ops.is_empty(),
        "the workload recorded nothing"
    );
    Ok(())
}

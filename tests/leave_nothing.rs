//! A run that dies — killed mid-run, or panicking — leaves nothing behind: `gc --run`
//! removes exactly what a killed run left (and nothing of other runs), and a panicking
//! test's cluster is removed by its drop guard.

mod common;

use std::process::Command;
use std::time::Duration;

use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::docker::{Engine, new_run_id};
use nacos_chaos::poll::Poll;

const BIN: &str = env!("CARGO_BIN_EXE_nacos-chaos");

/// `nacos-chaos up` of a 3-node cluster under run id `run` (stderr piped for assertions).
fn spawn_up(run: &str) -> std::process::Child {
    Command::new(BIN)
        .args(["up", "--nodes", "3", "--timeout", "600s", "--run-id", run])
        .args(["--version", common::RNACOS_TO])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn nacos-chaos up")
}

/// Poll (every 50 ms, 120 s deadline) until run `run` owns at least `n` containers; fails if
/// the child process exits first. Returns what the run owns at that moment.
async fn wait_for_containers(
    engine: &Engine,
    run: &str,
    n: usize,
    child: &mut std::process::Child,
) -> nacos_chaos::docker::gc::Inventory {
    let mut poll = Poll::new(
        format!("run {run} to own {n} container(s)"),
        Duration::from_secs(120),
    )
    .every(Duration::from_millis(50));
    loop {
        let inv = engine.inventory(Some(run)).await.unwrap();
        if inv.containers.len() >= n {
            return inv;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "run {run} exited before being interrupted"
        );
        poll.next(format!("owns {inv:?}")).await.unwrap();
    }
}

#[tokio::test]
async fn gc_removes_exactly_what_a_killed_run_left() {
    let Some(engine) = common::engine_or_skip("gc_after_kill").await else {
        return;
    };
    // Another run's resource that must survive.
    let other = Engine::connect(new_run_id()).await.unwrap();
    let sentinel = format!("nchaos-{}-sentinel", other.run_id());
    other.create_volume(&sentinel, "n0").await.unwrap();

    let run = new_run_id();
    let mut child = spawn_up(&run);
    // Wait until the run owns at least one container, then kill it.
    let left = wait_for_containers(&engine, &run, 1, &mut child).await;
    child.kill().expect("SIGKILL the run");
    child.wait().unwrap();
    let left = {
        // Re-read after the kill: the run may have created more before dying.
        let now = engine.inventory(Some(&run)).await.unwrap();
        assert!(now.containers.len() >= left.containers.len());
        now
    };
    assert!(!left.is_empty() && left.networks.len() == 1, "{left:?}");

    let out = Command::new(BIN)
        .args(["gc", "--run", &run])
        .output()
        .expect("gc");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for name in left
        .containers
        .iter()
        .chain(&left.networks)
        .chain(&left.volumes)
    {
        assert!(
            text.contains(name.as_str()),
            "gc output does not list {name}: {text}"
        );
    }
    assert!(
        text.contains(&format!(
            "removed {} containers, {} networks, {} volumes",
            left.containers.len(),
            left.networks.len(),
            left.volumes.len()
        )),
        "{text}"
    );
    assert!(engine.inventory(Some(&run)).await.unwrap().is_empty());
    // The other run's volume is untouched.
    let others = other.inventory(Some(other.run_id())).await.unwrap();
    assert_eq!(others.volumes, vec![sentinel.clone()]);
    other.gc(Some(other.run_id())).await.unwrap();
}

#[test]
fn a_panicking_test_leaves_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(engine) = rt.block_on(common::engine_or_skip("panic_cleanup")) else {
        return;
    };
    let run = new_run_id();
    let run2 = run.clone();
    let result = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let mut c =
                Cluster::create_with_run_id(ClusterSpec::rnacos(common::RNACOS_TO, 3), run2)
                    .await
                    .expect("create");
            c.start_node(1, None).await.expect("start n1");
            panic!("simulated test failure with a live cluster");
        })
    })
    .join();
    assert!(result.is_err(), "the thread should have panicked");
    let inv = rt.block_on(engine.inventory(Some(&run))).unwrap();
    assert!(inv.is_empty(), "left behind after panic: {inv:?}");
}

#[tokio::test]
async fn an_interrupted_run_tears_itself_down() {
    let Some(engine) = common::engine_or_skip("sigint_cleanup").await else {
        return;
    };
    let run = new_run_id();
    let mut child = spawn_up(&run);
    wait_for_containers(&engine, &run, 1, &mut child).await;
    // Ctrl-C, as a user would.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left = engine.inventory(Some(&run)).await.unwrap();
    assert!(left.is_empty(), "an interrupted run left {left:?}");
}

#[tokio::test]
async fn an_interrupted_scenario_leaves_nothing() {
    let Some(engine) = common::engine_or_skip("sigint_scenario").await else {
        return;
    };
    let results = tempfile::tempdir().unwrap();
    let run = new_run_id();
    let mut child = Command::new(BIN)
        .args([
            "run",
            "suites/rnacos-restart-control.toml",
            "--run-id",
            &run,
            "--results",
        ])
        .arg(results.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn nacos-chaos run");
    // Wait until the scenario's cluster is up (three node containers), then interrupt.
    wait_for_containers(&engine, &run, 3, &mut child).await;
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left = engine.inventory(Some(&run)).await.unwrap();
    assert!(left.is_empty(), "an interrupted scenario left {left:?}");
}

/// An interrupted run can have a create request in flight: the engine creates the container
/// after gc listed the run, and the volume it mounts is then "in use" (CI saw exactly this:
/// 409 on `remove volume` during an interrupted `up`). gc must outlast such a holder rather
/// than give up on the first conflict. Here another run's container (which gc of this run
/// does not list) holds the volume for 3 s and then removes itself; gc starts while it runs.
#[tokio::test]
async fn gc_outlasts_a_volume_held_by_a_container_it_did_not_list() {
    use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType};
    use bollard::query_parameters::{CreateContainerOptionsBuilder, StartContainerOptions};

    let Some(engine) = common::engine_or_skip("gc_in_use").await else {
        return;
    };
    let image = nacos_chaos::image::ensure_tools(&engine)
        .await
        .expect("tools image");
    let run = Engine::connect(new_run_id()).await.unwrap();
    let volume = format!("nchaos-{}-n1-data", run.run_id());
    run.create_volume(&volume, "n1").await.unwrap();
    let other = Engine::connect(new_run_id()).await.unwrap();
    let holder = format!("nchaos-{}-holder", other.run_id());
    let body = ContainerCreateBody {
        image: Some(image),
        cmd: Some(vec!["sleep".into(), "3".into()]),
        labels: Some(other.labels(&[])),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            auto_remove: Some(true),
            mounts: Some(vec![Mount {
                target: Some("/data".into()),
                source: Some(volume.clone()),
                typ: Some(MountType::VOLUME),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::new().name(&holder).build();
    let docker = other.client();
    docker.create_container(Some(opts), body).await.unwrap();
    docker
        .start_container(&holder, None::<StartContainerOptions>)
        .await
        .unwrap();
    assert_eq!(
        other.state(&holder).await.unwrap().as_deref(),
        Some("running"),
        "the holder must hold the volume when gc starts"
    );

    let removed = run
        .gc(Some(run.run_id()))
        .await
        .expect("gc outlasts the holder");
    assert_eq!(removed.volumes, vec![volume]);
    assert!(run.inventory(Some(run.run_id())).await.unwrap().is_empty());
    assert_eq!(other.state(&holder).await.unwrap(), None, "holder gone");
    other.gc(Some(other.run_id())).await.unwrap();
}

//! Benchmark: bring-up of a 3-node r-nacos cluster to an agreed leader with every node a
//! voter — nacos-chaos versus a `docker-compose up` + `curl` poll baseline on the same
//! images, the same sequential join, the same 100 ms poll. Prints a table and the ratio.
//!
//! `cargo bench --bench bringup` (iterations: NACOS_CHAOS_BENCH_ITERS, default 3).

use std::process::Command;
use std::time::{Duration, Instant};

use nacos_chaos::cluster::{Cluster, ClusterSpec};

const VERSION: &str = "0.8.8";

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

async fn harness_once() -> f64 {
    let t = Instant::now();
    let mut c = Cluster::create(ClusterSpec::rnacos(VERSION, 3))
        .await
        .expect("create");
    c.start_all(Duration::from_secs(120))
        .await
        .expect("bring-up");
    let secs = t.elapsed().as_secs_f64();
    c.teardown().await.expect("teardown");
    secs
}

fn curl(port: &str) -> Option<serde_json::Value> {
    let out = Command::new("curl")
        .args([
            "-s",
            "-m",
            "1",
            &format!("http://127.0.0.1:{port}/nacos/v1/raft/metrics"),
        ])
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn compose(file: &std::path::Path, project: &str, args: &[&str]) -> String {
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(file)
        .args(["-p", project])
        .args(args)
        .output()
        .expect("docker-compose");
    assert!(
        out.status.success(),
        "docker-compose {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// docker-compose up one node at a time, curl-polling metrics every 100 ms until it has
/// joined as a voter (node 1: until it leads).
async fn baseline_once() -> f64 {
    let c = Cluster::create(ClusterSpec::rnacos(VERSION, 3))
        .await
        .expect("create");
    let yaml = nacos_chaos::scenario::compose_yaml(&c).expect("compose");
    let run = c.run_id().to_string();
    let mut c = c;
    c.teardown().await.expect("free the subnet");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker-compose.yml");
    std::fs::write(&file, yaml).unwrap();
    let project = format!("bench{run}");
    let t = Instant::now();
    for i in 1..=3 {
        let svc = format!("n{i}");
        compose(&file, &project, &["up", "-d", "--no-deps", &svc]);
        let port = compose(&file, &project, &["port", &svc, "8848"]);
        let port = port.trim().rsplit(':').next().unwrap_or("").to_string();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let ok = curl(&port).is_some_and(|m| {
                let members = m["membership_config"]["members"]
                    .as_array()
                    .map(|a| a.len())
                    .unwrap_or(0);
                let state = m["state"].as_str().unwrap_or("");
                (i == 1 && state == "Leader") || (i > 1 && state == "Follower" && members >= i)
            });
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "baseline n{i} never joined");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    compose(&file, &project, &["down", "-v"]);
    secs
}

fn main() {
    let iters: usize = std::env::var("NACOS_CHAOS_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let engine = nacos_chaos::docker::Engine::connect("bench")
            .await
            .expect("docker");
        nacos_chaos::image::ensure_rnacos(&engine, VERSION)
            .await
            .expect("image");
    });
    let (mut h, mut b) = (vec![], vec![]);
    for i in 0..iters {
        h.push(rt.block_on(harness_once()));
        b.push(rt.block_on(baseline_once()));
        println!(
            "iteration {}: nacos-chaos {:.2} s, compose+curl {:.2} s",
            i + 1,
            h[i],
            b[i]
        );
    }
    let (mh, mb) = (median(&mut h), median(&mut b));
    println!(
        "\nbring-up of 3 r-nacos {VERSION} nodes to an agreed leader, all voters ({iters} iterations, median)"
    );
    println!("  nacos-chaos (create network+volumes, start, observe)  {mh:.2} s");
    println!("  docker-compose up + curl poll (same order, same poll) {mb:.2} s");
    println!(
        "  ratio nacos-chaos / baseline                          {:.2}",
        mh / mb
    );
}

//! `nacos-chaos validate SUITE..`: parses, checks and renders suites without Docker; every
//! error at `file:line:column`; `--render` shows exactly what each node would start as.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nacos-chaos");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        // No engine is needed: make sure none is reached.
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(args)
        .output()
        .expect("run the CLI");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn shipped() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("suites")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    v.sort();
    assert!(v.len() >= 6, "{v:?}");
    v
}

fn args(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

#[test]
fn every_shipped_suite_validates() {
    let suites = shipped();
    let mut a = vec!["validate"];
    a.extend(args(&suites));
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "{out}{err}");
    for p in &suites {
        assert!(out.contains(&format!("ok  {}", p.display())), "{out}");
    }
}

#[test]
fn render_prints_every_node_of_every_version_as_json() {
    let suites = shipped();
    let mut a = vec!["validate", "--render"];
    a.extend(args(&suites));
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v["note"].as_str().unwrap().contains("placeholder"), "{v}");
    let rendered = v["suites"].as_array().unwrap();
    assert_eq!(rendered.len(), suites.len());
    for (s, p) in rendered.iter().zip(&suites) {
        let suite = nacos_chaos::scenario::Suite::load(p).unwrap();
        assert_eq!(s["file"], p.to_str().unwrap());
        let want: BTreeSet<&str> = suite
            .versions
            .from
            .iter()
            .chain(&suite.versions.to)
            .map(String::as_str)
            .collect();
        let versions = s["versions"].as_array().unwrap();
        let got: BTreeSet<&str> = versions
            .iter()
            .map(|v| v["version"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{}", p.display());
        for ver in versions {
            let nodes = ver["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), suite.cluster.nodes, "{}", p.display());
            for (i, n) in nodes.iter().enumerate() {
                assert_eq!(n["node"], format!("n{}", i + 1));
                let image = n["image"].as_str().unwrap();
                assert!(image.ends_with(ver["version"].as_str().unwrap()), "{image}");
                assert!(!n["ports"].as_array().unwrap().is_empty());
                assert!(n["env"].as_object().is_some_and(|e| !e.is_empty()));
                assert!(n.get("command").is_some());
                assert!(n["ip"].as_str().unwrap().starts_with("10.231.0."));
            }
        }
    }
}

#[test]
fn render_shows_what_a_node_is_told() {
    let (code, out, err) = run(&["validate", "--render", "suites/rnacos-rolling-upgrade.toml"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let n2 = &v["suites"][0]["versions"][0]["nodes"][1];
    assert_eq!(n2["env"]["RNACOS_RAFT_NODE_ID"], "2");
    assert_eq!(
        n2["env"]["RNACOS_RAFT_NODE_ADDR"],
        format!("{}:9848", n2["ip"].as_str().unwrap())
    );
    // n2 joins n1.
    let n1_ip = v["suites"][0]["versions"][0]["nodes"][0]["ip"]
        .as_str()
        .unwrap();
    assert_eq!(n2["env"]["RNACOS_RAFT_JOIN_ADDR"], format!("{n1_ip}:9848"));
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

const HEAD: &str = "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.7.3\"]\nto = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n";

#[test]
fn every_bad_suite_is_reported_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let order = write(
        &dir,
        "order.toml",
        &format!("{HEAD}[[steps]]\naction = \"upgrade\"\norder = [\"n1\", \"n4\", \"n2\"]\n"),
    );
    let prob = write(
        &dir,
        "prob.toml",
        &format!(
            "{HEAD}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"loss\", nodes = \"all\", probability = 1.5 }}\n"
        ),
    );
    let thr = write(
        &dir,
        "thr.toml",
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[thresholds]\nmin_success_ratio = 90\n[[steps]]\naction = \"start\"\n",
    );
    let re = write(
        &dir,
        "re.toml",
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[expect]\nleader = { status = \"fail\", reason = \"[z-a]\" }\n[[steps]]\naction = \"start\"\n",
    );
    let (code, out, err) = run(&[
        "validate",
        &order,
        "suites/rnacos-restart-control.toml",
        &prob,
        &thr,
        &re,
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(all.contains(&format!("{order}:11:16: ")), "{all}");
    assert!(all.contains(&format!("{prob}:11:41: ")), "{all}");
    assert!(all.contains(&format!("{thr}:7:1: ")), "{all}");
    assert!(all.contains(&format!("{re}:7:38: ")), "{all}");
    // The good one among them is still validated and said to be fine.
    assert!(
        out.contains("ok  suites/rnacos-restart-control.toml"),
        "{out}"
    );
    assert!(err.contains("4 of 5 suite(s) invalid"), "{err}");
}

/// The vocabulary: both example suites validate; a stagger that is not a duration is
/// rejected at its value.
#[test]
fn membership_vocabulary_validates_and_a_bad_stagger_is_placed() {
    let (code, out, err) = run(&[
        "validate",
        "suites/vocabulary-example.toml",
        "suites/official-admin-example.toml",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let dir = tempfile::tempdir().unwrap();
    let soon = write(
        &dir,
        "soon.toml",
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\nnodes = [\"n1\", \"n2\"]\nstagger = \"soon\"\n",
    );
    let (code, out, err) = run(&["validate", &soon]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!("{soon}:9:11: stagger = \"soon\": not a duration")),
        "{err}"
    );
}

#[test]
fn render_errors_point_at_what_caused_them() {
    let dir = tempfile::tempdir().unwrap();
    let tuning = write(
        &dir,
        "tuning.toml",
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\ntuning = { snapshot_log_size = \"100\", election_timeout_ms = \"5000\" }\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n",
    );
    let version = write(
        &dir,
        "version.toml",
        "name = \"t\"\n[cluster]\nflavor = \"official\"\n[versions]\nfrom = [\"2.4.1\", \"1.4.0\"]\n[[steps]]\naction = \"start\"\n",
    );
    let (code, out, err) = run(&["validate", &tuning, &version]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(&format!("{tuning}:4:39: ")), "{err}");
    assert!(err.contains("election_timeout_ms"), "{err}");
    assert!(err.contains(&format!("{version}:5:18: ")), "{err}");
    assert!(err.contains("1.4.0"), "{err}");
}

#[test]
fn a_missing_suite_is_invalid_not_a_crash() {
    let (code, out, err) = run(&["validate", "suites/nope.toml"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("suites/nope.toml"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn validate_without_suites_is_a_usage_error() {
    let (code, _, err) = run(&["validate"]);
    assert_eq!(code, 64, "{err}");
}

/// Official 1.4.1, 2.0.4 and 2.1.2 validate and render, in both identity modes: no gRPC
/// port before 2.0, and every rendered `NACOS_SERVER_IP` passes the server's own check
/// (`server_ip_accepted`, `InetUtils.getNacosIp`).
#[test]
fn older_official_versions_validate_and_render() {
    use nacos_chaos::flavor::official::server_ip_accepted;
    let dir = tempfile::tempdir().unwrap();
    for identity in ["ip", "hostname"] {
        let file = write(
            &dir,
            &format!("old-{identity}.toml"),
            &format!(
                "name = \"t\"\n[cluster]\nflavor = \"official\"\nidentity = \"{identity}\"\n[versions]\nfrom = [\"1.4.1\", \"2.0.4\"]\nto = [\"2.1.2\"]\n[[steps]]\naction = \"start\"\n"
            ),
        );
        let (code, out, err) = run(&["validate", &file]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) = run(&["validate", "--render", &file]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let versions = v["suites"][0]["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 3);
        for ver in versions {
            let version = ver["version"].as_str().unwrap();
            for n in ver["nodes"].as_array().unwrap() {
                let ports: Vec<u64> = n["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_u64().unwrap())
                    .collect();
                let grpc = ports.contains(&9848) || ports.contains(&9849);
                assert_eq!(grpc, version != "1.4.1", "{version}: {ports:?}");
                assert!(ports.contains(&8848) && ports.contains(&7848), "{ports:?}");
                assert_eq!(n["env"]["MODE"], "cluster");
                match n["env"].get("NACOS_SERVER_IP").and_then(|v| v.as_str()) {
                    Some(ip) => {
                        assert!(server_ip_accepted(ip), "{version}: {ip}");
                        assert_eq!(identity, "ip");
                    }
                    None => assert_eq!(identity, "hostname", "{version}"),
                }
            }
        }
    }
}

#[test]
fn standalone_suite_renders_one_node_without_membership() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "standalone.toml",
        "name = \"t\"\n[cluster]\nflavor = \"official\"\nnodes = 1\nmode = \"standalone\"\n[versions]\nfrom = [\"2.0.4\"]\nto = [\"2.4.1\"]\n[[steps]]\naction = \"start\"\n",
    );
    let (code, out, err) = run(&["validate", "--render", &file]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for ver in v["suites"][0]["versions"].as_array().unwrap() {
        let nodes = ver["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 1);
        let n = &nodes[0];
        assert_eq!(n["env"]["MODE"], "standalone");
        assert!(n["env"].get("NACOS_SERVERS").is_none(), "{n}");
        assert!(n["files"].as_array().unwrap().is_empty(), "{n}");
    }
}

#[test]
fn bad_standalone_suites_are_reported_at_the_mode_key() {
    let dir = tempfile::tempdir().unwrap();
    let rnacos = write(
        &dir,
        "rnacos.toml",
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\nnodes = 1\nmode = \"standalone\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n",
    );
    let three = write(
        &dir,
        "three.toml",
        "name = \"t\"\n[cluster]\nflavor = \"official\"\nmode = \"standalone\"\n[versions]\nfrom = [\"2.0.4\"]\n[[steps]]\naction = \"start\"\n",
    );
    let old = write(
        &dir,
        "old.toml",
        "name = \"t\"\n[cluster]\nflavor = \"official\"\nnodes = 1\nmode = \"standalone\"\n[versions]\nfrom = [\"1.4.1\"]\n[[steps]]\naction = \"start\"\n",
    );
    let (code, out, err) = run(&["validate", &rnacos, &three, &old]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(&format!("{rnacos}:5:8: ")), "{err}");
    assert!(err.contains("needs flavor = \"official\""), "{err}");
    assert!(err.contains(&format!("{three}:4:8: ")), "{err}");
    assert!(err.contains("runs one node; cluster.nodes = 3"), "{err}");
    // 1.x standalone has no raft group: refused at the version.
    assert!(err.contains(&format!("{old}:7:9: ")), "{err}");
    assert!(err.contains("runs no raft group"), "{err}");
}

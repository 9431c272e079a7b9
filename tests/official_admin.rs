//! Official Nacos `admin` steps without a server: each op's request against the fixtures in
//! `tests/fixtures/official/raft_ops/` (paths and bodies read from alibaba/nacos source), how
//! answers are judged (an accepted step and a refusal in the same envelope), and the suite
//! errors for ops that need a node.

use nacos_chaos::cluster::AdminAnswer;
use nacos_chaos::flavor::official::raft_ops::{RaftOp, Verdict, judge, request};
use nacos_chaos::scenario::Suite;
use serde_json::Value;

const DIR: &str = "tests/fixtures/official/raft_ops";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()
}

#[test]
fn every_op_renders_the_request_the_server_reads() {
    let cases: Vec<Value> = serde_json::from_str(&fixture("requests.json")).unwrap();
    assert_eq!(cases.len(), 5);
    for c in cases {
        let op: RaftOp = c["op"].as_str().unwrap().parse().unwrap();
        let peers: Vec<String> = c["peers"]
            .as_array()
            .map(|a| a.iter().map(|p| p.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let r = request(
            c["version"].as_str().unwrap(),
            op,
            c["target"].as_str(),
            &peers,
        )
        .unwrap();
        assert_eq!(r.path, c["path"], "{c}");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body, c["body"], "{c}");
    }
}

#[test]
fn accepted_and_refused_answers_are_told_apart() {
    let answer = |status, file: &str| AdminAnswer {
        request: "POST n1 /nacos/v1/core/ops/raft".into(),
        status,
        body: fixture(file),
    };
    assert!(answer(200, "accepted_v1.json").ok());
    assert_eq!(
        judge("2.4.1", 200, &fixture("accepted_v1.json")),
        Verdict::Accepted
    );
    for refused in [
        "refused_not_support_v1.json",
        "refused_not_this_group_v1.json",
    ] {
        assert!(!answer(200, refused).ok(), "{refused}");
        assert!(
            matches!(judge("2.4.1", 200, &fixture(refused)), Verdict::Refused(m) if m.starts_with("code 500")),
            "{refused}"
        );
    }
    assert!(answer(200, "accepted_v3.json").ok());
    assert_eq!(
        judge("3.0.3", 200, &fixture("accepted_v3.json")),
        Verdict::Accepted
    );
    // A 3.x server with its compatibility switch off answers the v1 path with 410.
    assert!(matches!(judge("3.0.3", 410, "{}"), Verdict::Refused(m) if m.contains("410")));
}

#[test]
fn ops_about_one_node_need_it_named_at_the_op() {
    let text = "name = \"t\"\n[cluster]\nflavor = \"official\"\n[versions]\nfrom = [\"2.4.1\"]\n\
        [[steps]]\naction = \"start\"\n[[steps]]\naction = \"admin\"\nop = \"remove_peer\"\n";
    let err = Suite::parse("t.toml", text).unwrap_err().to_string();
    assert!(err.starts_with("t.toml:10:1: "), "{err}");
    assert!(
        err.contains("none is named") && err.contains("hint:"),
        "{err}"
    );
    let ok = text.replace("remove_peer\"\n", "remove_peer\"\nnode = \"n3\"\n");
    let s = Suite::parse("t.toml", &ok).unwrap();
    assert_eq!(s.not_implemented(), None);
}

#[test]
fn the_shipped_admin_suite_runs_on_the_official_flavor() {
    let s = Suite::load("suites/official-admin-example.toml").unwrap();
    assert_eq!(s.not_implemented(), None);
}

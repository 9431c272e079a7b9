//! Raft observation: answers → GroupViews, and the checks that refuse stale leaders.

use std::time::UNIX_EPOCH;

use nacos_chaos::Error;
use nacos_chaos::check::{Status, Thresholds, leader};
use nacos_chaos::cluster::observe::{NodeObservation, Observation};
use nacos_chaos::flavor::official::{Official, Readiness, confirm_leaders, parse_readiness};
use nacos_chaos::flavor::{Flavor, GroupView, HttpAnswer, IdentityMode, Role};
use rstest::rstest;
use serde_json::Value;

use super::{ans, fixture, node};

const V1_SELF: &str = "/nacos/v1/core/cluster/self";
const V1_NODES: &str = "/nacos/v1/core/cluster/nodes";
const V1_READY: &str = "/nacos/v1/console/health/readiness";
const V2_SELF: &str = "/nacos/v2/core/cluster/node/self";
const V2_LIST: &str = "/nacos/v2/core/cluster/node/list";
const V2_READY: &str = "/nacos/v2/console/health/readiness";
const V3_SELF: &str = "/nacos/v3/admin/core/cluster/node/self";
const V3_LIST: &str = "/nacos/v3/admin/core/cluster/node/list";
const V3_READY: &str = "/nacos/v3/admin/core/state/readiness";

const N1: &str = "172.28.0.11:7848";
const N2: &str = "172.28.0.12:7848";
const PEERS: [&str; 3] = [N1, N2, "172.28.0.13:7848"];

fn parse(version: &str, answers: &[HttpAnswer]) -> Result<Vec<GroupView>, Error> {
    Official::default().parse_raft(version, &node(1), answers)
}

fn healthy_v1() -> Vec<HttpAnswer> {
    vec![
        ans(V1_SELF, 200, "v1_self.json"),
        ans(V1_NODES, 200, "v1_nodes.json"),
        ans(V1_READY, 200, "v1_readiness_ok.txt"),
    ]
}

fn view<'a>(views: &'a [GroupView], group: &str) -> &'a GroupView {
    views
        .iter()
        .find(|v| v.group == group)
        .unwrap_or_else(|| panic!("no view for {group}"))
}

/// The healthy 3-node picture every API generation must produce for n1.
fn assert_healthy(version: &str, views: &[GroupView]) {
    let mut names: Vec<String> = views.iter().map(|v| v.group.clone()).collect();
    let mut want = Official::default().groups(version);
    names.sort();
    want.sort();
    assert_eq!(names, want, "one view per expected group");
    for v in views {
        assert_eq!(v.members, PEERS, "{}", v.group);
        assert!(v.learners.is_empty());
        assert_eq!(v.discarded_leader, None, "{}", v.group);
        if v.group == "naming_persistent_service" {
            assert_eq!(v.role, Role::Leader);
            assert_eq!(v.leader.as_deref(), Some(N1));
            assert_eq!(v.term, Some(2));
        } else {
            assert_eq!(v.role, Role::Follower, "{}", v.group);
            assert_eq!(v.leader.as_deref(), Some(N2), "{}", v.group);
            assert_eq!(v.term, Some(3), "{}", v.group);
        }
    }
}

#[rstest]
#[case::v1_2_4_1("2.4.1", [V1_SELF, V1_NODES, V1_READY], ["v1_self.json", "v1_nodes.json", "v1_readiness_ok.txt"])]
#[case::v1_2_4_0_1("2.4.0.1", [V1_SELF, V1_NODES, V1_READY], ["v1_self.json", "v1_nodes.json", "v1_readiness_ok.txt"])]
#[case::v2_2_4_1("2.4.1", [V2_SELF, V2_LIST, V2_READY], ["v2_node_self.json", "v2_node_list.json", "v2_readiness_ok.json"])]
#[case::v3_3_0_3("3.0.3", [V3_SELF, V3_LIST, V3_READY], ["v3_node_self.json", "v3_node_list.json", "v3_readiness_ok.json"])]
fn healthy_cluster_same_views(
    #[case] version: &str,
    #[case] paths: [&str; 3],
    #[case] files: [&str; 3],
) {
    let answers: Vec<HttpAnswer> = paths
        .iter()
        .zip(files)
        .map(|(p, f)| ans(p, 200, f))
        .collect();
    let views = parse(version, &answers).unwrap();
    assert_healthy(version, &views);
    // Answer order does not matter: the parser keys answers by path.
    let reversed: Vec<HttpAnswer> = answers.into_iter().rev().collect();
    assert_eq!(parse(version, &reversed).unwrap(), views);
}

#[test]
fn hostname_mode_peers() {
    let f = Official::default();
    let answers = [
        ans(V1_SELF, 200, "v1_self_hostname.json"),
        ans(V1_NODES, 200, "v1_nodes_hostname.json"),
        ans(V1_READY, 200, "v1_readiness_ok.txt"),
    ];
    let views = f.parse_raft("2.4.1", &node(1), &answers).unwrap();
    let nps = view(&views, "naming_persistent_service");
    assert_eq!(nps.role, Role::Leader);
    assert_eq!(
        nps.leader.as_deref(),
        Some(f.peer_id(&node(1), IdentityMode::Hostname).as_str())
    );
    let cfg = view(&views, "nacos_config");
    assert_eq!(cfg.role, Role::Follower);
    assert_eq!(cfg.leader.as_deref(), Some("n2:7848"));
    assert_eq!(cfg.members, ["n1:7848", "n2:7848", "n3:7848"]);
}

/// Replace the node-list answer of the healthy v1 set with an edited copy.
fn with_nodes(edit: impl FnOnce(&mut Vec<Value>)) -> Vec<HttpAnswer> {
    let mut doc: Value = serde_json::from_str(&fixture("v1_nodes_leader_down.json")).unwrap();
    edit(doc["data"].as_array_mut().unwrap());
    let mut answers = healthy_v1();
    answers[1].body = doc.to_string();
    answers
}

#[test]
fn stale_leader_down_is_discarded() {
    let views = parse("2.4.1", &with_nodes(|_| {})).unwrap();
    let cfg = view(&views, "nacos_config");
    assert_eq!(cfg.leader, None);
    assert_eq!(cfg.role, Role::Unknown);
    assert_eq!(cfg.term, Some(3), "term stays the last-known term");
    let why = cfg.discarded_leader.as_deref().unwrap();
    assert!(why.starts_with(N2), "{why}");
    assert!(why.contains("172.28.0.12:8848 is DOWN"), "{why}");
    // Groups led by a live member are unaffected.
    let nps = view(&views, "naming_persistent_service");
    assert_eq!(
        (nps.role.clone(), nps.leader.as_deref()),
        (Role::Leader, Some(N1))
    );
    assert_eq!(nps.discarded_leader, None);
}

#[test]
fn stale_leader_reported_once_up_again() {
    // Known-bad proof: the only difference from the stale case is the DOWN state.
    let views = parse(
        "2.4.1",
        &with_nodes(|list| list[1]["state"] = Value::from("UP")),
    )
    .unwrap();
    assert_healthy("2.4.1", &views);
}

#[rstest]
#[case::suspicious("SUSPICIOUS")]
#[case::starting("STARTING")]
#[case::isolation("ISOLATION")]
fn leader_member_not_up_is_discarded(#[case] state: &str) {
    let views = parse("2.4.1", &with_nodes(|l| l[1]["state"] = Value::from(state))).unwrap();
    let why = view(&views, "naming_instance_metadata")
        .discarded_leader
        .clone();
    assert!(why.unwrap().contains(&format!("is {state}")));
}

#[test]
fn leader_missing_from_node_list_is_discarded() {
    let views = parse("2.4.1", &with_nodes(|list| drop(list.remove(1)))).unwrap();
    let v = view(&views, "naming_persistent_service_v2");
    assert_eq!(v.leader, None);
    let why = v.discarded_leader.as_deref().unwrap();
    assert!(why.contains("no member 172.28.0.12:8848"), "{why}");
}

#[test]
fn group_error_discards_only_that_group() {
    let mut doc: Value = serde_json::from_str(&fixture("v1_self.json")).unwrap();
    doc["data"]["extendInfo"]["raftMetaData"]["metaDataMap"]["nacos_config"]["errMsg"] =
        Value::from("StateMachine error");
    let mut answers = healthy_v1();
    answers[0].body = doc.to_string();
    let views = parse("2.4.1", &answers).unwrap();
    let cfg = view(&views, "nacos_config");
    assert_eq!(cfg.leader, None);
    assert!(
        cfg.discarded_leader
            .as_deref()
            .unwrap()
            .contains("StateMachine error")
    );
    assert_eq!(
        view(&views, "naming_service_metadata").leader.as_deref(),
        Some(N2)
    );
}

#[rstest]
#[case::v1_500("2.4.1", V1_READY, 500, "v1_readiness_not_ready.txt")]
#[case::v2_code_30000("2.4.1", V2_READY, 200, "v2_readiness_not_ready.json")]
#[case::v3_500("3.0.3", V3_READY, 500, "v3_readiness_not_ready.json")]
fn not_ready_discards_every_leader(
    #[case] version: &str,
    #[case] path: &str,
    #[case] status: u16,
    #[case] file: &str,
) {
    let mut answers = healthy_v1();
    if version.starts_with('3') {
        answers = vec![
            ans(V3_SELF, 200, "v3_node_self.json"),
            ans(V3_LIST, 200, "v3_node_list.json"),
        ];
    } else {
        answers.pop();
    }
    answers.push(ans(path, status, file));
    let views = parse(version, &answers).unwrap();
    assert!(!views.is_empty());
    for v in &views {
        assert_eq!(v.leader, None, "{}", v.group);
        assert_eq!(v.role, Role::Unknown);
        let why = v.discarded_leader.as_deref().unwrap();
        assert!(why.contains("naming not in readiness"), "{why}");
    }
}

#[rstest]
#[case::v1_ok("2.4.1", V1_READY, 200, "v1_readiness_ok.txt", true)]
#[case::v1_bad("2.4.1", V1_READY, 500, "v1_readiness_not_ready.txt", false)]
#[case::v2_ok("2.4.1", V2_READY, 200, "v2_readiness_ok.json", true)]
#[case::v2_bad("2.4.1", V2_READY, 200, "v2_readiness_not_ready.json", false)]
#[case::v3_ok("3.0.3", V3_READY, 200, "v3_readiness_ok.json", true)]
#[case::v3_bad("3.0.3", V3_READY, 500, "v3_readiness_not_ready.json", false)]
fn readiness_answers(
    #[case] version: &str,
    #[case] path: &str,
    #[case] status: u16,
    #[case] file: &str,
    #[case] ready: bool,
) {
    let r = parse_readiness(version, "n1", &ans(path, status, file)).unwrap();
    assert_eq!(r.is_ready(), ready, "{r:?}");
    if let Readiness::NotReady(why) = r {
        assert_eq!(why, "naming not in readiness");
    }
}

fn protocol_error(version: &str, answers: &[HttpAnswer]) -> String {
    match parse(version, answers) {
        Err(e @ Error::Protocol { .. }) => e.to_string(),
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[rstest]
#[case::self_path(0)]
#[case::nodes_path(1)]
#[case::readiness_path(2)]
fn transport_failure_names_node_and_path(#[case] which: usize) {
    let mut answers = healthy_v1();
    answers[which].status = 0;
    answers[which].body = fixture("transport_failure.txt");
    let msg = protocol_error("2.4.1", &answers);
    let path = answers[which].path.clone();
    assert!(msg.contains("from n1 "), "{msg}");
    assert!(msg.contains(&path), "{msg}");
    assert!(
        msg.contains("transport failure") && msg.contains("Connection refused"),
        "{msg}"
    );
}

#[rstest]
#[case::self_html(0)]
#[case::nodes_html(1)]
fn non_json_body_is_protocol_error(#[case] which: usize) {
    let mut answers = healthy_v1();
    answers[which].body = fixture("non_json.html");
    let msg = protocol_error("2.4.1", &answers);
    assert!(
        msg.contains(&answers[which].path) && msg.contains("not JSON"),
        "{msg}"
    );
}

#[test]
fn failed_envelope_is_protocol_error() {
    let mut answers = healthy_v1();
    answers[0] = ans(V1_SELF, 200, "v1_failed_result.json");
    let msg = protocol_error("2.4.1", &answers);
    assert!(
        msg.contains("code Some(500)") && msg.contains("caused: not ready"),
        "{msg}"
    );
}

#[test]
fn gone_410_on_3x_names_the_switch() {
    let answers = [
        ans(V3_SELF, 200, "v3_node_self.json"),
        ans(V2_LIST, 410, "v3_gone_410.json"),
        ans(V3_READY, 200, "v3_readiness_ok.json"),
    ];
    let msg = protocol_error("3.0.3", &answers);
    assert!(msg.contains("HTTP 410"), "{msg}");
    assert!(
        msg.contains("`nacos.core.api.compatibility.admin.enabled` is off"),
        "{msg}"
    );
    assert!(msg.contains(V3_LIST), "{msg}");
}

#[test]
fn gone_410_without_body_uses_path_type() {
    // v1 console readiness is CONSOLE_API: its switch is the console one.
    let a = HttpAnswer {
        path: V1_READY.into(),
        status: 410,
        body: String::new(),
    };
    let msg = parse_readiness("3.0.3", "n1", &a).unwrap_err().to_string();
    assert!(
        msg.contains("`nacos.core.api.compatibility.console.enabled` is off"),
        "{msg}"
    );
    assert!(msg.contains(V3_READY), "{msg}");
}

#[test]
fn gone_410_on_2x_is_not_blamed_on_switches() {
    let mut answers = healthy_v1();
    answers[1].status = 410;
    let msg = protocol_error("2.4.1", &answers);
    assert!(
        msg.contains("HTTP 410") && !msg.contains("compatibility"),
        "{msg}"
    );
}

#[rstest]
#[case::no_self(0, "no cluster self answer")]
#[case::no_nodes(1, "no cluster node list answer")]
#[case::no_readiness(2, "no readiness answer")]
fn missing_answer_is_protocol_error(#[case] drop_at: usize, #[case] want: &str) {
    let mut answers = healthy_v1();
    answers.remove(drop_at);
    let msg = protocol_error("2.4.1", &answers);
    assert!(msg.contains(want), "{msg}");
}

#[test]
fn duplicate_or_unknown_paths_are_rejected() {
    let mut answers = healthy_v1();
    answers.push(ans(V2_SELF, 200, "v2_node_self.json"));
    assert!(protocol_error("2.4.1", &answers).contains("twice"));
    let mut answers = healthy_v1();
    answers[1].path = "/nacos/v1/core/cluster/simple/nodes".into();
    assert!(protocol_error("2.4.1", &answers).contains("not a cluster or readiness path"));
}

#[test]
fn wrong_node_answering_is_rejected() {
    let err = Official::default()
        .parse_raft("2.4.1", &node(2), &healthy_v1())
        .unwrap_err();
    assert!(err.to_string().contains("wrong node probed"), "{err}");
}

#[test]
fn node_without_raft_metadata_has_no_views() {
    let mut answers = healthy_v1();
    answers[0] = ans(V1_SELF, 200, "v1_self_no_raft.json");
    assert_eq!(parse("2.4.1", &answers).unwrap(), Vec::<GroupView>::new());
}

#[test]
fn bad_version_is_config_error() {
    let err = parse("latest", &healthy_v1()).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[rstest]
#[case::v2_other_code(
    V2_READY,
    200,
    r#"{"code":30001,"message":"","data":null}"#,
    Some("HTTP 200, code 30001")
)]
#[case::v1_empty_500(V1_READY, 500, "", Some("HTTP 500"))]
#[case::v1_503_text(
    V1_READY,
    503,
    "config not in readiness",
    Some("config not in readiness")
)]
#[case::json_without_code(V2_READY, 200, r#"{"status":"UP"}"#, None)]
#[case::odd_200_text(V1_READY, 200, "maybe", None)]
#[case::redirect(V1_READY, 302, "", None)]
fn readiness_edge_cases(
    #[case] path: &str,
    #[case] status: u16,
    #[case] body: &str,
    #[case] not_ready: Option<&str>,
) {
    let a = HttpAnswer {
        path: path.into(),
        status,
        body: body.into(),
    };
    match (parse_readiness("2.4.1", "n1", &a), not_ready) {
        (Ok(Readiness::NotReady(why)), Some(want)) => assert_eq!(why, want),
        (Err(e @ Error::Protocol { .. }), None) => assert!(e.to_string().contains(path), "{e}"),
        (other, want) => panic!("{body:?}: got {other:?}, want not-ready {want:?}"),
    }
}

// --- a cut-off former leader -------------------------------------------------------------

fn isolated(nodes_file: &str) -> Vec<GroupView> {
    let answers = [
        ans(V1_SELF, 200, "v1_self_isolated.json"),
        ans(V1_NODES, 200, nodes_file),
        // Readiness stays OK on the isolated node: the route table keeps the leader it saw.
        ans(V1_READY, 200, "v1_readiness_ok.txt"),
    ];
    parse("2.4.1", &answers).unwrap()
}

#[test]
fn isolated_former_leader_seeing_peers_down_is_refused_alone() {
    // n1 names itself leader of every group in term 3 and is ready, but its own member list
    // shows n2 DOWN and n3 SUSPICIOUS: no quorum, whatever its metadata says.
    let views = isolated("v1_nodes_isolated.json");
    assert_eq!(views.len(), 5);
    for v in &views {
        assert_eq!((v.leader.as_deref(), v.role.clone()), (None, Role::Unknown));
        let why = v.discarded_leader.as_deref().unwrap();
        assert!(why.starts_with(N1), "{why}");
        assert!(why.contains("sees only 1 of 3 members UP"), "{why}");
    }
}

/// One observation of the whole cluster: n1 as parsed from its own answers, n2 and n3 as
/// the majority side that elected n2 in term 4.
fn cluster_after_cut(n1_views: Vec<GroupView>) -> Vec<NodeObservation> {
    let majority = |leader_role: Role| -> Vec<GroupView> {
        Official::default()
            .groups("2.4.1")
            .into_iter()
            .map(|group| GroupView {
                group,
                role: leader_role.clone(),
                term: Some(4),
                leader: Some(N2.into()),
                members: PEERS.iter().map(|p| p.to_string()).collect(),
                learners: vec![],
                discarded_leader: None,
            })
            .collect()
    };
    let obs = |i: u8, groups| NodeObservation {
        node: format!("n{i}"),
        peer_id: format!("172.28.0.{}:7848", 10 + i),
        groups,
        error: None,
    };
    vec![
        obs(1, n1_views),
        obs(2, majority(Role::Leader)),
        obs(3, majority(Role::Follower)),
    ]
}

#[test]
fn isolated_former_leader_is_refused_across_nodes() {
    // Right after the cut n1 still sees its peers UP: alone it looks like a healthy leader.
    let n1 = isolated("v1_nodes_isolated_early.json");
    assert!(
        n1.iter()
            .all(|v| v.role == Role::Leader && v.term == Some(3))
    );
    let mut nodes = cluster_after_cut(n1);
    confirm_leaders(&mut nodes);
    for v in &nodes[0].groups {
        assert_eq!((v.leader.as_deref(), v.role.clone()), (None, Role::Unknown));
        let why = v.discarded_leader.as_deref().unwrap();
        assert!(why.contains("no live evidence"), "{why}");
        assert!(why.contains("by 1 of 3 nodes (n1)"), "{why}");
    }
    // The new leader, named by the majority in its term, stands.
    for n in &nodes[1..] {
        assert!(n.groups.iter().all(|v| v.leader.as_deref() == Some(N2)));
    }
    assert_eq!(nodes[1].groups[0].role, Role::Leader);
}

#[test]
fn leader_check_does_not_count_the_isolated_claim() {
    let mut nodes = cluster_after_cut(isolated("v1_nodes_isolated_early.json"));
    // Known-bad: the raw views carry two leader claims per group (n1 in term 3, n2 in 4).
    let claims = |nodes: &[NodeObservation]| {
        nodes
            .iter()
            .flat_map(|n| &n.groups)
            .filter(|g| g.role == Role::Leader)
            .count()
    };
    assert_eq!(claims(&nodes), 10);
    confirm_leaders(&mut nodes);
    assert_eq!(claims(&nodes), 5);
    let obs = Observation {
        at_ms: 1_000,
        wall: UNIX_EPOCH,
        upgrade: Default::default(),
        nodes,
    };
    let v = leader(&[], &[obs], &[], &Thresholds::default());
    assert_eq!(v.status, Status::Pass, "{}", v.summary);
    assert!(
        !v.evidence.iter().any(|e| e.text.contains("172.28.0.11")),
        "{:?}",
        v.evidence
    );
}

#[test]
fn ready_is_never_live_leader_evidence() {
    use nacos_chaos::flavor::official::{NacosVersion, ReadyMeans, ready_means};
    for v in ["2.2.0", "2.4.0.1", "2.4.1", "2.4.2", "3.0.3"] {
        let v = NacosVersion::parse(v).unwrap();
        for strict in [false, true] {
            assert!(!ready_means(v, strict).leader_now(), "{v} strict={strict}");
        }
    }
    assert_eq!(
        ready_means(NacosVersion::new(2, 4, 2), false),
        ReadyMeans::Started
    );
    assert_eq!(
        ready_means(NacosVersion::new(2, 4, 2), true),
        ReadyMeans::StartedAndLeaderSeenOnce
    );
}

// --- older versions, standalone, upgrade state ------------------------------------------

/// 1.4.1, 2.0.4 and 2.1.2 answer the same v1 cluster paths with the same `Member` shape
/// (`core/.../controller/NacosClusterController` `/v1/core/cluster/{self,nodes}` and
/// `JRaftProtocol` `raftMetaData` @1.4.1, 2.0.4, 2.1.2; 1.4.1 members carry no `abilities`),
/// and each version's groups (`catalog::groups`) come out as the same healthy views.
#[rstest]
#[case::v1_4_1("1.4.1", "v1_self_1_4_1.json", "v1_nodes_1_4_1.json", 2)]
#[case::v2_0_4("2.0.4", "v1_self_2_0_4.json", "v1_nodes_2_0_4.json", 5)]
#[case::v2_1_2("2.1.2", "v1_self_2_1_2.json", "v1_nodes_2_1_2.json", 5)]
fn older_versions_parse_into_the_same_views(
    #[case] version: &str,
    #[case] self_file: &str,
    #[case] nodes_file: &str,
    #[case] groups: usize,
) {
    let answers = [
        ans(V1_SELF, 200, self_file),
        ans(V1_NODES, 200, nodes_file),
        ans(V1_READY, 200, "v1_readiness_ok.txt"),
    ];
    assert_eq!(
        Official::default().raft_paths(version),
        [V1_SELF, V1_NODES, V1_READY]
    );
    let views = parse(version, &answers).unwrap();
    assert_eq!(views.len(), groups);
    assert_healthy(version, &views);
}

#[test]
fn older_readiness_text_is_not_ready() {
    // console/.../HealthController @1.4.1, 2.0.4, 2.1.2: 500 "Naming is not in readiness".
    let a = ans(V1_READY, 500, "v1_readiness_not_ready_2_0.txt");
    let r = parse_readiness("2.0.4", "n1", &a).unwrap();
    assert_eq!(r, Readiness::NotReady("Naming is not in readiness".into()));
    let ok = parse_readiness("1.4.1", "n1", &ans(V1_READY, 200, "v1_readiness_ok.txt"));
    assert!(ok.unwrap().is_ready());
}

fn standalone(
    self_file: &str,
    nodes_file: &str,
    me: &nacos_chaos::flavor::NodeIdentity,
) -> NodeObservation {
    use nacos_chaos::flavor::ClusterMode;
    let f = Official::default().mode(ClusterMode::Standalone);
    let answers = [
        ans(V1_SELF, 200, self_file),
        ans(V1_NODES, 200, nodes_file),
        ans(V1_READY, 200, "v1_readiness_ok.txt"),
    ];
    let groups = f.parse_raft("2.1.2", me, &answers).unwrap();
    NodeObservation {
        node: "n1".into(),
        peer_id: f.peer_id(me, IdentityMode::Ip),
        groups,
        error: None,
    }
}

/// The leader check on one observation with the checkpoint a `wait_leader` step would
/// record from it (`Cluster::wait_for_leader`: every expected group agreed, or not).
fn judge(mut nodes: Vec<NodeObservation>, groups: &[String]) -> nacos_chaos::check::Verdict {
    use nacos_chaos::check::Checkpoint;
    use nacos_chaos::cluster::observe::agreements;
    confirm_leaders(&mut nodes);
    let obs = Observation {
        at_ms: 1_000,
        wall: UNIX_EPOCH,
        upgrade: Default::default(),
        nodes,
    };
    let missing = agreements(&obs, groups)
        .into_iter()
        .find(|(_, a)| a.leader().is_none())
        .map(|(g, a)| format!("{g}: {a:?}"));
    let cp = Checkpoint {
        name: "wait_leader".into(),
        at_ms: 1_000,
        time_to_leader_ms: missing.is_none().then_some(0),
        deadline_ms: 30_000,
        reason: missing,
        expect_leader: true,
    };
    leader(&[cp], &[obs], &[], &Thresholds::default())
}

fn judge_one(n: NodeObservation) -> nacos_chaos::check::Verdict {
    use nacos_chaos::flavor::ClusterMode;
    let groups = Official::default()
        .mode(ClusterMode::Standalone)
        .groups("2.1.2");
    judge(vec![n], &groups)
}

#[test]
fn standalone_node_leads_its_single_member_groups() {
    // 2.x standalone still runs JRaft for the groups registered whatever the mode
    // (`PersistentClientOperationServiceImpl`, `ServiceMetadataProcessor`,
    // `InstanceMetadataProcessor` @2.1.2), each with the node as its only member
    // (`StandaloneMemberLookup`): it leads them all, a majority of one.
    use nacos_chaos::flavor::ClusterMode;
    let n = standalone(
        "v1_self_standalone.json",
        "v1_nodes_standalone.json",
        &node(1),
    );
    let mut names: Vec<_> = n.groups.iter().map(|g| g.group.clone()).collect();
    names.sort();
    let mut want = Official::default()
        .mode(ClusterMode::Standalone)
        .groups("2.1.2");
    want.sort();
    assert_eq!(names, want);
    for g in &n.groups {
        assert_eq!(
            (g.role.clone(), g.leader.as_deref()),
            (Role::Leader, Some(N1))
        );
        assert_eq!(g.members, [N1]);
    }
    let v = judge_one(n);
    assert_eq!(v.status, Status::Pass, "{}", v.summary);
}

#[test]
fn standalone_after_ip_change_has_no_leader() {
    // Known-bad twin (#11950): the node is back at .21 while its raft log names .11:7848, so
    // JRaft never lets it campaign ("can't do preVote as it is not in conf") and no leader is
    // ever published (`NacosStateMachine` publishes on leader start / start following only).
    let me = super::node_at(1, std::net::Ipv4Addr::new(172, 28, 0, 21));
    let n = standalone(
        "v1_self_standalone_ip_changed.json",
        "v1_nodes_standalone_ip_changed.json",
        &me,
    );
    assert!(!n.groups.is_empty());
    for g in &n.groups {
        assert_eq!(g.leader, None);
        assert_eq!(
            g.members,
            [N1],
            "the persisted conf still names the old address"
        );
    }
    let v = judge_one(n);
    assert_eq!(v.status, Status::Fail, "{}", v.summary);
}

#[test]
fn isolated_former_leader_alone_fails_the_leader_check() {
    // Known-bad: only n1 answers,
    // still naming itself leader in term 3 and (right after the cut) seeing its peers UP.
    // Alone it is 1 of 3: no majority names it, so no leader stands.
    let n1 = isolated("v1_nodes_isolated_early.json");
    let down = |i: u8| NodeObservation {
        node: format!("n{i}"),
        peer_id: format!("172.28.0.{}:7848", 10 + i),
        groups: vec![],
        error: Some("unreachable: connection refused".into()),
    };
    let mut nodes = cluster_after_cut(n1);
    let groups = Official::default().groups("2.4.1");
    // Known-good twin: n1 does not answer, the majority side (n2, n3) agrees on n2 in
    // term 4: PASS.
    let mut majority = nodes.clone();
    majority[0] = down(1);
    let v = judge(majority, &groups);
    assert_eq!(v.status, Status::Pass, "{}", v.summary);
    nodes[1] = down(2);
    nodes[2] = down(3);
    let v = judge(nodes, &groups);
    assert_eq!(v.status, Status::Fail, "{}", v.summary);
    assert!(v.summary.contains("without a leader"), "{}", v.summary);
}

#[rstest]
#[case::upgraded("2.0.4", "upgrade_metrics_upgraded.json", true, true)]
#[case::double_write("2.1.2", "upgrade_metrics_double_write.json", false, false)]
fn upgrade_state_answers(
    #[case] version: &str,
    #[case] file: &str,
    #[case] upgraded: bool,
    #[case] all_2x: bool,
) {
    use nacos_chaos::flavor::official::upgrade;
    let f = Official::default();
    assert_eq!(
        f.upgrade_state_path(version).as_deref(),
        Some(upgrade::PATH)
    );
    let s = f
        .parse_upgrade_state(version, &node(1), &ans(upgrade::PATH, 200, file))
        .unwrap();
    assert_eq!(
        (s.upgraded, s.all_2x, s.double_write),
        (upgraded, all_2x, true)
    );
}

#[rstest]
#[case::v1_4("1.4.1")]
#[case::v2_2("2.2.0")]
#[case::v2_4("2.4.1")]
fn no_upgrade_state_api_outside_2_0_and_2_1(#[case] version: &str) {
    use nacos_chaos::flavor::official::upgrade;
    let f = Official::default();
    assert_eq!(f.upgrade_state_path(version), None);
    let e = f
        .parse_upgrade_state(
            version,
            &node(1),
            &ans(upgrade::PATH, 200, "upgrade_metrics_upgraded.json"),
        )
        .unwrap_err();
    assert!(e.to_string().contains("no upgrade-state API"), "{e}");
}

#[rstest]
#[case::down_503(503, "server is DOWNnow, please try again later!", "HTTP 503")]
#[case::html(200, "<html>oops</html>", "not an upgrade metrics object")]
#[case::transport(0, "Connection refused", "transport failure")]
fn bad_upgrade_state_answers_are_protocol_errors(
    #[case] status: u16,
    #[case] body: &str,
    #[case] want: &str,
) {
    use nacos_chaos::flavor::official::upgrade;
    let a = HttpAnswer {
        path: upgrade::PATH.into(),
        status,
        body: body.into(),
    };
    let e = Official::default()
        .parse_upgrade_state("2.0.4", &node(1), &a)
        .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e}");
    assert!(
        e.to_string().contains(want) && e.to_string().contains("from n1 "),
        "{e}"
    );
}

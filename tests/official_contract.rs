//! Contract tests for the official Nacos flavor, against the facts in `nacos-contract.md` and
//! the hand-written answers in `tests/fixtures/official/` (see its README).
//!
//! - `observe`: parsing cluster/readiness answers into `GroupView`s, and every check that
//!   refuses a last-known leader or a bad answer.
//! - `render`: env contract, cluster.conf, ports, tuning and input validation.
//! - `signatures`: the catalogue against routine and known-bad log lines, and transient
//!   matches placed in the run's timeline.
//! - here: static knowledge (image, groups, paths, logs, signatures, capabilities).

#[path = "official/observe.rs"]
mod observe;
#[path = "official/render.rs"]
mod render;
#[path = "official/signatures.rs"]
mod signatures;

use std::net::Ipv4Addr;

use nacos_chaos::flavor::official::Official;
use nacos_chaos::flavor::{
    Flavor, FlavorKind, HttpAnswer, IdentityMode, LogSource, Membership, NodeIdentity, Signature,
    for_kind,
};
use rstest::rstest;

/// Body of a fixture file.
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/official/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// An answer whose body is a fixture file.
pub fn ans(path: &str, status: u16, file: &str) -> HttpAnswer {
    HttpAnswer {
        path: path.into(),
        status,
        body: fixture(file),
    }
}

/// Node `n<i>` at `172.28.0.<10+i>`.
pub fn node(i: u8) -> NodeIdentity {
    node_at(i, Ipv4Addr::new(172, 28, 0, 10 + i))
}

/// Node `n<i>` at a given IP.
pub fn node_at(i: u8, ip: Ipv4Addr) -> NodeIdentity {
    NodeIdentity {
        index: usize::from(i),
        hostname: format!("n{i}"),
        ip,
    }
}

/// The three-node membership in a mode.
pub fn membership(mode: IdentityMode) -> Membership {
    Membership {
        mode,
        members: vec![node(1), node(2), node(3)],
        naming: Default::default(),
    }
}

#[rstest]
#[case::plain("2.4.1", None, "nacos/nacos-server:v2.4.1")]
#[case::leading_v("v2.4.0.1", None, "nacos/nacos-server:v2.4.0.1")]
#[case::v3("3.0.3", None, "nacos/nacos-server:v3.0.3")]
#[case::mirror(
    "2.4.1",
    Some("registry.example.com"),
    "registry.example.com/nacos/nacos-server:v2.4.1"
)]
#[case::mirror_slash(
    "v3.0.0",
    Some("nacos-registry.cn-hangzhou.cr.aliyuncs.com/"),
    "nacos-registry.cn-hangzhou.cr.aliyuncs.com/nacos/nacos-server:v3.0.0"
)]
#[case::empty_registry_is_hub("2.4.1", Some(""), "nacos/nacos-server:v2.4.1")]
fn image_reference(#[case] version: &str, #[case] registry: Option<&str>, #[case] want: &str) {
    let f = registry.map_or_else(Official::default, Official::with_registry);
    assert_eq!(f.image(version), want);
}

#[test]
fn for_kind_gives_official() {
    let f = for_kind(FlavorKind::Official);
    assert_eq!(f.kind(), FlavorKind::Official);
    assert_eq!(f.http_port(), 8848);
    assert_eq!(f.image("2.4.1"), "nacos/nacos-server:v2.4.1");
}

const GROUPS_2X: [&str; 5] = [
    "naming_persistent_service",
    "naming_persistent_service_v2",
    "naming_service_metadata",
    "naming_instance_metadata",
    "nacos_config",
];

#[test]
fn groups_of_older_versions_and_standalone() {
    use nacos_chaos::flavor::ClusterMode;
    // 1.4.1: JRaft only for persistent naming and embedded config.
    assert_eq!(
        Official::default().groups("1.4.1"),
        ["naming_persistent_service", "nacos_config"]
    );
    assert_eq!(Official::default().groups("2.0.4"), GROUPS_2X);
    assert_eq!(Official::default().groups("2.1.2"), GROUPS_2X);
    let s = Official::default().mode(ClusterMode::Standalone);
    assert_eq!(
        s.groups("2.0.4"),
        [
            "naming_persistent_service_v2",
            "naming_service_metadata",
            "naming_instance_metadata"
        ]
    );
    // 2.4.1: SwitchManager runs naming_persistent_service in standalone too.
    assert_eq!(s.groups("2.4.1")[0], "naming_persistent_service");
    assert!(!s.groups("3.0.3").contains(&"nacos_config".to_string()));
}

#[rstest]
#[case("2.2.0", false)]
#[case("2.4.0.1", false)]
#[case("2.4.1", false)]
#[case("2.4.2", false)]
#[case("3.0.0", true)]
#[case("3.0.3", true)]
fn groups_per_version(#[case] version: &str, #[case] lock_group: bool) {
    let mut want: Vec<String> = GROUPS_2X.iter().map(|s| s.to_string()).collect();
    if lock_group {
        want.push("lock_acquire_service_v2".into());
    }
    assert_eq!(Official::default().groups(version), want);
}

#[rstest]
#[case("2.4.0.1", "/nacos/v1/console/health/readiness")]
#[case("2.4.1", "/nacos/v1/console/health/readiness")]
#[case("3.0.3", "/nacos/v3/admin/core/state/readiness")]
fn api_paths(#[case] version: &str, #[case] readiness: &str) {
    let api = Official::default().api(version);
    // v1 naming and config are OPEN_API, still allowed on 3.x.
    assert_eq!(api.instance, "/nacos/v1/ns/instance");
    assert_eq!(api.instance_list, "/nacos/v1/ns/instance/list");
    assert_eq!(api.config, "/nacos/v1/cs/configs");
    assert_eq!(api.readiness, readiness);
}

#[rstest]
#[case(
    "2.4.1",
    [
        "/nacos/v1/core/cluster/self",
        "/nacos/v1/core/cluster/nodes",
        "/nacos/v1/console/health/readiness"
    ]
)]
#[case(
    "3.0.3",
    [
        "/nacos/v3/admin/core/cluster/node/self",
        "/nacos/v3/admin/core/cluster/node/list",
        "/nacos/v3/admin/core/state/readiness"
    ]
)]
fn raft_paths_per_version(#[case] version: &str, #[case] want: [&str; 3]) {
    assert_eq!(Official::default().raft_paths(version), want);
    // The readiness probe used for raft views is the workload's readiness path.
    assert_eq!(Official::default().api(version).readiness, want[2]);
}

#[test]
fn data_layout_and_logs() {
    let f = Official::default();
    assert_eq!(f.raft_dir("2.4.1"), "/home/nacos/data/protocol/raft");
    assert_eq!(f.raft_dir("3.0.3"), "/home/nacos/data/protocol/raft");
    let logs = f.logs("2.4.1");
    let want = vec![
        LogSource::Console,
        LogSource::File("/home/nacos/logs/alipay-jraft.log".into()),
        LogSource::File("/home/nacos/logs/protocol-raft.log".into()),
        LogSource::File("/home/nacos/logs/naming-raft.log".into()),
        LogSource::File("/home/nacos/logs/nacos.log".into()),
        LogSource::File("/home/nacos/logs/nacos-cluster.log".into()),
    ];
    assert_eq!(logs, want);
}

#[rstest]
#[case(IdentityMode::Ip, "172.28.0.11:7848")]
#[case(IdentityMode::Hostname, "n1:7848")]
fn peer_id_is_addr_7848(#[case] mode: IdentityMode, #[case] want: &str) {
    assert_eq!(Official::default().peer_id(&node(1), mode), want);
}

#[rstest]
#[case("did not find the Leader node")]
#[case("No leader for raft group")]
#[case("server is DOWNnow")]
#[case("can't do preVote as it is not in conf")]
#[case("channel init failed")]
#[case("Peer id not found")]
#[case("not in readiness")]
#[case("In the node initialization, unable to process any requests at this time")]
#[case("Could not find leader : ")]
#[case("System triggered degradation")]
fn signature_texts_from_contract(#[case] text: &str) {
    let sigs = Official::default().signatures();
    let sig = sigs.iter().find(|s| s.pattern_text() == text);
    let sig = sig.unwrap_or_else(|| panic!("no signature with text {text:?}"));
    assert!(!sig.id.is_empty());
    assert!(sig.meaning.len() > 20, "meaning too short for {text:?}");
}

/// Does any catalogue entry match `line`?
pub fn caught(sigs: &[Signature], line: &str) -> Vec<String> {
    sigs.iter()
        .filter(|s| s.matcher().unwrap().find(line).is_some())
        .map(|s| s.id.to_string())
        .collect()
}

#[test]
fn signature_matches_real_messages() {
    // Each documented message must be caught by some signature.
    let sigs = Official::default().signatures();
    let messages = [
        "The Raft Group [naming_persistent_service_v2] did not find the Leader node",
        "server is DOWNnow, detailed error message: Optional[No leader for raft group naming_persistent_service, please see logs `alipay-jraft.log` or `naming-raft.log` to see details.]",
        "server is DOWNnow, detailed error message: No leader for raft, please see logs `alipay-jraft.log` or `naming-raft.log` to see details.",
        "Node <naming_persistent_service/172.28.0.21:7848> can't do preVote as it is not in conf <ConfigurationEntry [id=LogId [index=3, term=2], conf=172.28.0.11:7848,172.28.0.12:7848, oldConf=]>.",
        "config and naming not in readiness",
        "Node <g/172.28.0.13:7848> ignore PreVoteRequest from 172.28.0.21:7848 as it is not in conf <172.28.0.11:7848>.",
        "Unable to process the request at this time: System triggered degradation",
        "Fail to init RocksDBLogStorage, path=/home/nacos/data/protocol/raft/nacos_config/log.",
        "Fail to get log entry at index 12 in data path: /home/nacos/data/protocol/raft/g/log.",
        "ReadIndex has error : Fail to run ReadIndex task, maybe the leader stepped down., go to Leader read.",
        "Nacos failed to start, please see /home/nacos/logs/nacos.log for more details.",
        "java.lang.RuntimeException: nacos address n1 is not ip",
    ];
    for m in messages {
        assert!(!caught(&sigs, m).is_empty(), "no signature matches {m:?}");
    }
}

#[test]
fn capabilities() {
    let c = Official::default().capabilities();
    assert!(c.raft_config && c.raft_naming && c.hostname_mode && c.grpc);
    // Every node gets the whole membership (NACOS_SERVERS / cluster.conf) at start: no joins.
    assert!(!c.joins);
    let note = c.clock_skew.expect("clock skew note");
    assert!(note.contains("libfaketime"), "{note}");
}

#[test]
fn registry_field_set_directly_is_normalised() {
    let f = Official {
        registry: Some("mirror.local/".into()),
        ..Official::default()
    };
    assert_eq!(f.image("2.4.1"), "mirror.local/nacos/nacos-server:v2.4.1");
    let hub = Official {
        registry: Some(" ".into()),
        ..Official::default()
    };
    assert_eq!(hub.image("2.4.1"), "nacos/nacos-server:v2.4.1");
}

//! Preflight against fixtures built here, byte by byte, from the documented encodings
//! (JRaft and r-nacos are not available in CI). Official fixtures use
//! `nacos-contract.md` §2; r-nacos fixtures use the `index` / `snapshot_<id>` layout read from
//! rnacos 0.8.8's source.
//!
//! `real_rnacos_data_dir` reads a real r-nacos data dir when `NACOS_CHAOS_RNACOS_DATA` names
//! one; otherwise it prints `SKIP:` and returns.

use std::path::Path;

use nacos_chaos::flavor::FlavorKind;
use nacos_chaos::preflight::jraft::{
    ConfRecord, GroupState, V2_HEADER, decode_conf_record, protobuf_file, read_group,
};
use nacos_chaos::preflight::report::{ConfSource, PersistedConf};
use nacos_chaos::preflight::{
    Confidence, GroupReport, LogStatus, PreflightOptions, Verdict, judge_state, parse_members,
    preflight,
};
use rstest::rstest;

#[path = "preflight_fixtures/corrupt.rs"]
mod corrupt;
#[path = "preflight_fixtures/log.rs"]
mod log;
#[path = "preflight_fixtures/rehearse.rs"]
mod rehearse;
#[path = "preflight_fixtures/rnacos.rs"]
mod rnacos;
#[cfg(feature = "rocksdb-log")]
#[path = "preflight_fixtures/rocks.rs"]
mod rocks;
#[path = "preflight_fixtures/strict.rs"]
mod strict;

// ---------- a tiny protobuf encoder for fixtures ----------

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
fn f_int(out: &mut Vec<u8>, field: u32, v: u64) {
    varint(u64::from(field) << 3, out);
    varint(v, out);
}
fn f_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    varint((u64::from(field) << 3) | 2, out);
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn stable_meta(term: u64, voted: &str) -> Vec<u8> {
    let mut m = vec![];
    f_int(&mut m, 1, term);
    f_bytes(&mut m, 2, voted.as_bytes());
    protobuf_file("jraft.StablePBMeta", &m)
}

fn snapshot_meta(index: u64, term: u64, peers: &[&str], old: &[&str]) -> Vec<u8> {
    let mut meta = vec![];
    f_int(&mut meta, 1, index);
    f_int(&mut meta, 2, term);
    peers
        .iter()
        .for_each(|p| f_bytes(&mut meta, 3, p.as_bytes()));
    old.iter().for_each(|p| f_bytes(&mut meta, 4, p.as_bytes()));
    let mut local = vec![];
    f_bytes(&mut local, 1, &meta);
    let mut file = vec![];
    f_bytes(&mut file, 1, ARCHIVE.as_bytes());
    f_bytes(&mut local, 2, &file); // File{name}: `group` writes the archive beside the meta
    protobuf_file("jraft.LocalSnapshotPbMeta", &local)
}

fn log_entry(
    index: u64,
    term: u64,
    etype: u64,
    peers: &[&str],
    old: &[&str],
) -> (Vec<u8>, Vec<u8>) {
    let mut v = V2_HEADER.to_vec();
    f_int(&mut v, 1, etype);
    f_int(&mut v, 2, term);
    f_int(&mut v, 3, index);
    peers.iter().for_each(|p| f_bytes(&mut v, 4, p.as_bytes()));
    old.iter().for_each(|p| f_bytes(&mut v, 5, p.as_bytes()));
    f_int(&mut v, 7, 0xDEAD); // checksum, ignored
    (index.to_be_bytes().to_vec(), v)
}

/// A legacy V1 log entry (`V1Encoder` layout, sofa-jraft v1.3.14): magic `0xB8`, type i32,
/// index i64, term i64, peer count i32 and `[i16 len][ASCII]` peers, the old peers likewise,
/// then the data. All big-endian.
fn v1_log_entry(
    index: u64,
    term: u64,
    etype: u32,
    peers: &[&str],
    old: &[&str],
) -> (Vec<u8>, Vec<u8>) {
    let mut v = vec![0xB8];
    v.extend_from_slice(&etype.to_be_bytes());
    v.extend_from_slice(&index.to_be_bytes());
    v.extend_from_slice(&term.to_be_bytes());
    for list in [peers, old] {
        v.extend_from_slice(&(list.len() as u32).to_be_bytes());
        for p in list {
            v.extend_from_slice(&(p.len() as u16).to_be_bytes());
            v.extend_from_slice(p.as_bytes());
        }
    }
    (index.to_be_bytes().to_vec(), v)
}

/// The snapshot archive every fixture snapshot lists.
const ARCHIVE: &str = "persistent_instance.zip";

/// Build `<home>/data/protocol/raft/<group>` with optional raft_meta and snapshot (with the
/// archive its meta lists). A snapshot never comes without a raft_meta (JRaft saves its
/// term before it takes one): with `meta: None` and a snapshot, a raft_meta of term 1000
/// and no vote is written.
fn group(
    home: &Path,
    name: &str,
    meta: Option<Vec<u8>>,
    snap: Option<(u64, Vec<u8>)>,
) -> std::path::PathBuf {
    let g = home.join("data/protocol/raft").join(name);
    std::fs::create_dir_all(&g).unwrap();
    let meta = meta.or_else(|| snap.is_some().then(|| stable_meta(1000, "0.0.0.0:0")));
    if let Some(m) = meta {
        std::fs::create_dir_all(g.join("meta-data")).unwrap();
        std::fs::write(g.join("meta-data/raft_meta"), m).unwrap();
    }
    if let Some((idx, s)) = snap {
        let d = g.join(format!("snapshot/snapshot_{idx}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("__raft_snapshot_meta"), s).unwrap();
        std::fs::write(d.join(ARCHIVE), b"PK\x05\x06").unwrap();
    }
    g
}

const ABC: [&str; 3] = ["10.0.0.1:7848", "10.0.0.2:7848", "10.0.0.3:7848"];

fn run(
    home: &Path,
    target: &str,
    self_addr: Option<&str>,
) -> nacos_chaos::preflight::PreflightReport {
    let mut o = PreflightOptions::new(home, FlavorKind::Official, target).unwrap();
    if let Some(s) = self_addr {
        o = o.with_self(s).unwrap();
    }
    preflight(&o).unwrap()
}

// ---------- official: snapshot only ----------

#[rstest]
#[case::same_members("10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848", "10.0.0.1:8848", 0)]
#[case::one_ip_changed_other_node("10.0.0.1:8848,10.0.0.2:8848,10.0.0.9:8848", "10.0.0.1:8848", 1)]
#[case::one_ip_changed_this_node("10.0.0.1:8848,10.0.0.2:8848,10.0.0.9:8848", "10.0.0.9:8848", 2)]
#[case::majority_changed("10.0.0.7:8848,10.0.0.8:8848,10.0.0.3:8848", "10.0.0.3:8848", 3)]
#[case::all_changed("10.0.1.1:8848\n10.0.1.2:8848\n10.0.1.3:8848\n", "10.0.1.1:8848", 3)]
#[case::node_added_only(
    "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848,10.0.0.4:8848",
    "10.0.0.1:8848",
    1
)]
fn snapshot_only_verdicts(#[case] target: &str, #[case] me: &str, #[case] code: i32) {
    let home = tempfile::tempdir().unwrap();
    group(
        home.path(),
        "naming_persistent_service_v2",
        Some(stable_meta(4, "10.0.0.2:7848")),
        Some((57, snapshot_meta(57, 4, &ABC, &[]))),
    );
    let r = run(home.path(), target, Some(me));
    let g = &r.groups[0];
    assert_eq!(g.verdict.exit_code(), code, "{r}");
    assert_eq!(r.exit_code(), code);
    assert_eq!(
        (g.term, g.voted_for.as_deref()),
        (Some(4), Some("10.0.0.2:7848"))
    );
    assert_eq!(g.effective.as_ref().unwrap().source, ConfSource::Snapshot);
    assert_eq!(g.confidence, Confidence::High);
    assert_eq!(
        g.remedies.is_empty(),
        code == 0,
        "remedies only for non-OK verdicts"
    );
}

#[test]
fn stale_lists_name_the_peers() {
    let home = tempfile::tempdir().unwrap();
    group(
        home.path(),
        "nacos_config",
        None,
        Some((3, snapshot_meta(3, 1, &ABC, &[]))),
    );
    let r = run(
        home.path(),
        "10.0.0.1:8848,10.0.0.2:8848,10.0.0.9:8848",
        None,
    );
    assert_eq!(
        r.groups[0].verdict,
        Verdict::StalePeers {
            stale: vec!["10.0.0.3:7848".into()],
            missing: vec!["10.0.0.9:7848".into()]
        }
    );
    let q = run(
        home.path(),
        "10.0.0.1:8848,10.0.0.8:8848,10.0.0.9:8848",
        None,
    );
    assert!(matches!(
        q.groups[0].verdict,
        Verdict::QuorumImpossible {
            present: 1,
            quorum: 2,
            ..
        }
    ));
}

#[test]
fn non_ok_verdicts_carry_resetpeers_and_data_loss() {
    let home = tempfile::tempdir().unwrap();
    group(
        home.path(),
        "nacos_config",
        None,
        Some((3, snapshot_meta(3, 1, &ABC, &[]))),
    );
    let r = run(
        home.path(),
        "10.0.1.1:8848,10.0.1.2:8848,10.0.1.3:8848",
        None,
    );
    let g = &r.groups[0];
    let reset = g
        .remedies
        .iter()
        .find(|x| x.action == "resetPeers")
        .expect("resetPeers offered");
    assert!(!reset.needs_leader);
    assert!(reset.how.contains(r#"{"groupId":"nacos_config","command":"resetPeers","value":"10.0.1.1:7848,10.0.1.2:7848,10.0.1.3:7848"}"#), "{}", reset.how);
    assert!(reset.how.contains("/nacos/v1/core/ops/raft"));
    let del = g.remedies.iter().find(|x| x.data_loss.is_some()).unwrap();
    assert!(del.data_loss.as_ref().unwrap().contains("config"));
    // quorum impossible: no leader-requiring remedy is offered
    assert!(g.remedies.iter().all(|x| !x.needs_leader));
    let text = r.to_string();
    assert!(
        text.contains("QUORUM IMPOSSIBLE") && text.contains("exit code 3"),
        "{text}"
    );
    // a minority problem offers removePeer through the leader
    let s = run(
        home.path(),
        "10.0.0.1:8848,10.0.0.2:8848,10.0.0.9:8848",
        None,
    );
    assert!(
        s.groups[0]
            .remedies
            .iter()
            .any(|x| x.action == "removePeer" && x.needs_leader && x.how.contains("10.0.0.3:7848"))
    );
}

// ---------- official: hostname peers ----------

#[rstest]
#[case::same_hostnames("nacos-1:8848,nacos-2:8848,nacos-3:8848", "nacos-2:8848", 0)]
#[case::ips_instead_of_hostnames("10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848", "10.0.0.1:8848", 3)]
#[case::fqdn_is_a_different_peer(
    "nacos-1.svc:8848,nacos-2:8848,nacos-3:8848",
    "nacos-1.svc:8848",
    2
)]
fn hostname_peers(#[case] target: &str, #[case] me: &str, #[case] code: i32) {
    let home = tempfile::tempdir().unwrap();
    let peers = ["nacos-1:7848", "nacos-2:7848", "nacos-3:7848"];
    group(
        home.path(),
        "naming_service_metadata",
        None,
        Some((9, snapshot_meta(9, 2, &peers, &[]))),
    );
    assert_eq!(run(home.path(), target, Some(me)).exit_code(), code);
}

// ---------- official: joint configuration ----------

#[rstest]
#[case::old_half_lost_quorum(&["10.0.9.1:7848", "10.0.9.2:7848", "10.0.0.3:7848"], None, 3)]
#[case::old_half_minority_stale(&["10.0.0.1:7848", "10.0.0.2:7848", "10.0.9.9:7848"], None, 1)]
#[case::self_only_in_old_half_is_in_conf(&["10.0.0.1:7848", "10.0.0.2:7848", "10.0.0.4:7848"], Some("10.0.0.4:8848"), 1)]
#[case::self_in_neither_half(&["10.0.0.1:7848", "10.0.0.2:7848", "10.0.0.3:7848"], Some("10.0.0.5:8848"), 2)]
fn joint_configuration(#[case] old: &[&str], #[case] me: Option<&str>, #[case] code: i32) {
    let home = tempfile::tempdir().unwrap();
    group(
        home.path(),
        "naming_persistent_service",
        None,
        Some((20, snapshot_meta(20, 3, &ABC, old))),
    );
    let r = run(
        home.path(),
        "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848,10.0.0.4:8848,10.0.0.5:8848",
        me,
    );
    let g = &r.groups[0];
    assert_eq!(g.effective.as_ref().unwrap().old_peers.len(), 3);
    // the new half alone is a 3-of-5 minority problem; old half decides the rest
    assert_eq!(g.verdict.exit_code(), code, "{r}");
}

// ---------- report: worst, exit codes, JSON ----------

#[test]
fn worst_over_groups_and_json_round_trip() {
    let home = tempfile::tempdir().unwrap();
    group(
        home.path(),
        "a_ok",
        None,
        Some((5, snapshot_meta(5, 1, &ABC, &[]))),
    );
    group(
        home.path(),
        "b_stale",
        None,
        Some((
            5,
            snapshot_meta(
                5,
                1,
                &["10.0.0.1:7848", "10.0.0.2:7848", "10.0.0.8:7848"],
                &[],
            ),
        )),
    );
    group(
        home.path(),
        "c_quorum",
        None,
        Some((
            5,
            snapshot_meta(
                5,
                1,
                &["10.0.0.1:7848", "10.0.0.7:7848", "10.0.0.8:7848"],
                &[],
            ),
        )),
    );
    let r = run(
        home.path(),
        "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848",
        Some("10.0.0.1:8848"),
    );
    let codes: Vec<i32> = r.groups.iter().map(|g| g.verdict.exit_code()).collect();
    assert_eq!(codes, [0, 1, 3]);
    assert_eq!(r.worst().exit_code(), 3);
    let json = r.to_json().unwrap();
    assert!(
        json.contains("\"verdict\": \"quorum_impossible\""),
        "{json}"
    );
    let back: nacos_chaos::preflight::PreflightReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn cluster_conf_parsing() {
    let conf = "# Nacos cluster\n\n10.0.0.1:8848\n  10.0.0.2:8848   # second\n10.0.0.3:8848,10.0.0.4:8850\n";
    let m = parse_members(conf).unwrap();
    let peers: Vec<String> = m.iter().map(|m| m.official_peer().unwrap()).collect();
    assert_eq!(
        peers,
        [
            "10.0.0.1:7848",
            "10.0.0.2:7848",
            "10.0.0.3:7848",
            "10.0.0.4:7850"
        ]
    );
    assert!(parse_members("10.0.0.1:http").is_err());
    assert!(parse_members("\n# nothing\n").is_err());
}

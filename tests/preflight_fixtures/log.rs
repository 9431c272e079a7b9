//! Official JRaft log: pure decoding of `Configuration` column-family pairs (hand-encoded
//! bytes, no RocksDB) and the newest-configuration-wins rule.

use super::*;

// ---------- official: log-entry decoding (pure, hand-encoded bytes) ----------

#[test]
fn decodes_configuration_cf_entry() {
    let (k, v) = log_entry(
        12,
        5,
        3,
        &["10.0.0.1:7848", "10.0.0.2:7848:0:0"],
        &["10.0.0.3:7848"],
    );
    let ConfRecord::Entry(c) = decode_conf_record(&k, &v).unwrap() else {
        panic!("not an entry")
    };
    assert_eq!((c.index, c.term, c.source), (12, 5, ConfSource::Log));
    assert_eq!(c.peers, ["10.0.0.1:7848", "10.0.0.2:7848"]); // PeerId idx/priority stripped
    assert_eq!(c.old_peers, ["10.0.0.3:7848"]);
    assert_eq!(
        decode_conf_record(b"meta/firstLogIndex", &[0, 0, 0, 0, 0, 0, 0, 9]).unwrap(),
        ConfRecord::FirstLogIndex(9)
    );
}

#[rstest]
#[case::data_entry_not_conf(log_entry(12, 5, 2, &["a:1"], &[]), "not CONFIGURATION")]
#[case::v1_or_garbage_header((12u64.to_be_bytes().to_vec(), vec![0xB8, 0, 1, 2, 3, 4, 5]), "no V2 header")]
#[case::short_key((vec![0, 1], log_entry(1, 1, 3, &[], &[]).1), "neither an 8-byte")]
#[case::key_index_mismatch((13u64.to_be_bytes().to_vec(), log_entry(12, 5, 3, &["a:1"], &[]).1), "says 12")]
#[case::truncated_value({ let (k, mut v) = log_entry(12, 5, 3, &["10.0.0.1:7848"], &[]); v.truncate(v.len() - 6); (k, v) }, "exceeds")]
#[case::bad_first_index((b"meta/firstLogIndex".to_vec(), vec![1, 2]), "expected 8")]
fn rejects_bad_configuration_cf_entries(#[case] kv: (Vec<u8>, Vec<u8>), #[case] needle: &str) {
    let e = decode_conf_record(&kv.0, &kv.1).unwrap_err();
    assert!(e.contains(needle), "{e}");
}

// ---------- official: snapshot + log, newest wins ----------

fn state(
    snapshot: Option<PersistedConf>,
    log: Vec<PersistedConf>,
    first: Option<u64>,
) -> GroupState {
    GroupState {
        stable: None,
        snapshot,
        log: LogStatus::Read {
            conf_entries: log.len(),
            first_log_index: first,
        },
        log_confs: log,
        first_log_index: first,
        notes: vec![],
    }
}

fn decoded(index: u64, peers: &[&str]) -> PersistedConf {
    let (k, v) = log_entry(index, 2, 3, peers, &[]);
    match decode_conf_record(&k, &v).unwrap() {
        ConfRecord::Entry(c) => c,
        other => panic!("{other:?}"),
    }
}

const NEW: [&str; 3] = ["10.0.1.1:7848", "10.0.1.2:7848", "10.0.1.3:7848"];
const NEW_TARGET: [&str; 3] = ["10.0.1.1:7848", "10.0.1.2:7848", "10.0.1.3:7848"];

#[rstest]
#[case::log_newer_than_snapshot(12, None, ConfSource::Log, 0)]
#[case::log_older_than_snapshot(8, None, ConfSource::Snapshot, 3)]
#[case::log_entry_below_first_log_index(12, Some(13), ConfSource::Snapshot, 3)]
fn newest_configuration_wins(
    #[case] log_index: u64,
    #[case] first: Option<u64>,
    #[case] src: ConfSource,
    #[case] code: i32,
) {
    let snap_file = snapshot_meta(10, 1, &ABC, &[]);
    let snap = nacos_chaos::preflight::jraft::decode_snapshot_meta_file(&snap_file).unwrap();
    let st = state(
        Some(snap),
        vec![decoded(3, &ABC), decoded(log_index, &NEW)],
        first,
    );
    let target: Vec<String> = NEW_TARGET.iter().map(|s| s.to_string()).collect();
    let g = judge_state(
        GroupReport::new("g", "/g".into(), Verdict::Ok),
        st,
        &target,
        Some("10.0.1.1:7848"),
    );
    assert_eq!(g.effective.as_ref().unwrap().source, src);
    assert_eq!(g.verdict.exit_code(), code, "{g}");
}

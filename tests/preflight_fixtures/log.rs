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
#[case::v1_cut_short((12u64.to_be_bytes().to_vec(), vec![0xB8, 0, 1, 2, 3, 4, 5]), "truncated")]
#[case::garbage_first_byte((12u64.to_be_bytes().to_vec(), vec![0x42, 0, 1, 2, 3, 4, 5]), "neither V2")]
#[case::short_key((vec![0, 1], log_entry(1, 1, 3, &[], &[]).1), "neither an 8-byte")]
#[case::key_index_mismatch((13u64.to_be_bytes().to_vec(), log_entry(12, 5, 3, &["a:1"], &[]).1), "says 12")]
#[case::truncated_value({ let (k, mut v) = log_entry(12, 5, 3, &["10.0.0.1:7848"], &[]); v.truncate(v.len() - 6); (k, v) }, "exceeds")]
#[case::bad_first_index((b"meta/firstLogIndex".to_vec(), vec![1, 2]), "expected 8")]
fn rejects_bad_configuration_cf_entries(#[case] kv: (Vec<u8>, Vec<u8>), #[case] needle: &str) {
    let e = decode_conf_record(&kv.0, &kv.1).unwrap_err().to_string();
    assert!(e.contains(needle), "{e}");
}

// ---------- official: legacy V1 entries (JRaft's AutoDetectDecoder reads them) ----------

#[test]
fn v1_configuration_entry_decodes_to_its_peers() {
    let (k, v) = v1_log_entry(
        21,
        6,
        3,
        &["10.0.0.1:7848", "10.0.0.2:7848:0:0"],
        &["10.0.0.3:7848"],
    );
    let ConfRecord::Entry(c) = decode_conf_record(&k, &v).unwrap() else {
        panic!("not an entry")
    };
    assert_eq!((c.index, c.term, c.source), (21, 6, ConfSource::Log));
    assert_eq!(c.peers, ["10.0.0.1:7848", "10.0.0.2:7848"]);
    assert_eq!(c.old_peers, ["10.0.0.3:7848"]);
    // and it counts like a V2 entry: newest wins over an older snapshot
    let st = state(None, vec![c], None);
    let target: Vec<String> = ABC.iter().map(|s| s.to_string()).collect();
    let g = judge_state(
        GroupReport::new("g", "/g".into(), Verdict::Ok),
        st,
        &target,
        None,
    );
    assert_eq!(g.verdict.exit_code(), 1, "{g}"); // 10.0.0.3 only in the old half
}

#[test]
fn truncated_v1_entry_is_corrupt_not_a_panic() {
    let (k, v) = v1_log_entry(21, 6, 3, &ABC, &["10.0.0.9:7848"]);
    // V1 has no end marker but a configuration entry carries no data: every prefix is short
    for n in 1..v.len() {
        let e = decode_conf_record(&k, &v[..n])
            .expect_err(&format!("prefix of {n} bytes decoded"))
            .to_string();
        assert!(
            e.contains("at byte") && e.contains("truncated"),
            "len {n}: {e}"
        );
    }
    // counts and lengths that lie: never trusted for an allocation, never a panic
    let mut huge = v.clone();
    huge[21..25].copy_from_slice(&i32::MAX.to_be_bytes());
    let e = decode_conf_record(&k, &huge).unwrap_err().to_string();
    assert!(e.contains("at byte 21") && e.contains("peer count"), "{e}");
    let mut negative = v.clone();
    negative[25..27].copy_from_slice(&(-3i16).to_be_bytes());
    let e = decode_conf_record(&k, &negative).unwrap_err().to_string();
    assert!(e.contains("at byte 25") && e.contains("negative"), "{e}");
    // a V1 data entry is not a configuration
    let (k, data) = v1_log_entry(22, 6, 2, &[], &[]);
    let e = decode_conf_record(&k, &data).unwrap_err().to_string();
    assert!(e.contains("not CONFIGURATION"), "{e}");
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

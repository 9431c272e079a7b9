//! One known-good / known-bad pair per strictness rule: a dir whose files agree is judged
//! on its membership (OK against the membership it persists), the same dir with one file
//! damaged is CORRUPT naming that file and the byte offset — never OK. Assertions go through
//! the exit code and the report's JSON, the surface that does not change between versions.

use nacos_chaos::preflight::PreflightReport;

#[path = "../preflight_dirs/mod.rs"]
mod dirs;

use dirs::*;

fn judge_rnacos(d: &Dir) -> PreflightReport {
    let t = tempfile::tempdir().unwrap();
    d.write(t.path());
    run_rnacos(t.path(), RN_OLD_TARGET).unwrap()
}

fn judge_official(d: &Dir) -> PreflightReport {
    let t = tempfile::tempdir().unwrap();
    d.write(t.path());
    run_official(t.path(), JR_OLD_TARGET).unwrap()
}

#[track_caller]
fn assert_ok(r: &PreflightReport) {
    assert_eq!(r.exit_code(), 0, "known good must be OK:\n{r}");
}

/// The worst verdict is CORRUPT, naming `file` (its last path component) and `offset`.
#[track_caller]
fn assert_corrupt(r: &PreflightReport, file: &str, offset: Option<u64>) {
    assert_eq!(r.exit_code(), 4, "{r}");
    let Some((f, o)) = corrupt_at(r) else {
        panic!("expected CORRUPT naming {file}:\n{r}")
    };
    assert!(
        f.ends_with(&format!("/{file}")),
        "names {f}, not {file}:\n{r}"
    );
    assert_eq!(o, offset, "offset in {file}:\n{r}");
}

/// Offset just past record `i` of a log (where the next record, or the end marker, begins).
fn rec_end(log: &[u8], offs: &[usize], i: usize) -> usize {
    let (len, n) = nacos_chaos::preflight::proto::read_varint(&log[offs[i]..]).unwrap();
    offs[i] + n + len as usize
}

// ---------- r-nacos: index ----------

#[test]
fn a_fresh_dir_is_a_new_member_but_a_truncated_index_beside_a_log_of_46_records_is_corrupt() {
    let mut fresh = Dir::default();
    fresh.put("index", vec![8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    fresh.put("db_lock", vec![]);
    let r = judge_rnacos(&fresh);
    assert_ok(&r);
    assert!(!r.groups[0].present, "{r}");

    let (mut d, _, _) = rnacos_46();
    assert_ok(&judge_rnacos(&d));
    d.get_mut("index").truncate(19);
    assert_corrupt(&judge_rnacos(&d), "index", Some(19));
    d.get_mut("index").clear();
    assert_corrupt(&judge_rnacos(&d), "index", Some(0));
}

#[test]
fn a_missing_index_beside_a_log_is_corrupt() {
    let (mut d, _, _) = rnacos_46();
    d.remove("index");
    assert_corrupt(&judge_rnacos(&d), "index", None);
}

#[test]
fn an_index_naming_no_members_beside_applied_members_records_is_corrupt() {
    let (mut d, mut ix, offs) = rnacos_46();
    ix.member.clear();
    d.put("index", ix.bytes());
    assert_corrupt(&judge_rnacos(&d), "index", Some(8));
    let r = judge_rnacos(&d).to_string();
    // entry 7 is the last Members record of the bring-up
    assert!(r.contains(&format!("entry 7 (byte {})", offs[6])), "{r}");
}

#[test]
fn an_index_naming_no_segment_beside_a_log_of_records_is_corrupt() {
    let (mut d, mut ix, _) = rnacos_46();
    ix.logs.clear();
    d.put("index", ix.bytes());
    assert_corrupt(&judge_rnacos(&d), "index", Some(8));
}

#[test]
fn an_index_applied_beyond_the_log_is_corrupt() {
    let (mut d, mut ix, offs) = rnacos_46();
    let end = rec_end(d.get("log_1"), &offs, 45) as u64;
    ix.last_applied = 46;
    d.put("index", ix.bytes());
    assert_ok(&judge_rnacos(&d));
    ix.last_applied = 60;
    d.put("index", ix.bytes());
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(end));
}

// ---------- r-nacos: log segments ----------

#[test]
fn a_log_whose_records_stop_mid_way_is_corrupt() {
    let (mut d, _, offs) = rnacos_46();
    d.get_mut("log_1").truncate(offs[20] + 5);
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(offs[20] as u64));
}

#[test]
fn a_log_cut_right_after_a_record_has_no_end_marker_and_is_corrupt() {
    let (mut d, _, offs) = rnacos_46();
    let end = rec_end(d.get("log_1"), &offs, 45);
    d.get_mut("log_1").truncate(end);
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(end as u64));
}

#[test]
fn a_log_shorter_than_its_data_area_is_corrupt() {
    let (mut d, _, _) = rnacos_46();
    d.get_mut("log_1").truncate(2000);
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(2000));
}

#[test]
fn a_log_with_a_zeroed_record_stops_before_the_applied_entries_and_is_corrupt() {
    let (mut d, _, offs) = rnacos_46();
    let log = d.get_mut("log_1");
    let (a, b) = (offs[40], offs[41]);
    log[a..b].fill(0);
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(a as u64));
}

#[test]
fn a_duplicated_log_record_is_corrupt() {
    let (mut d, _, offs) = rnacos_46();
    let log = d.get_mut("log_1");
    let rec = log[offs[9]..offs[10]].to_vec();
    log.splice(offs[10]..offs[10], rec);
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(offs[10] as u64));
}

#[test]
fn a_log_without_its_magic_is_corrupt() {
    let (mut d, _, _) = rnacos_46();
    d.get_mut("log_1")[0] ^= 0x40;
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(0));
}

#[test]
fn a_log_starting_elsewhere_than_its_log_range_is_corrupt() {
    let (mut d, _, _) = rnacos_46();
    d.get_mut("log_1")[14..22].copy_from_slice(&5u64.to_be_bytes());
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(14));
}

#[test]
fn a_missing_log_the_index_names_is_corrupt() {
    let (mut d, _, _) = rnacos_46();
    d.remove("log_1");
    assert_corrupt(&judge_rnacos(&d), "log_1", None);
}

#[test]
fn a_record_length_of_u64_max_is_corrupt_without_a_panic() {
    let (mut d, _, offs) = rnacos_46();
    let log = d.get_mut("log_1");
    let at = offs[20];
    log[at..at + 10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(at as u64));
}

#[test]
fn an_index_area_entry_that_misses_its_record_is_corrupt() {
    let (mut d, _, _) = rnacos_300_snap();
    assert_ok(&judge_rnacos(&d));
    let log = d.get_mut("log_1");
    assert_ne!(log[32] & 0x7F, 0x7F);
    log[32] += 1; // entry 1 now points one byte past record 129
    assert_corrupt(&judge_rnacos(&d), "log_1", Some(32));
}

// ---------- r-nacos: snapshot ----------

/// Offset of the last record of a snapshot file.
fn last_snapshot_record(f: &[u8]) -> usize {
    let (mut at, mut last) = (0, 0);
    while at < f.len() {
        let (len, n) = nacos_chaos::preflight::proto::read_varint(&f[at..]).unwrap();
        last = at;
        at += n + len as usize;
    }
    last
}

#[test]
fn a_missing_snapshot_the_index_names_is_corrupt() {
    let (mut d, _, _) = rnacos_300_snap();
    d.remove("snapshot_1");
    assert_corrupt(&judge_rnacos(&d), "snapshot_1", None);
}

#[test]
fn a_snapshot_whose_records_stop_mid_way_is_corrupt() {
    let (mut d, _, _) = rnacos_300_snap();
    let f = d.get_mut("snapshot_1");
    let last = last_snapshot_record(f);
    f.truncate(f.len() - 3);
    assert_corrupt(&judge_rnacos(&d), "snapshot_1", Some(last as u64));
}

#[test]
fn a_snapshot_ending_elsewhere_than_the_index_says_is_corrupt() {
    let (mut d, mut ix, _) = rnacos_300_snap();
    ix.snapshots = vec![(1, 250)];
    d.put("index", ix.bytes());
    assert_corrupt(&judge_rnacos(&d), "snapshot_1", Some(0));
}

// ---------- official JRaft ----------

const G: &str = "data/protocol/raft/naming_persistent_service_v2";

#[test]
fn a_snapshot_missing_the_archive_its_meta_lists_is_corrupt() {
    let mut d = jraft_home();
    assert_ok(&judge_official(&d));
    d.remove(&format!("{G}/snapshot/snapshot_57/persistent_instance.zip"));
    let r = judge_official(&d);
    // the File entry follows the message start (33) and the 51-byte SnapshotMeta field
    assert_corrupt(&r, "__raft_snapshot_meta", Some(33 + 51));
    assert!(r.to_string().contains("persistent_instance.zip"), "{r}");
}

#[test]
fn a_snapshot_meta_disagreeing_with_its_directory_is_corrupt() {
    let mut d = jraft_home();
    d.put(
        &format!("{G}/snapshot/snapshot_57/__raft_snapshot_meta"),
        snapshot_meta(56, 4, &ABC, &["persistent_instance.zip"]),
    );
    // name (25 bytes) and two lengths; then LocalSnapshotPbMeta field 1's tag and length
    assert_corrupt(&judge_official(&d), "__raft_snapshot_meta", Some(33 + 2));
}

#[test]
fn a_raft_meta_term_below_the_snapshot_term_is_corrupt() {
    let mut d = jraft_home();
    d.put(
        &format!("{G}/meta-data/raft_meta"),
        stable_meta(4, "10.0.0.2:7848"),
    );
    assert_ok(&judge_official(&d));
    d.put(
        &format!("{G}/meta-data/raft_meta"),
        stable_meta(3, "10.0.0.2:7848"),
    );
    // "jraft.StablePBMeta" is 18 bytes: the message begins at 4 + 18 + 4
    assert_corrupt(&judge_official(&d), "raft_meta", Some(26));
}

#[test]
fn a_snapshot_without_raft_meta_is_corrupt() {
    let mut d = jraft_home();
    d.remove(&format!("{G}/meta-data/raft_meta"));
    assert_corrupt(&judge_official(&d), "raft_meta", None);
}

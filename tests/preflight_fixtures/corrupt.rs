//! Official JRaft: corrupt, truncated and missing files and directories, and the unread log.

use super::*;

// ---------- official: corrupt / truncated / missing ----------

#[rstest]
#[case::raft_meta_truncated(Some(stable_meta(4, "a:7848")[..9].to_vec()), None, "raft_meta")]
#[case::raft_meta_empty(Some(vec![]), None, "raft_meta")]
#[case::raft_meta_wrong_container(Some(protobuf_file("jraft.LogPBMeta", &[8, 1])), None, "raft_meta")]
#[case::raft_meta_missing_votedfor(Some(protobuf_file("jraft.StablePBMeta", &[8, 1])), None, "votedfor")]
#[case::snapshot_meta_truncated(None, Some({ let s = snapshot_meta(5, 1, &ABC, &[]); s[..s.len() - 4].to_vec() }), "__raft_snapshot_meta")]
#[case::snapshot_meta_garbage(None, Some(vec![0xFF; 64]), "__raft_snapshot_meta")]
fn corrupt_files_are_corrupt_and_named(
    #[case] meta: Option<Vec<u8>>,
    #[case] snap: Option<Vec<u8>>,
    #[case] needle: &str,
) {
    let home = tempfile::tempdir().unwrap();
    group(home.path(), "nacos_config", meta, snap.map(|s| (5, s)));
    group(
        home.path(),
        "naming_service_metadata",
        None,
        Some((9, snapshot_meta(9, 2, &ABC, &[]))),
    );
    let r = run(
        home.path(),
        "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848",
        None,
    );
    let bad = r.groups.iter().find(|g| g.group == "nacos_config").unwrap();
    let Verdict::Corrupt { file, detail, .. } = &bad.verdict else {
        panic!("expected corrupt: {r}")
    };
    assert!(
        format!("{file}: {detail}").contains(needle),
        "{file}: {detail}"
    );
    // the healthy group is still judged, and the worst verdict is "corrupt" (exit code 4)
    assert_eq!(
        r.groups
            .iter()
            .find(|g| g.group == "naming_service_metadata")
            .unwrap()
            .verdict,
        Verdict::Ok
    );
    assert_eq!(r.exit_code(), 4);
}

#[test]
fn every_truncation_of_valid_files_errors_without_panic() {
    let meta = stable_meta(7, "10.0.0.1:7848");
    let snap = snapshot_meta(5, 1, &ABC, &["10.0.0.4:7848"]);
    let (k, v) = log_entry(12, 5, 3, &ABC, &[]);
    for n in 0..meta.len() {
        assert!(
            nacos_chaos::preflight::jraft::decode_stable_meta(&meta[..n]).is_err(),
            "len {n}"
        );
    }
    for n in 0..snap.len() {
        assert!(
            nacos_chaos::preflight::jraft::decode_snapshot_meta_file(&snap[..n]).is_err(),
            "len {n}"
        );
    }
    let mut errs = 0;
    for n in 0..v.len() {
        errs += usize::from(decode_conf_record(&k, &v[..n]).is_err());
    }
    // truncation at a field boundary can still decode (protobuf has no end marker); the rest must fail
    assert!(errs >= v.len() - 8, "{errs} of {}", v.len());
}

#[test]
fn snapshot_dir_without_meta_is_unreadable() {
    let home = tempfile::tempdir().unwrap();
    let g = group(home.path(), "nacos_config", None, None);
    std::fs::create_dir_all(g.join("snapshot/snapshot_4")).unwrap();
    let e = read_group(&g).unwrap_err().to_string();
    assert!(
        e.contains("__raft_snapshot_meta") && e.contains("missing"),
        "{e}"
    );
}

#[test]
fn missing_group_dir_and_missing_raft_dir() {
    let home = tempfile::tempdir().unwrap();
    group(
        home.path(),
        "naming_service_metadata",
        Some(stable_meta(1, "0.0.0.0:0")),
        None,
    );
    let o = PreflightOptions::new(home.path(), FlavorKind::Official, "10.0.0.1:8848")
        .unwrap()
        .with_groups(&["nacos_config"]);
    let r = preflight(&o).unwrap();
    let missing = r.groups.iter().find(|g| g.group == "nacos_config").unwrap();
    assert!(!missing.present && missing.verdict == Verdict::Ok);
    assert!(missing.notes[0].contains("does not exist"));
    // meta only (never elected): boots from cluster.conf, term still reported
    let meta_only = r
        .groups
        .iter()
        .find(|g| g.group == "naming_service_metadata")
        .unwrap();
    assert_eq!(
        (meta_only.verdict.clone(), meta_only.term),
        (Verdict::Ok, Some(1))
    );
    // a dir with no raft data at all is an error, not an OK
    let empty = tempfile::tempdir().unwrap();
    let o = PreflightOptions::new(empty.path(), FlavorKind::Official, "10.0.0.1:8848").unwrap();
    let e = preflight(&o).unwrap_err();
    assert!(
        matches!(e, nacos_chaos::Error::RaftData { .. }) && e.to_string().contains("protocol/raft"),
        "{e}"
    );
}

#[cfg(not(feature = "rocksdb-log"))]
#[test]
fn unread_log_lowers_confidence_or_makes_group_unreadable() {
    let home = tempfile::tempdir().unwrap();
    let with_snap = group(
        home.path(),
        "nacos_config",
        None,
        Some((5, snapshot_meta(5, 1, &ABC, &[]))),
    );
    let log_only = group(
        home.path(),
        "naming_service_metadata",
        Some(stable_meta(3, "10.0.0.1:7848")),
        None,
    );
    for g in [&with_snap, &log_only] {
        std::fs::create_dir_all(g.join("log")).unwrap();
        std::fs::write(g.join("log/CURRENT"), "MANIFEST-000005\n").unwrap();
    }
    let r = run(
        home.path(),
        "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848",
        None,
    );
    let a = r.groups.iter().find(|g| g.group == "nacos_config").unwrap();
    assert_eq!(a.verdict, Verdict::Ok);
    assert!(matches!(&a.confidence, Confidence::Low { reason } if reason.contains("rocksdb-log")));
    assert!(a.log.is_unread());
    let b = r
        .groups
        .iter()
        .find(|g| g.group == "naming_service_metadata")
        .unwrap();
    assert!(matches!(&b.verdict, Verdict::Unreadable { detail } if detail.contains("rocksdb-log")));
    assert!(r.to_string().contains("log NOT read"));
    // an empty log dir is not "a log with data"
    let empty_log = tempfile::tempdir().unwrap();
    let g = group(
        empty_log.path(),
        "x",
        None,
        Some((5, snapshot_meta(5, 1, &ABC, &[]))),
    );
    std::fs::create_dir_all(g.join("log")).unwrap();
    assert_eq!(read_group(&g).unwrap().log, LogStatus::Absent);
}

//! Feature `rocksdb-log`: a real RocksDB log (written with the rocksdb crate, the layout
//! JRaft uses: column families `default` and `Configuration`, 8-byte big-endian index keys,
//! V2-header values) read back by preflight, and the newest configuration winning.

use super::*;

fn write_log(dir: &Path, entries: &[(Vec<u8>, Vec<u8>)]) {
    let mut opts = rocksdb::Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    let db = rocksdb::DB::open_cf(&opts, dir, ["default", "Configuration"]).unwrap();
    let cf = db.cf_handle("Configuration").unwrap();
    for (k, v) in entries {
        db.put_cf(cf, k, v).unwrap();
        db.put(k, v).unwrap();
    }
    db.flush_cf(cf).unwrap();
}

#[test]
fn reads_a_real_rocksdb_log_and_the_newest_configuration_wins() {
    let home = tempfile::tempdir().unwrap();
    let g = home
        .path()
        .join("data/protocol/raft/naming_persistent_service_v2");
    std::fs::create_dir_all(g.join("log")).unwrap();
    let old = ["10.0.0.1:7848", "10.0.0.2:7848", "10.0.0.3:7848"];
    let new = ["10.0.0.1:7848", "10.0.0.2:7848", "10.0.0.9:7848"];
    write_log(
        &g.join("log"),
        &[
            log_entry(3, 1, 3, &old, &[]),
            log_entry(40, 2, 3, &new, &[]),
        ],
    );
    let judge = |target: &str| {
        let opts = PreflightOptions::new(home.path(), FlavorKind::Official, target).unwrap();
        preflight(&opts).unwrap()
    };
    // The index-40 configuration (with .9) is the one that counts.
    let ok = judge("10.0.0.1:8848,10.0.0.2:8848,10.0.0.9:8848");
    assert_eq!(ok.worst().exit_code(), 0, "{ok}");
    let stale = judge("10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848");
    assert_eq!(stale.worst().exit_code(), 1, "{stale}");
    let moved = judge("10.0.1.1:8848,10.0.1.2:8848,10.0.1.3:8848");
    assert_eq!(moved.worst().exit_code(), 3, "{moved}");
}

#[test]
fn a_directory_that_is_not_rocksdb_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let g = home
        .path()
        .join("data/protocol/raft/naming_service_metadata/log");
    std::fs::create_dir_all(&g).unwrap();
    std::fs::write(g.join("CURRENT"), b"garbage").unwrap();
    let opts = PreflightOptions::new(home.path(), FlavorKind::Official, "10.0.0.1:8848").unwrap();
    let r = preflight(&opts).unwrap();
    assert_eq!(r.worst().exit_code(), 4, "{r}");
}

#[test]
fn a_legacy_v1_configuration_entry_in_the_log_is_read() {
    let home = tempfile::tempdir().unwrap();
    let g = home
        .path()
        .join("data/protocol/raft/naming_service_metadata");
    std::fs::create_dir_all(g.join("log")).unwrap();
    let new = ["10.0.1.1:7848", "10.0.1.2:7848", "10.0.1.3:7848"];
    write_log(
        &g.join("log"),
        &[
            log_entry(3, 1, 3, &ABC, &[]),
            v1_log_entry(40, 2, 3, &new, &[]),
        ],
    );
    let opts = PreflightOptions::new(
        home.path(),
        FlavorKind::Official,
        "10.0.1.1:8848,10.0.1.2:8848,10.0.1.3:8848",
    )
    .unwrap();
    let r = preflight(&opts).unwrap();
    // The index-40 V1 entry (the new addresses) is the configuration that counts.
    assert_eq!(r.worst().exit_code(), 0, "{r}");
}

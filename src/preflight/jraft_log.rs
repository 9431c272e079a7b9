//! Feature `rocksdb-log`: read the raw `Configuration` column family of a JRaft RocksDB log,
//! read-only (safe next to a stopped node; a running node's LOCK is not taken by read-only
//! opens). Decoding of the pairs lives in [`super::jraft::decode_conf_record`].
//!
//! ```no_run
//! let pairs = nacos_chaos::preflight::jraft_log::configuration_cf(
//!     std::path::Path::new("data/protocol/raft/naming_persistent_service_v2/log"),
//! ).unwrap();
//! println!("{} records", pairs.len());
//! ```

use std::path::Path;

use crate::error::{Error, Result};

/// All `(key, value)` pairs of the `Configuration` column family, in key order.
///
/// ```no_run
/// let pairs = nacos_chaos::preflight::jraft_log::configuration_cf(std::path::Path::new("log")).unwrap();
/// assert!(pairs.iter().all(|(k, _)| !k.is_empty()));
/// ```
pub fn configuration_cf(log_dir: &Path) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let err = |detail: String| Error::RaftData {
        path: log_dir.to_path_buf(),
        detail,
    };
    let opts = rocksdb::Options::default();
    let cfs = rocksdb::DB::list_cf(&opts, log_dir)
        .map_err(|e| err(format!("not a readable RocksDB: {e}")))?;
    if !cfs.iter().any(|c| c == "Configuration") {
        return Err(err(format!(
            "no 'Configuration' column family (found {cfs:?})"
        )));
    }
    let db = rocksdb::DB::open_cf_for_read_only(&opts, log_dir, &cfs, false)
        .map_err(|e| err(format!("cannot open read-only: {e}")))?;
    let cf = db
        .cf_handle("Configuration")
        .ok_or_else(|| err("column family 'Configuration' vanished after open".into()))?;
    let mut out = Vec::new();
    for item in db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
        let (k, v) = item.map_err(|e| err(format!("iterating Configuration: {e}")))?;
        out.push((k.to_vec(), v.to_vec()));
    }
    Ok(out)
}

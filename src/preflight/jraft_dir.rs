//! Reading one JRaft group directory from disk (`meta-data/`, `snapshot/`, `log/`) into a
//! [`GroupState`]; the byte decoding lives in [`super::jraft`].
//!
//! ```
//! let d = tempfile::tempdir().unwrap();
//! let st = nacos_chaos::preflight::jraft_dir::read_group(d.path()).unwrap();
//! assert!(st.log_confs.is_empty());
//! ```

use std::path::{Path, PathBuf};

use super::damage::{Damage, ReadFailure};
#[cfg(not(feature = "rocksdb-log"))]
use super::jraft::LOG_FEATURE;
#[cfg(feature = "rocksdb-log")]
use super::jraft::{ConfRecord, decode_conf_record};
use super::jraft::{StableMeta, decode_local_snapshot, decode_stable_meta};
use super::report::{LogStatus, PersistedConf};

type Result<T> = std::result::Result<T, ReadFailure>;

/// The persisted state of one group directory, as read (before judging).
///
/// ```
/// use nacos_chaos::preflight::jraft::read_group;
/// let dir = tempfile::tempdir().unwrap();
/// let g = read_group(dir.path()).unwrap();
/// assert!(g.stable.is_none() && g.snapshot.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GroupState {
    /// `raft_meta`, if present.
    pub stable: Option<StableMeta>,
    /// Newest snapshot's configuration, if any.
    pub snapshot: Option<PersistedConf>,
    /// Configuration entries of the log (empty unless read).
    pub log_confs: Vec<PersistedConf>,
    /// `meta/firstLogIndex`, if read.
    pub first_log_index: Option<u64>,
    /// Whether the log was read.
    pub log: LogStatus,
    /// Observations.
    pub notes: Vec<String>,
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| ReadFailure::unreadable(path, format!("cannot read: {e}")))
}

/// The newest `snapshot/snapshot_<idx>` directory of a group, if any.
///
/// ```
/// use nacos_chaos::preflight::jraft::newest_snapshot_dir;
/// let d = tempfile::tempdir().unwrap();
/// for n in ["snapshot_3", "snapshot_12", "temp"] {
///     std::fs::create_dir_all(d.path().join("snapshot").join(n)).unwrap();
/// }
/// let (idx, dir) = newest_snapshot_dir(d.path()).unwrap().unwrap();
/// assert!(idx == 12 && dir.ends_with("snapshot_12"));
/// ```
pub fn newest_snapshot_dir(group_dir: &Path) -> Result<Option<(u64, PathBuf)>> {
    let dir = group_dir.join("snapshot");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    let mut best: Option<(u64, PathBuf)> = None;
    for e in rd {
        let e = e.map_err(|e| ReadFailure::unreadable(&dir, format!("cannot list: {e}")))?;
        let name = e.file_name();
        let Some(idx) = name
            .to_str()
            .and_then(|n| n.strip_prefix("snapshot_"))
            .and_then(|n| n.parse().ok())
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| idx > *b) {
            best = Some((idx, e.path()));
        }
    }
    Ok(best)
}

fn dir_has_entries(p: &Path) -> bool {
    std::fs::read_dir(p)
        .map(|mut rd| rd.next().is_some())
        .unwrap_or(false)
}

/// Read one group directory (`data/protocol/raft/<group>`). An unreadable file is
/// [`ReadFailure::Unreadable`]; a truncated, undecodable or inconsistent one is
/// [`ReadFailure::Corrupt`] naming it and the byte offset:
///
/// - the newest `snapshot_<idx>` must hold `__raft_snapshot_meta`, whose
///   `last_included_index` is `idx` (JRaft names the directory after it), and every file the
///   meta lists (the state machine's archive, e.g. `persistent_instance.zip`) — without it
///   the snapshot cannot be loaded;
/// - beside a snapshot, `raft_meta` exists and its term is not below the snapshot's
///   `last_included_term`: a node raises (and saves) its term before it takes an entry or
///   snapshot of a higher one (`LocalRaftMetaStorage`; a missing file loads as term 0).
///
/// ```
/// use nacos_chaos::preflight::jraft::read_group;
/// let d = tempfile::tempdir().unwrap();
/// std::fs::create_dir_all(d.path().join("meta-data")).unwrap();
/// std::fs::write(d.path().join("meta-data/raft_meta"), [0, 0]).unwrap();
/// let e = read_group(d.path()).unwrap_err().to_string();
/// assert!(e.contains("raft_meta at byte 0") && e.contains("truncated"), "{e}");
/// ```
// Over 80 lines: a JRaft group directory read file by file (meta, snapshots, log), each
// file's damage recorded against its path as it is met.
pub fn read_group(group_dir: &Path) -> Result<GroupState> {
    let mut st = GroupState {
        stable: None,
        snapshot: None,
        log_confs: vec![],
        first_log_index: None,
        log: LogStatus::Absent,
        notes: vec![],
    };
    let meta = group_dir.join("meta-data").join("raft_meta");
    let mut term_at = 0;
    if meta.exists() {
        let bytes = read_file(&meta)?;
        st.stable = Some(decode_stable_meta(&bytes).map_err(|d| ReadFailure::corrupt(&meta, d))?);
        term_at = super::jraft::parse_protobuf_file(&bytes).map_or(0, |(name, _)| 8 + name.len());
    }
    if let Some((idx, dir)) = newest_snapshot_dir(group_dir)? {
        let file = dir.join("__raft_snapshot_meta");
        if !file.exists() {
            return Err(ReadFailure::corrupt(
                &file,
                Damage::new("missing: the newest snapshot directory has no meta file"),
            ));
        }
        let bytes = read_file(&file)?;
        let snap = decode_local_snapshot(&bytes).map_err(|d| ReadFailure::corrupt(&file, d))?;
        let mut c = snap.conf;
        if c.index != idx {
            return Err(ReadFailure::corrupt(
                &file,
                Damage::at(
                    snap.meta_offset,
                    format!(
                        "last_included_index {} but the directory is snapshot_{idx} (JRaft names it after that index)",
                        c.index
                    ),
                ),
            ));
        }
        for (name, at) in &snap.files {
            if !dir.join(name).is_file() {
                return Err(ReadFailure::corrupt(
                    &file,
                    Damage::at(
                        *at,
                        format!(
                            "lists {name}, which is not in {}: the snapshot cannot be loaded",
                            dir.display()
                        ),
                    ),
                ));
            }
        }
        if st.stable.is_none() {
            return Err(ReadFailure::corrupt(
                &meta,
                Damage::new(format!(
                    "missing, but snapshot_{idx} holds entries up to {idx} of term {}: the node's term and vote are lost (JRaft would restart it at term 0, free to vote twice in one term)",
                    c.term
                )),
            ));
        }
        if let Some(m) = st.stable.as_ref().filter(|m| m.term < c.term) {
            return Err(ReadFailure::corrupt(
                &meta,
                Damage::at(
                    term_at,
                    format!(
                        "term {} is below the last_included_term {} of snapshot_{idx}: a node's term never falls below an entry it holds",
                        m.term, c.term
                    ),
                ),
            ));
        }
        c.file = Some(file);
        st.snapshot = Some(c);
    }
    let log_dir = group_dir.join("log");
    if dir_has_entries(&log_dir) {
        read_log(&log_dir, &mut st)?;
    }
    Ok(st)
}

#[cfg(feature = "rocksdb-log")]
fn read_log(log_dir: &Path, st: &mut GroupState) -> Result<()> {
    let pairs = super::jraft_log::configuration_cf(log_dir)
        .map_err(|e| ReadFailure::unreadable(log_dir, e.to_string()))?;
    for (key, value) in pairs {
        match decode_conf_record(&key, &value).map_err(|d| {
            ReadFailure::corrupt(
                log_dir,
                Damage::new(format!("Configuration CF, value of key {key:02x?}: {d}")),
            )
        })? {
            ConfRecord::FirstLogIndex(i) => st.first_log_index = Some(i),
            ConfRecord::Entry(mut c) => {
                c.file = Some(log_dir.to_path_buf());
                st.log_confs.push(c);
            }
        }
    }
    let floor = st.first_log_index.unwrap_or(0);
    st.log_confs.retain(|c| c.index >= floor);
    st.log = LogStatus::Read {
        conf_entries: st.log_confs.len(),
        first_log_index: st.first_log_index,
    };
    Ok(())
}

#[cfg(not(feature = "rocksdb-log"))]
fn read_log(log_dir: &Path, st: &mut GroupState) -> Result<()> {
    st.log = LogStatus::NotRead {
        reason: format!(
            "{} holds a RocksDB log, but this build cannot read it; rebuild with `--features {LOG_FEATURE}`",
            log_dir.display()
        ),
    };
    Ok(())
}

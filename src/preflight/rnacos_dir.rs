//! Reading an r-nacos data dir as a whole, and how its files must agree. Read against
//! nacos-group/r-nacos `src/raft/filestore/` (`raftindex.rs`, `raftlog/mod.rs`,
//! `raftsnapshot.rs`); every rule below is a [`ReadFailure::Corrupt`] naming the file (and
//! byte offset where there is one), never a verdict of OK:
//!
//! - An `index` of 20 bytes or less reads as "never initialised" to r-nacos, which then starts
//!   the node as a new member. That is only true of a dir holding nothing else: beside a
//!   `log_<id>` holding records, or a `snapshot_<id>`, the index was truncated or emptied.
//!   A missing `index` beside them is the same.
//! - Every segment r-nacos opens at start (`RaftLogManager::build_log_actor`: from the last
//!   `LogRange` back, while the range ends after the current snapshot) must exist when it
//!   should hold entries — r-nacos would otherwise create it empty (`LogInnerManager::init`)
//!   — and must read strictly ([`check_segment`]).
//! - The current snapshot (last `SnapshotRange`) must exist, decode, end where the index says,
//!   and its records must be whole.
//! - Entries up to the index's `last_applied` are in a segment or the snapshot: r-nacos writes a
//!   record before applying it, and only compacts what a snapshot covers.
//! - A segment holding records that the index does not name, when it is newer than every
//!   segment the index names (or the index names none), means the index lost its map of the
//!   log. (An older one can be a leftover of compaction.)
//! - An index naming no members, while an applied `Members` record or the snapshot names
//!   some, lost its membership.
//!
//! ```
//! use nacos_chaos::preflight::rnacos_dir::{read_dir, DirRead};
//! let d = tempfile::tempdir().unwrap();
//! std::fs::write(d.path().join("index"), [8, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
//! assert!(matches!(read_dir(d.path()).unwrap(), DirRead::Fresh { .. }));
//! std::fs::write(d.path().join("log_1"), nacos_chaos::preflight::rnacos_log::test_segment(&[40])).unwrap();
//! let e = read_dir(d.path()).unwrap_err();
//! assert!(e.to_string().contains("index at byte 10") && e.to_string().contains("log_1"), "{e}");
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::damage::{Damage, ReadFailure};
use super::report::PersistedConf;
use super::rnacos::{RnacosIndex, decode_index, decode_snapshot_file};
use super::rnacos_log::{Segment, check_segment, scan_log};

/// One segment r-nacos will open, read strictly.
#[derive(Debug, Clone)]
pub struct OpenSegment {
    /// Segment id.
    pub id: u64,
    /// Its file.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// What it holds.
    pub segment: Segment,
}

/// A data dir with persisted state, every file consistent.
#[derive(Debug, Clone)]
pub struct DirState {
    /// The index.
    pub index: RnacosIndex,
    /// Its path.
    pub index_path: PathBuf,
    /// The current snapshot's header, if any.
    pub snapshot: Option<PersistedConf>,
    /// The segments r-nacos will open, oldest first.
    pub segments: Vec<OpenSegment>,
    /// Observations that do not change the verdict.
    pub notes: Vec<String>,
}

/// What a data dir holds.
#[derive(Debug, Clone)]
pub enum DirRead {
    /// Nothing persisted: the node starts (or joins) as a new member.
    Fresh {
        /// Observations.
        notes: Vec<String>,
    },
    /// Persisted state.
    State(Box<DirState>),
}

/// The `log_<id>` and `snapshot_<id>` files of a dir, by id.
type StateFiles = (BTreeMap<u64, PathBuf>, BTreeMap<u64, PathBuf>);

fn state_files(dir: &Path) -> Result<StateFiles, ReadFailure> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| ReadFailure::unreadable(dir, format!("cannot list: {e}")))?;
    let (mut logs, mut snaps) = (BTreeMap::new(), BTreeMap::new());
    for e in rd {
        let e = e.map_err(|e| ReadFailure::unreadable(dir, format!("cannot list: {e}")))?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let id = |p: &str| name.strip_prefix(p).and_then(|n| n.parse::<u64>().ok());
        if let Some(id) = id("log_") {
            logs.insert(id, e.path());
        } else if let Some(id) = id("snapshot_") {
            snaps.insert(id, e.path());
        }
    }
    Ok((logs, snaps))
}

/// Whether a dir holds any r-nacos state file besides `index`.
pub(crate) fn has_state_files(dir: &Path) -> bool {
    state_files(dir).is_ok_and(|(l, s)| !l.is_empty() || !s.is_empty())
}

fn read(path: &Path) -> Result<Option<Vec<u8>>, ReadFailure> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ReadFailure::unreadable(path, format!("cannot read: {e}"))),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// What the state files beside an uninitialised or missing index hold, one phrase each
/// (empty when they hold nothing: a fresh node).
fn state_beside(files: &StateFiles) -> Result<Vec<String>, ReadFailure> {
    let (logs, snaps) = files;
    let mut held = vec![];
    for path in logs.values() {
        let Some(bytes) = read(path)? else { continue };
        match scan_log(&bytes) {
            Ok(r) if r.is_empty() => {}
            Ok(r) => held.push(format!("{} holds {} record(s)", file_name(path), r.len())),
            Err(d) if bytes.iter().any(|b| *b != 0) => {
                held.push(format!("{} holds data ({d})", file_name(path)));
            }
            Err(_) => {}
        }
    }
    for path in snaps.values() {
        held.push(format!("{} exists", file_name(path)));
    }
    Ok(held)
}

/// Read an r-nacos data dir (the dir holding `index`) and check that its files agree.
pub fn read_dir(dir: &Path) -> Result<DirRead, ReadFailure> {
    let files = state_files(dir)?;
    let index_path = dir.join("index");
    let Some(bytes) = read(&index_path)? else {
        let held = state_beside(&files)?;
        return Err(ReadFailure::corrupt(
            &index_path,
            Damage::new(format!(
                "missing, but {}: the membership and the map of these files are gone",
                if held.is_empty() {
                    "log or snapshot files exist".to_string()
                } else {
                    held.join(", ")
                }
            )),
        ));
    };
    let ix = match decode_index(&bytes) {
        Ok(Some(ix)) => ix,
        Ok(None) => {
            let held = state_beside(&files)?;
            if held.is_empty() {
                let mut notes = vec![
                    "index is uninitialised: the node starts (or joins) as a new member".into(),
                ];
                if !files.0.is_empty() {
                    notes.push("its log segment files hold no records".into());
                }
                return Ok(DirRead::Fresh { notes });
            }
            return Err(ReadFailure::corrupt(
                &index_path,
                Damage::at(
                    bytes.len(),
                    format!(
                        "the file ends at byte {} (r-nacos takes 20 bytes or less for a never-initialised node and would start it as a new member, orphaning them), but {}: the index was truncated or emptied, or never got past a fresh join's first entries",
                        bytes.len(),
                        held.join(", ")
                    ),
                ),
            ));
        }
        Err(d) => return Err(ReadFailure::corrupt(&index_path, d)),
    };
    let mut st = DirState {
        index: ix,
        index_path,
        snapshot: None,
        segments: vec![],
        notes: vec![],
    };
    read_snapshot(dir, &files, &mut st)?;
    read_segments(dir, &files, &mut st)?;
    check_applied(&st)?;
    check_membership(&st)?;
    Ok(DirRead::State(Box::new(st)))
}

fn read_snapshot(dir: &Path, files: &StateFiles, st: &mut DirState) -> Result<(), ReadFailure> {
    let ix = &st.index;
    for (id, path) in &files.1 {
        if !ix.snapshots.iter().any(|s| s.0 == *id) && ix.last_snapshot != *id {
            st.notes.push(format!(
                "{} is not named by the index (left over; r-nacos ignores it)",
                file_name(path)
            ));
        }
    }
    let Some((id, end)) = ix.current_snapshot() else {
        return Ok(());
    };
    let path = dir.join(format!("snapshot_{id}"));
    let Some(bytes) = read(&path)? else {
        return Err(ReadFailure::corrupt(
            &path,
            Damage::new(format!(
                "missing: the index names it as the snapshot of entries up to {end}, which r-nacos rebuilds its state from"
            )),
        ));
    };
    let (mut c, _) =
        decode_snapshot_file(&bytes, true).map_err(|d| ReadFailure::corrupt(&path, d))?;
    // The legacy `last_snapshot` field may come without an index (0): nothing to compare.
    if c.index != end && (end != 0 || !ix.snapshots.is_empty()) {
        return Err(ReadFailure::corrupt(
            &path,
            Damage::at(
                0,
                format!(
                    "its header says it covers entries up to {}, the index says {end}",
                    c.index
                ),
            ),
        ));
    }
    c.file = Some(path);
    st.snapshot = Some(c);
    Ok(())
}

fn read_segments(dir: &Path, files: &StateFiles, st: &mut DirState) -> Result<(), ReadFailure> {
    let ix = &st.index;
    let newest_named = ix.logs.iter().map(|r| r.id).max();
    for (id, path) in &files.0 {
        if ix.logs.iter().any(|r| r.id == *id) {
            continue;
        }
        // An older segment may outlive its compaction (`split_off` ignores a failed remove);
        // a newer one, or any beside an index naming none, holds entries the index lost.
        if newest_named.is_none_or(|n| *id > n) {
            let held = state_beside(&(BTreeMap::from([(*id, path.clone())]), BTreeMap::new()))?;
            if !held.is_empty() {
                return Err(ReadFailure::corrupt(
                    &st.index_path,
                    Damage::at(
                        ix.msg_offset,
                        format!(
                            "names no LogRange for {}, but {}: the index lost its map of the log",
                            file_name(path),
                            held.join(", ")
                        ),
                    ),
                ));
            }
        }
        st.notes.push(format!(
            "{} is not named by the index (left over; r-nacos ignores it)",
            file_name(path)
        ));
    }
    // The entries a snapshot holds start the log after it (`build_log_actor`).
    let after_snapshot = ix.snapshots.last().map_or(0, |s| s.1.saturating_add(1));
    let mut opened = vec![];
    for r in ix.logs.iter().rev() {
        if r.end_index() <= after_snapshot {
            break;
        }
        opened.push(*r);
    }
    opened.reverse();
    for r in opened {
        let path = dir.join(format!("log_{}", r.id));
        let Some(bytes) = read(&path)? else {
            let holds_entries = if r.is_close {
                r.record_count > 0
            } else {
                r.start_index <= ix.last_applied
            };
            if holds_entries {
                return Err(ReadFailure::corrupt(
                    &path,
                    Damage::new(format!(
                        "missing: the index (LogRange at byte {}) names it for entries from {}, and r-nacos would create it empty and lose them",
                        r.offset, r.start_index
                    )),
                ));
            }
            st.notes.push(format!(
                "{} is not there yet (named by the index for entries from {}; none applied)",
                file_name(&path),
                r.start_index
            ));
            continue;
        };
        let segment = check_segment(&bytes, Some(r.start_index))
            .map_err(|d| ReadFailure::corrupt(&path, d))?;
        st.segments.push(OpenSegment {
            id: r.id,
            path,
            bytes,
            segment,
        });
    }
    Ok(())
}

fn check_applied(st: &DirState) -> Result<(), ReadFailure> {
    let applied = st.index.last_applied;
    let in_log = st
        .segments
        .iter()
        .filter_map(|s| s.segment.last_index())
        .max()
        .unwrap_or(0);
    let in_snapshot = st.snapshot.as_ref().map_or(0, |c| c.index);
    let held = in_log.max(in_snapshot);
    if applied <= held {
        return Ok(());
    }
    let Some(last) = st.segments.last() else {
        return Err(ReadFailure::corrupt(
            &st.index_path,
            Damage::at(
                0,
                format!(
                    "says entries up to {applied} were applied, but no log segment holds any{}",
                    if in_snapshot > 0 {
                        format!(" and the snapshot ends at {in_snapshot}")
                    } else {
                        String::new()
                    }
                ),
            ),
        ));
    };
    Err(ReadFailure::corrupt(
        &last.path,
        Damage::at(
            last.segment.end,
            format!(
                "the records end here after entry {held}, but the index says entries up to {applied} were applied: records are missing (truncated or zeroed)"
            ),
        ),
    ))
}

fn check_membership(st: &DirState) -> Result<(), ReadFailure> {
    let ix = &st.index;
    if !ix.member.is_empty() || !ix.member_after_consensus.is_empty() {
        return Ok(());
    }
    let why = |what: String| {
        Err(ReadFailure::corrupt(
            &st.index_path,
            Damage::at(
                ix.msg_offset,
                format!("names no members, but {what}: the membership was lost"),
            ),
        ))
    };
    if let Some(c) = st.snapshot.as_ref().filter(|c| !c.peers.is_empty()) {
        return why(format!(
            "the snapshot it names holds members [{}]",
            c.peers.join(", ")
        ));
    }
    for s in &st.segments {
        let applied = s
            .segment
            .records
            .iter()
            .rev()
            .filter(|r| r.index <= ix.last_applied)
            .find_map(|r| r.members(&s.bytes).map(|m| (r, m)));
        if let Some((r, m)) = applied {
            let ids: Vec<String> = m.iter().map(u64::to_string).collect();
            return why(format!(
                "{} entry {} (byte {}), applied, sets Members [{}]",
                file_name(&s.path),
                r.index,
                r.offset,
                ids.join(", ")
            ));
        }
    }
    Ok(())
}

//! r-nacos (0.5+, read against 0.8.8) persisted Raft state, in `RNACOS_DATA_DIR`:
//!
//! - `index`: `[u64 BE last_applied_log][varint len][RaftIndex]` — the membership, node
//!   addresses, term and vote r-nacos boots with (`get_initial_state` reads only this), and
//!   which `log_<id>` segments and `snapshot_<id>` files hold its entries. The message is
//!   rewritten in place without truncation, so bytes after it are ignored. A file of 20 bytes
//!   or less is treated by r-nacos as "not initialised" (`RaftIndexInnerManager::init`).
//! - `snapshot_<id>`: `[varint len][SnapshotHeader]` then `[varint len][LogSnapshotItem]`
//!   records; the header (last index/term, members, node addresses) is decoded, the records
//!   are only delimited. The current snapshot is the last of `RaftIndex.snapshots`
//!   (`SnapshotRange{1 id, 2 end_index}`); r-nacos never sets `last_snapshot` (4), which is
//!   read only when `snapshots` is empty.
//! - `log_<id>`: read by [`super::rnacos_log`], strictly, and to predict how much of it
//!   r-nacos will load at its next start and, when its loader stops early, the membership
//!   its startup replay will rewrite the index to. Otherwise r-nacos boots with the index
//!   membership, and so does the verdict.
//!
//! How the files must agree (a disagreement is [`super::Verdict::Corrupt`], never OK) is in
//! [`super::rnacos_dir`].
//!
//! `RaftIndex` fields: 1 logs (`LogRange{1 id, 2 pre_term, 3 start_index, 4 record_count,
//! 5 split_off_index, 6 is_close, 7 mark_remove}`), 2 current_log, 3 snapshots,
//! 4 last_snapshot, 5 last_snapshot_index, 6 last_snapshot_term, 7 current_term, 8 voted_for,
//! 9 member (packed uint64), 10 member_after_consensus, 11 node_addrs
//! (`NodeAddrItem{1 id, 2 addr}`). Source: nacos-group/r-nacos `src/raft/filestore/log-pb.proto`.
//!
//! ```
//! use nacos_chaos::preflight::rnacos::decode_index_file;
//! assert_eq!(decode_index_file(&[0u8; 10]).unwrap(), None); // fresh, never initialised
//! ```

use std::path::{Path, PathBuf};

use super::damage::{Damage, offset_in};
use super::members::Member;
use super::proto::{self, Field};
use super::report::{ConfSource, Confidence, GroupReport, PersistedConf};
use super::rnacos_dir::{DirRead, DirState};
use super::verdict::{Verdict, decide};
use crate::error::{Error, Result};

/// One `LogRange` of the index: a `log_<id>` segment and the entries it holds.
///
/// ```
/// use nacos_chaos::preflight::rnacos::LogRange;
/// let open = LogRange { id: 1, start_index: 1, ..Default::default() };
/// assert_eq!(open.end_index(), u64::MAX);
/// let closed = LogRange { is_close: true, record_count: 9, ..open };
/// assert_eq!(closed.end_index(), 10);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogRange {
    /// Segment id (`log_<id>`).
    pub id: u64,
    /// Term of the entry before the segment.
    pub pre_term: u64,
    /// First entry of the segment.
    pub start_index: u64,
    /// Entries in a closed segment.
    pub record_count: u64,
    /// Entries below this were compacted into a snapshot.
    pub split_off_index: u64,
    /// Closed: no more writes go to it.
    pub is_close: bool,
    /// Marked for removal.
    pub mark_remove: bool,
    /// Byte offset of this `LogRange` in the index file.
    pub offset: u64,
}

impl LogRange {
    /// One past the last entry r-nacos takes this segment to hold (`u64::MAX` while open:
    /// `LogRangeWrap::get_log_range_end_index`).
    pub fn end_index(&self) -> u64 {
        if self.is_close {
            self.start_index.saturating_add(self.record_count)
        } else {
            u64::MAX
        }
    }
}

/// Decoded `index` file.
///
/// ```
/// use nacos_chaos::preflight::rnacos::RnacosIndex;
/// assert_eq!(RnacosIndex::default().addr_of(1), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RnacosIndex {
    /// Last applied log index (file header).
    pub last_applied: u64,
    /// Persisted current term.
    pub current_term: u64,
    /// Node id voted for (0 = none).
    pub voted_for: u64,
    /// Voting members (node ids).
    pub member: Vec<u64>,
    /// New members of a joint configuration (node ids).
    pub member_after_consensus: Vec<u64>,
    /// Persisted node addresses (`id`, `ip:grpc_port`).
    pub node_addrs: Vec<(u64, String)>,
    /// `last_snapshot` (4): a snapshot id, 0 = none. r-nacos itself never sets it.
    pub last_snapshot: u64,
    /// Log index covered by that snapshot.
    pub last_snapshot_index: u64,
    /// Term of that index.
    pub last_snapshot_term: u64,
    /// Ids of the `log_<id>` segment files.
    pub log_ids: Vec<u64>,
    /// The `LogRange`s, in order.
    pub logs: Vec<LogRange>,
    /// The `SnapshotRange`s `(id, end_index)`, in order; the last is the current snapshot.
    pub snapshots: Vec<(u64, u64)>,
    /// Byte offset of the `RaftIndex` message in the file.
    pub msg_offset: u64,
}

impl RnacosIndex {
    /// The persisted address of a node id.
    ///
    /// ```
    /// use nacos_chaos::preflight::rnacos::RnacosIndex;
    /// let i = RnacosIndex { node_addrs: vec![(1, "a:9848".into())], ..Default::default() };
    /// assert_eq!(i.addr_of(1), Some("a:9848"));
    /// ```
    pub fn addr_of(&self, id: u64) -> Option<&str> {
        addr_in(&self.node_addrs, id)
    }

    /// The snapshot r-nacos boots from, `(id, end_index)`: the last `SnapshotRange`, or the
    /// legacy `last_snapshot` fields when there is none.
    ///
    /// ```
    /// use nacos_chaos::preflight::rnacos::RnacosIndex;
    /// let i = RnacosIndex { snapshots: vec![(1, 40), (2, 90)], ..Default::default() };
    /// assert_eq!(i.current_snapshot(), Some((2, 90)));
    /// assert_eq!(RnacosIndex::default().current_snapshot(), None);
    /// ```
    pub fn current_snapshot(&self) -> Option<(u64, u64)> {
        self.snapshots.last().copied().or_else(|| {
            (self.last_snapshot > 0).then_some((self.last_snapshot, self.last_snapshot_index))
        })
    }
}

fn addr_in(addrs: &[(u64, String)], id: u64) -> Option<&str> {
    addrs
        .iter()
        .rev()
        .find(|(i, _)| *i == id)
        .map(|(_, a)| a.as_str())
}

fn sub_message<'a>(v: Field<'a>, what: &str) -> std::result::Result<&'a [u8], Damage> {
    v.as_bytes()
        .ok_or_else(|| Damage::new(format!("{what} is not a message")))
}

fn node_addr(file: &[u8], msg: &[u8]) -> std::result::Result<(u64, String), Damage> {
    let (mut id, mut addr) = (0, String::new());
    proto::visit(msg, offset_in(file, msg).unwrap_or(0), |no, v, _| {
        match no {
            1 => id = proto::int(1, v)?,
            2 => addr = proto::utf8(2, v)?,
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("NodeAddrItem"))?;
    Ok((id, addr))
}

fn log_range(file: &[u8], msg: &[u8]) -> std::result::Result<LogRange, Damage> {
    let offset = offset_in(file, msg).unwrap_or(0);
    let mut r = LogRange {
        offset,
        ..Default::default()
    };
    proto::visit(msg, offset, |no, v, _| {
        match no {
            1 => r.id = proto::int(1, v)?,
            2 => r.pre_term = proto::int(2, v)?,
            3 => r.start_index = proto::int(3, v)?,
            4 => r.record_count = proto::int(4, v)?,
            5 => r.split_off_index = proto::int(5, v)?,
            6 => r.is_close = proto::int(6, v)? != 0,
            7 => r.mark_remove = proto::int(7, v)? != 0,
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("LogRange"))?;
    Ok(r)
}

fn snapshot_range(file: &[u8], msg: &[u8]) -> std::result::Result<(u64, u64), Damage> {
    let (mut id, mut end) = (0, 0);
    proto::visit(msg, offset_in(file, msg).unwrap_or(0), |no, v, _| {
        match no {
            1 => id = proto::int(1, v)?,
            2 => end = proto::int(2, v)?,
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("SnapshotRange"))?;
    Ok((id, end))
}

/// The `[varint len][message]` at `at` in `file`: the message and the offset just past it.
fn length_delimited<'a>(
    file: &'a [u8],
    at: usize,
    what: &str,
) -> std::result::Result<(&'a [u8], usize), Damage> {
    let buf = file.get(at..).unwrap_or_default();
    let (len, n) =
        proto::read_varint(buf).map_err(|e| Damage::at(at, format!("{what} length: {e}")))?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| n.checked_add(l))
        .filter(|&e| e <= buf.len())
        .ok_or_else(|| {
            Damage::at(
                at,
                format!(
                    "truncated: {what} claims {len} bytes, only {} present",
                    buf.len().saturating_sub(n)
                ),
            )
        })?;
    Ok((&buf[n..end], at + end))
}

/// Decode an `index` file; `Ok(None)` for a file r-nacos treats as uninitialised (≤ 20 bytes).
/// Damage carries the byte offset in the file.
///
/// ```
/// use nacos_chaos::preflight::rnacos::decode_index;
/// let mut f = 5u64.to_be_bytes().to_vec();
/// f.extend_from_slice(&[9, 0x38, 4, 0x4a, 2, 1, 2, 0x5a, 9, 0x08]); // node_addrs cut short
/// f.extend_from_slice(&[0u8; 8]);
/// let e = decode_index(&f).unwrap_err();
/// assert_eq!(e.offset, Some(15));
/// ```
pub fn decode_index(bytes: &[u8]) -> std::result::Result<Option<RnacosIndex>, Damage> {
    if bytes.len() <= 20 {
        return Ok(None);
    }
    let mut head = [0u8; 8];
    head.copy_from_slice(&bytes[..8]);
    let mut ix = RnacosIndex {
        last_applied: u64::from_be_bytes(head),
        msg_offset: 8,
        ..Default::default()
    };
    let (msg, _) = length_delimited(bytes, 8, "RaftIndex")?;
    let base = offset_in(bytes, msg).unwrap_or(9);
    proto::visit(msg, base, |no, v, _| {
        match no {
            1 => {
                let r = log_range(bytes, sub_message(v, "RaftIndex.logs (1)")?)?;
                ix.log_ids.push(r.id);
                ix.logs.push(r);
            }
            3 => ix.snapshots.push(snapshot_range(
                bytes,
                sub_message(v, "RaftIndex.snapshots (3)")?,
            )?),
            4 => ix.last_snapshot = proto::int(4, v)?,
            5 => ix.last_snapshot_index = proto::int(5, v)?,
            6 => ix.last_snapshot_term = proto::int(6, v)?,
            7 => ix.current_term = proto::int(7, v)?,
            8 => ix.voted_for = proto::int(8, v)?,
            9 => proto::push_u64s(9, v, &mut ix.member)?,
            10 => proto::push_u64s(10, v, &mut ix.member_after_consensus)?,
            11 => ix.node_addrs.push(node_addr(
                bytes,
                sub_message(v, "RaftIndex.node_addrs (11)")?,
            )?),
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("RaftIndex"))?;
    Ok(Some(ix))
}

/// [`decode_index`] with the damage as text (offset included).
///
/// ```
/// use nacos_chaos::preflight::rnacos::decode_index_file;
/// let mut f = 5u64.to_be_bytes().to_vec();
/// let msg = [0x38, 4, 0x40, 1, 0x4a, 2, 1, 2]; // term 4, voted 1, members [1,2]
/// f.push(msg.len() as u8);
/// f.extend_from_slice(&msg);
/// f.extend_from_slice(&[0u8; 16]); // padding / stale tail is ignored
/// let i = decode_index_file(&f).unwrap().unwrap();
/// assert_eq!((i.last_applied, i.current_term, i.voted_for, i.member.clone()), (5, 4, 1, vec![1, 2]));
/// ```
pub fn decode_index_file(bytes: &[u8]) -> std::result::Result<Option<RnacosIndex>, String> {
    decode_index(bytes).map_err(String::from)
}

/// Decode the header of a `snapshot_<id>` file into a configuration (peers as `id=addr`).
///
/// ```
/// use nacos_chaos::preflight::rnacos::decode_snapshot_header;
/// let msg = [0x08, 9, 0x10, 2, 0x1a, 1, 1, 0x2a, 5, 0x08, 1, 0x12, 1, b'a'];
/// let mut f = vec![msg.len() as u8];
/// f.extend_from_slice(&msg);
/// let c = decode_snapshot_header(&f).unwrap();
/// assert_eq!((c.index, c.term, c.peers.clone()), (9, 2, vec!["1=a".to_string()]));
/// ```
pub fn decode_snapshot_header(bytes: &[u8]) -> std::result::Result<PersistedConf, Damage> {
    decode_snapshot_file(bytes, false).map(|(c, _)| c)
}

/// Decode a whole `snapshot_<id>` file: its header, and (when `records`) check that the
/// records after it are whole protobuf messages up to the end of the file (r-nacos writes
/// no padding: `SnapshotWriter`). Returns the header and the number of records.
///
/// ```
/// use nacos_chaos::preflight::rnacos::decode_snapshot_file;
/// let mut f = vec![4, 0x08, 9, 0x10, 2]; // header: index 9, term 2
/// f.extend_from_slice(&[3, 0x0a, 1, b'x']); // one record
/// assert_eq!(decode_snapshot_file(&f, true).unwrap().1, 1);
/// f.extend_from_slice(&[7, 0x0a, 5, b'y']); // a record cut short
/// assert_eq!(decode_snapshot_file(&f, true).unwrap_err().offset, Some(9));
/// ```
pub fn decode_snapshot_file(
    bytes: &[u8],
    records: bool,
) -> std::result::Result<(PersistedConf, usize), Damage> {
    let (msg, mut at) = length_delimited(bytes, 0, "SnapshotHeader")?;
    let mut c = PersistedConf::new(ConfSource::RnacosSnapshot, 0, 0);
    let (mut member, mut after, mut addrs) = (vec![], vec![], vec![]);
    proto::visit(msg, offset_in(bytes, msg).unwrap_or(0), |no, v, _| {
        match no {
            1 => c.index = proto::int(1, v)?,
            2 => c.term = proto::int(2, v)?,
            3 => proto::push_u64s(3, v, &mut member)?,
            4 => proto::push_u64s(4, v, &mut after)?,
            5 => addrs.push(node_addr(
                bytes,
                sub_message(v, "SnapshotHeader.node_addrs (5)")?,
            )?),
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("SnapshotHeader"))?;
    c.peers = label_all(&member, &addrs);
    c.old_peers = label_all(&after, &addrs);
    let mut n = 0;
    while records && at < bytes.len() {
        let (rec, next) = length_delimited(bytes, at, "snapshot record")?;
        proto::visit(rec, offset_in(bytes, rec).unwrap_or(0), |_, _, _| Ok(()))
            .map_err(|d| d.context("snapshot record"))?;
        at = next;
        n += 1;
    }
    Ok((c, n))
}

fn label(id: u64, addrs: &[(u64, String)]) -> String {
    format!("{id}={}", addr_in(addrs, id).unwrap_or("?"))
}

fn label_all(ids: &[u64], addrs: &[(u64, String)]) -> Vec<String> {
    ids.iter().map(|id| label(*id, addrs)).collect()
}

pub(crate) fn target_label(t: &Member) -> String {
    match t.id {
        Some(id) => format!("{id}={}", t.rnacos_addr()),
        None => t.rnacos_addr(),
    }
}

/// Judge persisted r-nacos members (node ids + persisted addresses) against the target. A
/// member is stale if its address is not persisted, differs from the target entry with the
/// same id, or (target without ids) is not among the target addresses.
///
/// ```
/// use nacos_chaos::preflight::members::parse_members;
/// use nacos_chaos::preflight::rnacos::judge_members;
/// let addrs = vec![(1, "a:9848".to_string()), (2, "b:9848".into()), (3, "c:9848".into())];
/// let t = parse_members("1=a:9848,2=b:9848,3=z:9848").unwrap();
/// assert_eq!(judge_members(&[1, 2, 3], &addrs, &t, None).exit_code(), 1);
/// ```
pub fn judge_members(
    members: &[u64],
    addrs: &[(u64, String)],
    target: &[Member],
    self_member: Option<&Member>,
) -> Verdict {
    let matches = |id: u64, t: &Member| {
        let persisted = addr_in(addrs, id);
        persisted == Some(t.rnacos_addr().as_str()) && t.id.is_none_or(|tid| tid == id)
    };
    let stale = members
        .iter()
        .filter(|id| !target.iter().any(|t| matches(**id, t)))
        .map(|id| label(*id, addrs))
        .collect();
    let missing = target
        .iter()
        .filter(|t| !members.iter().any(|id| matches(*id, t)))
        .map(target_label)
        .collect();
    let self_missing = self_member
        .filter(|s| !members.iter().any(|id| matches(*id, s)))
        .map(target_label);
    decide(members.len(), stale, missing, self_missing)
}

/// Find the r-nacos data dir: `dir` itself if it holds `index`, else `dir/nacos_db`; failing
/// both, whichever holds `log_<id>` or `snapshot_<id>` files (its missing index is then
/// reported as corrupt, not as "no data here").
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// assert!(nacos_chaos::preflight::rnacos::locate(d.path()).is_err());
/// std::fs::write(d.path().join("log_1"), [0u8; 8]).unwrap();
/// assert_eq!(nacos_chaos::preflight::rnacos::locate(d.path()).unwrap(), d.path());
/// ```
pub fn locate(dir: &Path) -> Result<PathBuf> {
    let candidates = [dir.to_path_buf(), dir.join("nacos_db")];
    candidates
        .iter()
        .find(|d| d.join("index").is_file())
        .or_else(|| {
            candidates
                .iter()
                .find(|d| super::rnacos_dir::has_state_files(d))
        })
        .cloned()
        .ok_or_else(|| Error::RaftData {
            path: dir.to_path_buf(),
            detail: "no r-nacos `index` file here or in ./nacos_db (is this RNACOS_DATA_DIR?)"
                .into(),
        })
}

/// Read and judge an r-nacos data dir (one Raft group, reported as `rnacos`). Damaged or
/// mutually inconsistent files are [`Verdict::Corrupt`] (see [`super::rnacos_dir`]).
///
/// ```
/// use nacos_chaos::preflight::{members::parse_members, rnacos::read_and_judge};
/// let d = tempfile::tempdir().unwrap();
/// std::fs::write(d.path().join("index"), [0u8; 10]).unwrap();
/// let g = read_and_judge(d.path(), &parse_members("1=a:9848").unwrap(), None);
/// assert!(!g.present && g.verdict.exit_code() == 0);
/// ```
pub fn read_and_judge(dir: &Path, target: &[Member], self_member: Option<&Member>) -> GroupReport {
    let targets: Vec<String> = target.iter().map(target_label).collect();
    let mut g = GroupReport::new("rnacos", dir.to_path_buf(), Verdict::Ok);
    let st = match super::rnacos_dir::read_dir(dir) {
        Ok(DirRead::State(st)) => st,
        Ok(DirRead::Fresh { notes }) => {
            g.notes.extend(notes);
            return g;
        }
        Err(f) => {
            g.present = true;
            g.verdict = f.into();
            return g;
        }
    };
    let ix = &st.index;
    g.present = true;
    g.term = Some(ix.current_term);
    g.voted_for = Some(ix.voted_for.to_string());
    g.snapshot = st.snapshot.clone();
    g.notes.extend(st.notes.iter().cloned());
    let mut conf = PersistedConf::new(ConfSource::RnacosIndex, ix.last_applied, ix.current_term);
    conf.file = Some(st.index_path.clone());
    conf.peers = label_all(&ix.member, &ix.node_addrs);
    conf.old_peers = label_all(&ix.member_after_consensus, &ix.node_addrs);
    g.log_conf = Some(conf.clone());
    g.effective = Some(conf);
    let mut member = ix.member.clone();
    if let Some(regressed) = predict_log_loads(&st, &mut g) {
        g.notes.push(format!(
            "the boot membership will regress from [{}] to [{}]: r-nacos's startup replay rewrites it from the records it loads",
            join_ids(&ix.member),
            join_ids(&regressed)
        ));
        if let Some(c) = g.effective.as_mut() {
            c.peers = label_all(&regressed, &ix.node_addrs);
        }
        member = regressed;
    }
    if member.is_empty() {
        g.notes.push(
            "no membership persisted: the node boots as a single-member initial config".into(),
        );
        return g;
    }
    let mut v = judge_members(&member, &ix.node_addrs, target, self_member);
    if !ix.member_after_consensus.is_empty() {
        v = v.worse(judge_members(
            &ix.member_after_consensus,
            &ix.node_addrs,
            target,
            self_member,
        ));
    }
    g.remedies = super::remedy::remedies(crate::record::FlavorKind::RNacos, "rnacos", &v, &targets);
    g.verdict = v;
    g.confidence = Confidence::High;
    g
}

/// Note what r-nacos will load of each log segment at its next start; return the membership
/// its startup replay will rewrite the boot membership to, when that differs from the index.
fn predict_log_loads(st: &DirState, g: &mut GroupReport) -> Option<Vec<u64>> {
    let mut regressed = None;
    for s in &st.segments {
        let id = s.id;
        let p = match super::rnacos_log::predict_load(&s.bytes) {
            Ok(p) => p,
            Err(e) => {
                g.notes
                    .push(format!("{}: not read ({e})", s.path.display()));
                continue;
            }
        };
        match p.cut() {
            None => g.notes.push(format!(
                "log_{id}: r-nacos will load all {} record(s)",
                p.records
            )),
            Some(cut) => {
                g.notes.push(format!("log_{id}: {cut}"));
                let mut replayed = p.replayed_members.unwrap_or_default();
                replayed.sort_unstable();
                let mut now = st.index.member.clone();
                now.sort_unstable();
                if !replayed.is_empty() && replayed != now {
                    regressed = Some(replayed);
                }
            }
        }
    }
    regressed
}

fn join_ids(ids: &[u64]) -> String {
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::members::parse_members;

    /// Hand-built `index` file: header 8 bytes BE (last_applied = 0x0102), varint length,
    /// RaftIndex{current_term=3 (0x38), voted_for=2 (0x40), member=[1,2,3] packed (0x4a),
    /// node_addrs (0x5a) = {1:"a:9848"}, {2:"b:9848"}, {3:"c:9848"}}.
    fn index_bytes() -> Vec<u8> {
        let mut msg = vec![0x38, 3, 0x40, 2, 0x4a, 3, 1, 2, 3];
        for (id, a) in [(1u8, b"a:9848"), (2, b"b:9848"), (3, b"c:9848")] {
            msg.extend_from_slice(&[0x5a, 10, 0x08, id, 0x12, 6]);
            msg.extend_from_slice(a);
        }
        let mut f = vec![0, 0, 0, 0, 0, 0, 0x01, 0x02, msg.len() as u8];
        f.extend_from_slice(&msg);
        f
    }

    #[test]
    fn decodes_hand_built_index() {
        let ix = decode_index_file(&index_bytes()).unwrap().unwrap();
        assert_eq!(ix.last_applied, 0x0102);
        assert_eq!((ix.current_term, ix.voted_for), (3, 2));
        assert_eq!(ix.member, [1, 2, 3]);
        assert_eq!(ix.addr_of(3), Some("c:9848"));
        let t = parse_members("1=a:9848,2=b:9848,3=c:9848").unwrap();
        assert_eq!(
            judge_members(&ix.member, &ix.node_addrs, &t, None),
            Verdict::Ok
        );
        let moved = parse_members("1=x:9848,2=y:9848,3=c:9848").unwrap();
        assert_eq!(
            judge_members(&ix.member, &ix.node_addrs, &moved, None).exit_code(),
            3
        );
    }

    #[test]
    fn unpacked_members_decode_too() {
        let mut f = index_bytes();
        // replace packed member field with three unpacked varints (0x48 = field 9, varint)
        let at = f.iter().position(|b| *b == 0x4a).unwrap();
        f.splice(
            at..at + 5,
            [0x48, 1, 0x48, 2, 0x48, 3, 0x00][..6].iter().copied(),
        );
        f[8] += 1; // message is one byte longer
        assert_eq!(decode_index_file(&f).unwrap().unwrap().member, [1, 2, 3]);
    }

    #[test]
    fn every_truncation_errors() {
        let f = index_bytes();
        for n in 21..f.len() {
            assert!(decode_index_file(&f[..n]).is_err(), "len {n}");
        }
    }
}

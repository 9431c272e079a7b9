//! r-nacos (0.5+, read against 0.8.8) persisted Raft state, in `RNACOS_DATA_DIR`:
//!
//! - `index`: `[u64 BE last_applied_log][varint len][RaftIndex]` — the membership, node
//!   addresses, term and vote r-nacos boots with (`get_initial_state` reads only this). The
//!   message is rewritten in place without truncation, so bytes after it are ignored. A file
//!   of 20 bytes or less is treated by r-nacos as "not initialised".
//! - `snapshot_<id>`: `[varint len][SnapshotHeader]` then snapshot records; only the header
//!   (last index/term, members, node addresses) is decoded.
//! - `log_<id>`: read by [`super::rnacos_log`] to predict how much of it r-nacos will load
//!   at its next start and, when its loader stops early, the membership its startup replay
//!   will rewrite the index to. Otherwise r-nacos boots with the index membership, and so
//!   does the verdict.
//!
//! `RaftIndex` fields: 1 logs, 2 current_log, 3 snapshots, 4 last_snapshot,
//! 5 last_snapshot_index, 6 last_snapshot_term, 7 current_term, 8 voted_for, 9 member
//! (packed uint64), 10 member_after_consensus, 11 node_addrs (`NodeAddrItem{1 id, 2 addr}`).
//!
//! ```
//! use nacos_chaos::preflight::rnacos::decode_index_file;
//! assert_eq!(decode_index_file(&[0u8; 10]).unwrap(), None); // fresh, never initialised
//! ```

use std::path::{Path, PathBuf};

use super::members::Member;
use super::proto::{self, Fields};
use super::report::{ConfSource, Confidence, GroupReport, PersistedConf};
use super::verdict::{Verdict, decide};
use crate::error::{Error, Result};

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
    /// Id of the newest snapshot file (`snapshot_<id>`), 0 = none.
    pub last_snapshot: u64,
    /// Log index covered by that snapshot.
    pub last_snapshot_index: u64,
    /// Term of that index.
    pub last_snapshot_term: u64,
    /// Ids of the `log_<id>` segment files.
    pub log_ids: Vec<u64>,
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
}

fn addr_in(addrs: &[(u64, String)], id: u64) -> Option<&str> {
    addrs
        .iter()
        .rev()
        .find(|(i, _)| *i == id)
        .map(|(_, a)| a.as_str())
}

fn node_addr(msg: &[u8]) -> std::result::Result<(u64, String), String> {
    let (mut id, mut addr) = (0, String::new());
    for f in Fields::new(msg) {
        match f.map_err(|e| format!("NodeAddrItem: {e}"))? {
            (1, v) => id = proto::int(1, v)?,
            (2, v) => addr = proto::utf8(2, v)?,
            _ => {}
        }
    }
    Ok((id, addr))
}

fn length_delimited(buf: &[u8], what: &str) -> std::result::Result<Vec<u8>, String> {
    let (len, n) = proto::read_varint(buf).map_err(|e| format!("{what} length: {e}"))?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| n.checked_add(l))
        .filter(|&e| e <= buf.len())
        .ok_or_else(|| {
            format!(
                "truncated: {what} claims {len} bytes, only {} present",
                buf.len().saturating_sub(n)
            )
        })?;
    Ok(buf[n..end].to_vec())
}

/// Decode an `index` file; `Ok(None)` for a file r-nacos treats as uninitialised (≤ 20 bytes).
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
    if bytes.len() <= 20 {
        return Ok(None);
    }
    let mut ix = RnacosIndex {
        last_applied: u64::from_be_bytes(bytes[..8].try_into().map_err(|_| "short header")?),
        ..Default::default()
    };
    let msg = length_delimited(&bytes[8..], "RaftIndex")?;
    for f in Fields::new(&msg) {
        match f.map_err(|e| format!("RaftIndex: {e}"))? {
            (1, v) => {
                let range = v.as_bytes().ok_or("RaftIndex.logs (1) is not a message")?;
                for g in Fields::new(range) {
                    if let (1, id) = g.map_err(|e| format!("LogRange: {e}"))? {
                        ix.log_ids.push(proto::int(1, id)?);
                    }
                }
            }
            (4, v) => ix.last_snapshot = proto::int(4, v)?,
            (5, v) => ix.last_snapshot_index = proto::int(5, v)?,
            (6, v) => ix.last_snapshot_term = proto::int(6, v)?,
            (7, v) => ix.current_term = proto::int(7, v)?,
            (8, v) => ix.voted_for = proto::int(8, v)?,
            (9, v) => proto::push_u64s(9, v, &mut ix.member)?,
            (10, v) => proto::push_u64s(10, v, &mut ix.member_after_consensus)?,
            (11, v) => ix.node_addrs.push(node_addr(
                v.as_bytes().ok_or("node_addrs (11) is not a message")?,
            )?),
            _ => {}
        }
    }
    Ok(Some(ix))
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
pub fn decode_snapshot_header(bytes: &[u8]) -> std::result::Result<PersistedConf, String> {
    let msg = length_delimited(bytes, "SnapshotHeader")?;
    let mut c = PersistedConf::new(ConfSource::RnacosSnapshot, 0, 0);
    let (mut member, mut after, mut addrs) = (vec![], vec![], vec![]);
    for f in Fields::new(&msg) {
        match f.map_err(|e| format!("SnapshotHeader: {e}"))? {
            (1, v) => c.index = proto::int(1, v)?,
            (2, v) => c.term = proto::int(2, v)?,
            (3, v) => proto::push_u64s(3, v, &mut member)?,
            (4, v) => proto::push_u64s(4, v, &mut after)?,
            (5, v) => addrs.push(node_addr(
                v.as_bytes().ok_or("node_addrs (5) is not a message")?,
            )?),
            _ => {}
        }
    }
    c.peers = label_all(&member, &addrs);
    c.old_peers = label_all(&after, &addrs);
    Ok(c)
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

/// Find the r-nacos data dir: `dir` itself if it holds `index`, else `dir/nacos_db`.
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// assert!(nacos_chaos::preflight::rnacos::locate(d.path()).is_err());
/// ```
pub fn locate(dir: &Path) -> Result<PathBuf> {
    [dir.to_path_buf(), dir.join("nacos_db")]
        .into_iter()
        .find(|d| d.join("index").is_file())
        .ok_or_else(|| Error::RaftData {
            path: dir.to_path_buf(),
            detail: "no r-nacos `index` file here or in ./nacos_db (is this RNACOS_DATA_DIR?)"
                .into(),
        })
}

/// Read and judge an r-nacos data dir (one Raft group, reported as `rnacos`).
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
    let fail = |mut g: GroupReport, path: &Path, detail: String| {
        g.verdict = Verdict::Unreadable {
            detail: Error::RaftData {
                path: path.to_path_buf(),
                detail,
            }
            .to_string(),
        };
        g
    };
    let index_path = dir.join("index");
    let bytes = match std::fs::read(&index_path) {
        Ok(b) => b,
        Err(e) => return fail(g, &index_path, format!("cannot read: {e}")),
    };
    let ix = match decode_index_file(&bytes) {
        Ok(Some(ix)) => ix,
        Ok(None) => {
            g.notes
                .push("index is uninitialised: the node starts (or joins) as a new member".into());
            return g;
        }
        Err(e) => return fail(g, &index_path, e),
    };
    g.present = true;
    g.term = Some(ix.current_term);
    g.voted_for = Some(ix.voted_for.to_string());
    if ix.last_snapshot > 0 {
        let snap = dir.join(format!("snapshot_{}", ix.last_snapshot));
        match std::fs::read(&snap) {
            Ok(b) => match decode_snapshot_header(&b) {
                Ok(mut c) => {
                    c.file = Some(snap);
                    g.snapshot = Some(c);
                }
                Err(e) => return fail(g, &snap, e),
            },
            Err(e) => g.notes.push(format!(
                "index names {} but it cannot be read: {e}",
                snap.display()
            )),
        }
    }
    let mut conf = PersistedConf::new(ConfSource::RnacosIndex, ix.last_applied, ix.current_term);
    conf.file = Some(index_path);
    conf.peers = label_all(&ix.member, &ix.node_addrs);
    conf.old_peers = label_all(&ix.member_after_consensus, &ix.node_addrs);
    g.log_conf = Some(conf.clone());
    g.effective = Some(conf);
    let mut member = ix.member.clone();
    if let Some(regressed) = predict_log_loads(dir, &ix, &mut g) {
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
    g.remedies = super::remedy::remedies(crate::flavor::FlavorKind::RNacos, "rnacos", &v, &targets);
    g.verdict = v;
    g.confidence = Confidence::High;
    g
}

/// Note what r-nacos will load of each log segment at its next start; return the membership
/// its startup replay will rewrite the boot membership to, when that differs from the index.
fn predict_log_loads(dir: &Path, ix: &RnacosIndex, g: &mut GroupReport) -> Option<Vec<u64>> {
    let mut regressed = None;
    for id in &ix.log_ids {
        let path = dir.join(format!("log_{id}"));
        let p = match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| super::rnacos_log::predict_load(&b))
        {
            Ok(p) => p,
            Err(e) => {
                g.notes.push(format!("{}: not read ({e})", path.display()));
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
                let mut now = ix.member.clone();
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

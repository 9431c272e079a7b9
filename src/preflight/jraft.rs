//! Official Nacos (JRaft 1.3.x) persisted state: `meta-data/raft_meta`, the newest
//! `snapshot/snapshot_<idx>/__raft_snapshot_meta`, and (feature `rocksdb-log`) the
//! `Configuration` column family of the RocksDB `log/`. Decoding is split into pure byte
//! functions so it is testable without JRaft or RocksDB.
//!
//! ```
//! use nacos_chaos::preflight::jraft::{decode_stable_meta, protobuf_file};
//! // ProtoBufFile: [u32 BE len(name)][name][u32 BE len(msg)][msg]; StablePBMeta{term=3, votedfor="a:1"}
//! let msg = [0x08, 3, 0x12, 3, b'a', b':', b'1'];
//! let file = protobuf_file("jraft.StablePBMeta", &msg);
//! let m = decode_stable_meta(&file).unwrap();
//! assert_eq!((m.term, m.voted_for.as_str()), (3, "a:1"));
//! ```

use super::damage::{Damage, offset_in};
use super::members::normalize_peer;
use super::proto;
use super::report::{ConfSource, PersistedConf};

pub use super::jraft_dir::{GroupState, newest_snapshot_dir, read_group};

/// The 6-byte header of a V2-encoded JRaft log entry: magic `BB D2`, version 1, 3 reserved.
pub const V2_HEADER: [u8; 6] = [0xBB, 0xD2, 0x01, 0x00, 0x00, 0x00];
/// Key of the truncated-prefix marker in the `Configuration` column family.
pub const FIRST_LOG_INDEX_KEY: &[u8] = b"meta/firstLogIndex";
/// `EntryType.ENTRY_TYPE_CONFIGURATION`.
pub const ENTRY_TYPE_CONFIGURATION: u64 = 3;
/// Cargo feature that enables reading the RocksDB log.
pub const LOG_FEATURE: &str = "rocksdb-log";

/// Persisted term and vote (`StablePBMeta`).
///
/// ```
/// use nacos_chaos::preflight::jraft::StableMeta;
/// let m = StableMeta { term: 1, voted_for: "0.0.0.0:0".into() };
/// assert!(!m.has_voted());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StableMeta {
    /// Current term.
    pub term: u64,
    /// PeerId voted for; `0.0.0.0:0` when none.
    pub voted_for: String,
}

impl StableMeta {
    /// Whether a vote is recorded.
    ///
    /// ```
    /// use nacos_chaos::preflight::jraft::StableMeta;
    /// assert!(StableMeta { term: 1, voted_for: "a:7848".into() }.has_voted());
    /// ```
    pub fn has_voted(&self) -> bool {
        !self.voted_for.is_empty() && self.voted_for != "0.0.0.0:0"
    }
}

/// Encode a ProtoBufFile container (the inverse of [`parse_protobuf_file`]; for fixtures).
///
/// ```
/// use nacos_chaos::preflight::jraft::protobuf_file;
/// assert_eq!(protobuf_file("n", &[7]), [0, 0, 0, 1, b'n', 0, 0, 0, 1, 7]);
/// ```
pub fn protobuf_file(name: &str, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + name.len() + msg.len());
    out.extend_from_slice(&(name.len() as u32).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

/// Split a ProtoBufFile container into its message name and message bytes.
///
/// ```
/// use nacos_chaos::preflight::jraft::parse_protobuf_file;
/// assert_eq!(parse_protobuf_file(&[0, 0, 0, 1, b'n', 0, 0, 0, 1, 7]).unwrap(), ("n", &[7u8][..]));
/// assert_eq!(parse_protobuf_file(&[0, 0, 0, 9, b'n']).unwrap_err().offset, Some(0));
/// ```
pub fn parse_protobuf_file(bytes: &[u8]) -> std::result::Result<(&str, &[u8]), Damage> {
    fn chunk<'a>(b: &'a [u8], at: usize, what: &str) -> std::result::Result<&'a [u8], Damage> {
        let len_bytes: [u8; 4] = at
            .checked_add(4)
            .and_then(|end| b.get(at..end))
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                Damage::at(
                    at,
                    format!(
                        "truncated: no 4-byte length of {what} ({} bytes in file)",
                        b.len()
                    ),
                )
            })?;
        let len = u32::from_be_bytes(len_bytes);
        let start = at + 4;
        usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .and_then(|end| b.get(start..end))
            .ok_or_else(|| {
                Damage::at(
                    at,
                    format!(
                        "truncated: {what} claims {len} bytes, only {} present",
                        b.len().saturating_sub(start)
                    ),
                )
            })
    }
    let name = chunk(bytes, 0, "message name")?;
    let name = std::str::from_utf8(name)
        .map_err(|_| Damage::at(4, "message name is not UTF-8 (corrupt?)"))?;
    let msg = chunk(bytes, 4 + name.len(), "message")?;
    Ok((name, msg))
}

/// The message of a ProtoBufFile named `want`, and its offset in the file.
fn expect_name<'a>(bytes: &'a [u8], want: &str) -> std::result::Result<(&'a [u8], u64), Damage> {
    let (name, msg) = parse_protobuf_file(bytes)?;
    if name != want {
        return Err(Damage::at(
            4,
            format!("expected a {want} container, found '{name}'"),
        ));
    }
    Ok((msg, offset_in(bytes, msg).unwrap_or(0)))
}

/// Decode a `raft_meta` file (ProtoBufFile holding `jraft.StablePBMeta`).
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_stable_meta, protobuf_file};
/// assert!(decode_stable_meta(&protobuf_file("jraft.Other", &[])).is_err());
/// ```
pub fn decode_stable_meta(file: &[u8]) -> std::result::Result<StableMeta, Damage> {
    let (msg, base) = expect_name(file, "jraft.StablePBMeta")?;
    let (mut term, mut voted_for) = (None, None);
    proto::visit(msg, base, |no, v, _| {
        match no {
            1 => term = Some(proto::int(1, v)?),
            2 => voted_for = Some(proto::utf8(2, v)?),
            _ => {}
        }
        Ok(())
    })?;
    let missing =
        |what: &str| Damage::at(base, format!("StablePBMeta: required field {what} missing"));
    Ok(StableMeta {
        term: term.ok_or_else(|| missing("term (1)"))?,
        voted_for: voted_for.ok_or_else(|| missing("votedfor (2)"))?,
    })
}

fn push_peer(out: &mut Vec<String>, field_no: u32, v: proto::Field<'_>) -> Result<(), Damage> {
    out.push(normalize_peer(&proto::utf8(field_no, v)?));
    Ok(())
}

/// Decode a `SnapshotMeta` message body (not the container). Offsets in the damage are
/// counted from the start of `msg`.
///
/// ```
/// use nacos_chaos::preflight::jraft::decode_snapshot_meta;
/// let c = decode_snapshot_meta(&[0x08, 5, 0x10, 2, 0x1a, 3, b'a', b':', b'1']).unwrap();
/// assert_eq!((c.index, c.term, c.peers[0].as_str()), (5, 2, "a:1"));
/// ```
pub fn decode_snapshot_meta(msg: &[u8]) -> std::result::Result<PersistedConf, Damage> {
    snapshot_meta_at(msg, 0)
}

fn snapshot_meta_at(msg: &[u8], base: u64) -> std::result::Result<PersistedConf, Damage> {
    let (mut index, mut term) = (None, None);
    let mut c = PersistedConf::new(ConfSource::Snapshot, 0, 0);
    proto::visit(msg, base, |no, v, _| {
        match no {
            1 => index = Some(proto::int(1, v)?),
            2 => term = Some(proto::int(2, v)?),
            3 => push_peer(&mut c.peers, 3, v)?,
            4 => push_peer(&mut c.old_peers, 4, v)?,
            5 => push_peer(&mut c.learners, 5, v)?,
            6 => push_peer(&mut c.old_learners, 6, v)?,
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("SnapshotMeta"))?;
    let missing = |what: &str| Damage::at(base, format!("SnapshotMeta: required {what} missing"));
    c.index = index.ok_or_else(|| missing("last_included_index (1)"))?;
    c.term = term.ok_or_else(|| missing("last_included_term (2)"))?;
    Ok(c)
}

/// A decoded `__raft_snapshot_meta`: the configuration, and the files the snapshot lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSnapshot {
    /// `SnapshotMeta` as a configuration.
    pub conf: PersistedConf,
    /// Byte offset of the `SnapshotMeta` message in the file.
    pub meta_offset: u64,
    /// Files the snapshot holds locally (`File.name`, with the byte offset of its entry);
    /// files whose `LocalFileMeta.source` is REFERENCE are left out.
    pub files: Vec<(String, u64)>,
}

fn local_file(msg: &[u8], base: u64) -> Result<Option<String>, Damage> {
    let (mut name, mut reference) = (None, false);
    proto::visit(msg, base, |no, v, at| {
        match no {
            1 => name = Some(proto::utf8(1, v)?),
            2 => {
                let meta = v.as_bytes().ok_or("File.meta (2) is not a message")?;
                proto::visit(meta, at, |no, v, _| {
                    if no == 2 {
                        reference = proto::int(2, v)? == 1;
                    }
                    Ok(())
                })?;
            }
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("LocalSnapshotPbMeta.File"))?;
    match name {
        Some(n) if n.is_empty() || n.contains("..") => Err(Damage::at(
            base,
            format!("File name '{n}' is not a file name"),
        )),
        Some(n) => Ok((!reference).then_some(n)),
        None => Err(Damage::at(base, "LocalSnapshotPbMeta.File has no name (1)")),
    }
}

/// Decode a `__raft_snapshot_meta` file (ProtoBufFile holding `jraft.LocalSnapshotPbMeta{
/// 1 meta: SnapshotMeta, 2 files: repeated File{1 name, 2 meta: LocalFileMeta{2 source}}}`).
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_local_snapshot, protobuf_file};
/// let mut local = vec![0x0a, 4, 0x08, 5, 0x10, 2];
/// local.extend_from_slice(&[0x12, 7, 0x0a, 5, b'a', b'.', b'z', b'i', b'p']);
/// let s = decode_local_snapshot(&protobuf_file("jraft.LocalSnapshotPbMeta", &local)).unwrap();
/// assert_eq!((s.conf.index, s.files), (5, vec![("a.zip".to_string(), 39)]));
/// ```
pub fn decode_local_snapshot(file: &[u8]) -> std::result::Result<LocalSnapshot, Damage> {
    let (msg, base) = expect_name(file, "jraft.LocalSnapshotPbMeta")?;
    let mut meta = None;
    let mut files = vec![];
    proto::visit(msg, base, |no, v, at| {
        let sub = || {
            v.as_bytes()
                .map(|b| (b, offset_in(file, b).unwrap_or(at)))
                .ok_or_else(|| {
                    Damage::new(format!("LocalSnapshotPbMeta field {no} is not a message"))
                })
        };
        match no {
            1 => meta = Some(sub()?),
            2 => {
                let (b, off) = sub()?;
                if let Some(name) = local_file(b, off)? {
                    files.push((name, at));
                }
            }
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("LocalSnapshotPbMeta"))?;
    let (meta, meta_offset) = meta.ok_or_else(|| {
        Damage::at(
            base,
            "LocalSnapshotPbMeta has no meta (1): snapshot meta is empty",
        )
    })?;
    Ok(LocalSnapshot {
        conf: snapshot_meta_at(meta, meta_offset)?,
        meta_offset,
        files,
    })
}

/// Decode a `__raft_snapshot_meta` file's configuration (see [`decode_local_snapshot`]).
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_snapshot_meta_file, protobuf_file};
/// let meta = [0x08, 5, 0x10, 2];
/// let mut local = vec![0x0a, meta.len() as u8];
/// local.extend_from_slice(&meta);
/// let c = decode_snapshot_meta_file(&protobuf_file("jraft.LocalSnapshotPbMeta", &local)).unwrap();
/// assert_eq!(c.index, 5);
/// ```
pub fn decode_snapshot_meta_file(file: &[u8]) -> std::result::Result<PersistedConf, Damage> {
    decode_local_snapshot(file).map(|s| s.conf)
}

/// One record of the RocksDB `Configuration` column family.
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_conf_record, ConfRecord};
/// let r = decode_conf_record(b"meta/firstLogIndex", &42u64.to_be_bytes()).unwrap();
/// assert_eq!(r, ConfRecord::FirstLogIndex(42));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfRecord {
    /// `meta/firstLogIndex`: entries below this index were truncated.
    FirstLogIndex(u64),
    /// A CONFIGURATION entry.
    Entry(PersistedConf),
}

/// Decode one `(key, value)` pair of the `Configuration` column family: the key is the
/// 8-byte big-endian log index (or `meta/firstLogIndex`), the value a log entry as JRaft's
/// `AutoDetectDecoder` reads it: V2 when the first byte is `0xBB` (`BB D2 01 00 00 00` +
/// `PBLogEntry`), otherwise legacy V1 (magic `0xB8`, see [`decode_v1_entry`]). Damage offsets
/// count from the start of the value.
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_conf_record, ConfRecord, V2_HEADER};
/// let mut v = V2_HEADER.to_vec();
/// v.extend_from_slice(&[0x08, 3, 0x10, 2, 0x18, 9, 0x22, 3, b'a', b':', b'1']);
/// let ConfRecord::Entry(c) = decode_conf_record(&9u64.to_be_bytes(), &v).unwrap() else { panic!() };
/// assert_eq!((c.index, c.term, c.peers.as_slice()), (9, 2, &["a:1".to_string()][..]));
/// ```
pub fn decode_conf_record(key: &[u8], value: &[u8]) -> std::result::Result<ConfRecord, Damage> {
    if key == FIRST_LOG_INDEX_KEY {
        let b: [u8; 8] = value.try_into().map_err(|_| {
            Damage::new(format!(
                "meta/firstLogIndex value has {} bytes, expected 8",
                value.len()
            ))
        })?;
        return Ok(ConfRecord::FirstLogIndex(u64::from_be_bytes(b)));
    }
    let key_index = u64::from_be_bytes(key.try_into().map_err(|_| {
        Damage::new(format!(
            "key of {} bytes is neither an 8-byte log index nor meta/firstLogIndex",
            key.len()
        ))
    })?);
    let c = match value.first() {
        Some(&b) if b == V2_HEADER[0] => decode_v2_entry(key_index, value)?,
        Some(&V1_MAGIC) => decode_v1_entry(key_index, value)?,
        Some(b) => {
            return Err(Damage::at(
                0,
                format!(
                    "entry {key_index}: first byte {b:#04x} is neither V2 (0xBB) nor V1 (0xB8): corrupt value"
                ),
            ));
        }
        None => return Err(Damage::at(0, format!("entry {key_index}: empty value"))),
    };
    Ok(ConfRecord::Entry(c))
}

fn check_entry(
    key_index: u64,
    etype: Option<u64>,
    index: Option<u64>,
) -> std::result::Result<(), Damage> {
    if etype != Some(ENTRY_TYPE_CONFIGURATION) {
        return Err(Damage::new(format!(
            "entry {key_index}: type {etype:?} is not CONFIGURATION (3)"
        )));
    }
    if let Some(i) = index.filter(|i| *i != key_index) {
        return Err(Damage::new(format!(
            "entry key says index {key_index} but the entry says {i}"
        )));
    }
    Ok(())
}

fn decode_v2_entry(key_index: u64, value: &[u8]) -> std::result::Result<PersistedConf, Damage> {
    let Some(h) = value.get(..V2_HEADER.len()) else {
        return Err(Damage::at(
            value.len(),
            format!(
                "entry {key_index}: V2 header cut short ({} of 6 bytes)",
                value.len()
            ),
        ));
    };
    if h[..2] != V2_HEADER[..2] {
        return Err(Damage::at(
            1,
            format!("entry {key_index}: magic {:02x?} is not BB D2", &h[..2]),
        ));
    }
    if h[2] != V2_HEADER[2] {
        return Err(Damage::at(
            2,
            format!("entry {key_index}: unknown V2 codec version {}", h[2]),
        ));
    }
    let mut c = PersistedConf::new(ConfSource::Log, key_index, 0);
    let (mut etype, mut index) = (None, None);
    proto::visit(&value[6..], 6, |no, v, _| {
        match no {
            1 => etype = Some(proto::int(1, v)?),
            2 => c.term = proto::int(2, v)?,
            3 => index = Some(proto::int(3, v)?),
            4 => push_peer(&mut c.peers, 4, v)?,
            5 => push_peer(&mut c.old_peers, 5, v)?,
            8 => push_peer(&mut c.learners, 8, v)?,
            9 => push_peer(&mut c.old_learners, 9, v)?,
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context(&format!("entry {key_index}")))?;
    check_entry(key_index, etype, index)?;
    Ok(c)
}

/// Magic byte of a legacy V1-encoded log entry.
pub const V1_MAGIC: u8 = 0xB8;

/// Bounds-checked big-endian reads over a V1 entry.
struct V1Reader<'a> {
    b: &'a [u8],
    pos: usize,
    key_index: u64,
}

impl<'a> V1Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> std::result::Result<&'a [u8], Damage> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(Damage::at(
                self.pos,
                format!(
                    "entry {}: V1 {what} needs {n} byte(s), {} left: truncated",
                    self.key_index,
                    self.b.len().saturating_sub(self.pos)
                ),
            ));
        };
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn i32(&mut self, what: &str) -> std::result::Result<i32, Damage> {
        let s = self.take(4, what)?;
        Ok(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn i64(&mut self, what: &str) -> std::result::Result<i64, Damage> {
        let s = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(i64::from_be_bytes(a))
    }

    /// `[i32 count]` then `count × [i16 len][ASCII]`.
    fn peers(&mut self, what: &str) -> std::result::Result<Vec<String>, Damage> {
        let at = self.pos;
        let count = self.i32(&format!("{what} count"))?;
        // Each peer needs at least its 2-byte length: cap the count by the bytes left.
        let left = self.b.len().saturating_sub(self.pos);
        let count = usize::try_from(count).map_err(|_| {
            Damage::at(
                at,
                format!(
                    "entry {}: V1 {what} count {count} is negative",
                    self.key_index
                ),
            )
        })?;
        if count > left / 2 {
            return Err(Damage::at(
                at,
                format!(
                    "entry {}: V1 {what} count {count} exceeds the {} that fit in the {left} byte(s) left: truncated or corrupt",
                    self.key_index,
                    left / 2
                ),
            ));
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let at = self.pos;
            let len = self.take(2, &format!("{what} length"))?;
            let len = i16::from_be_bytes([len[0], len[1]]);
            let len = usize::try_from(len).map_err(|_| {
                Damage::at(
                    at,
                    format!(
                        "entry {}: V1 {what} length {len} is negative",
                        self.key_index
                    ),
                )
            })?;
            let s = self.take(len, what)?;
            let s = std::str::from_utf8(s).map_err(|_| {
                Damage::at(
                    at,
                    format!("entry {}: V1 {what} is not ASCII", self.key_index),
                )
            })?;
            out.push(normalize_peer(s));
        }
        Ok(out)
    }
}

/// Decode a legacy V1 log entry (JRaft's deprecated codec, still read by `AutoDetectDecoder`).
/// Layout, derived from sofa-jraft v1.3.14 `jraft-core/src/main/java/com/alipay/sofa/jraft/
/// entity/codec/v1/V1Encoder.java` and `V1Decoder.java` (integers big-endian, `Bits`):
///
/// | bytes | field |
/// |---|---|
/// | 1 | magic `0xB8` |
/// | 4 | type (i32; CONFIGURATION = 3) |
/// | 8 | index (i64) |
/// | 8 | term (i64) |
/// | 4 | peer count (i32), then per peer a 2-byte length (i16) and the ASCII `PeerId` |
/// | 4 | old peer count (i32), then the old peers likewise |
/// | rest | data |
///
/// V1 has no learners. A count or length that runs past the value, or is negative, is damage
/// (JRaft would throw); the count is never trusted for an allocation.
///
/// ```
/// use nacos_chaos::preflight::jraft::decode_v1_entry;
/// let mut v = vec![0xB8, 0, 0, 0, 3];
/// v.extend_from_slice(&7u64.to_be_bytes()); // index
/// v.extend_from_slice(&2u64.to_be_bytes()); // term
/// v.extend_from_slice(&1u32.to_be_bytes());
/// v.extend_from_slice(&[0, 3, b'a', b':', b'1']);
/// v.extend_from_slice(&0u32.to_be_bytes());
/// let c = decode_v1_entry(7, &v).unwrap();
/// assert_eq!((c.index, c.term, c.peers.as_slice()), (7, 2, &["a:1".to_string()][..]));
/// assert_eq!(decode_v1_entry(7, &v[..28]).unwrap_err().offset, Some(27)); // peer cut short
/// ```
pub fn decode_v1_entry(key_index: u64, value: &[u8]) -> std::result::Result<PersistedConf, Damage> {
    let mut r = V1Reader {
        b: value,
        pos: 0,
        key_index,
    };
    let magic = r.take(1, "magic")?[0];
    if magic != V1_MAGIC {
        return Err(Damage::at(
            0,
            format!("entry {key_index}: V1 magic {magic:#04x} is not 0xB8"),
        ));
    }
    let etype = r.i32("type")?;
    let index = r.i64("index")?;
    let term = r.i64("term")?;
    let mut c = PersistedConf::new(ConfSource::Log, key_index, u64::try_from(term).unwrap_or(0));
    c.peers = r.peers("peer")?;
    c.old_peers = r.peers("old peer")?;
    check_entry(
        key_index,
        u64::try_from(etype).ok(),
        Some(u64::try_from(index).unwrap_or(u64::MAX)),
    )?;
    Ok(c)
}

/// Pick the configuration a restarting node boots with: the log entry with the highest
/// index at or above `first_log_index`, unless the snapshot's last_included_index is higher.
///
/// ```
/// use nacos_chaos::preflight::jraft::newest_conf;
/// use nacos_chaos::preflight::report::{ConfSource, PersistedConf};
/// let snap = PersistedConf::new(ConfSource::Snapshot, 10, 1);
/// let log = vec![PersistedConf::new(ConfSource::Log, 12, 2)];
/// assert_eq!(newest_conf(Some(&snap), &log, None).unwrap().index, 12);
/// assert_eq!(newest_conf(Some(&snap), &log, Some(13)).unwrap().source, ConfSource::Snapshot);
/// ```
pub fn newest_conf(
    snapshot: Option<&PersistedConf>,
    log: &[PersistedConf],
    first_log_index: Option<u64>,
) -> Option<PersistedConf> {
    let newest_log = log
        .iter()
        .filter(|c| c.index >= first_log_index.unwrap_or(0))
        .max_by_key(|c| c.index);
    match (snapshot, newest_log) {
        (Some(s), Some(l)) if s.index >= l.index => Some(s.clone()),
        (_, Some(l)) => Some(l.clone()),
        (Some(s), None) => Some(s.clone()),
        (None, None) => None,
    }
}

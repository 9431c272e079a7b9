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

use super::members::normalize_peer;
use super::proto::{self, Fields};
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
/// assert!(parse_protobuf_file(&[0, 0, 0, 9, b'n']).is_err());
/// ```
pub fn parse_protobuf_file(bytes: &[u8]) -> std::result::Result<(&str, &[u8]), String> {
    fn chunk<'a>(b: &'a [u8], at: usize, what: &str) -> std::result::Result<&'a [u8], String> {
        let len_bytes: [u8; 4] = b
            .get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                format!(
                    "truncated: no 4-byte length of {what} at byte {at} ({} bytes in file)",
                    b.len()
                )
            })?;
        let len = u32::from_be_bytes(len_bytes) as usize;
        b.get(at + 4..at + 4 + len).ok_or_else(|| {
            format!(
                "truncated: {what} claims {len} bytes at byte {}, only {} present",
                at + 4,
                b.len().saturating_sub(at + 4)
            )
        })
    }
    let name = chunk(bytes, 0, "message name")?;
    let name = std::str::from_utf8(name)
        .map_err(|_| "message name is not UTF-8 (corrupt?)".to_string())?;
    let msg = chunk(bytes, 4 + name.len(), "message")?;
    Ok((name, msg))
}

fn expect_name<'a>(bytes: &'a [u8], want: &str) -> std::result::Result<&'a [u8], String> {
    let (name, msg) = parse_protobuf_file(bytes)?;
    if name != want {
        return Err(format!("expected a {want} container, found '{name}'"));
    }
    Ok(msg)
}

/// Decode a `raft_meta` file (ProtoBufFile holding `jraft.StablePBMeta`).
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_stable_meta, protobuf_file};
/// assert!(decode_stable_meta(&protobuf_file("jraft.Other", &[])).is_err());
/// ```
pub fn decode_stable_meta(file: &[u8]) -> std::result::Result<StableMeta, String> {
    let msg = expect_name(file, "jraft.StablePBMeta")?;
    let (mut term, mut voted_for) = (None, None);
    for f in Fields::new(msg) {
        match f? {
            (1, v) => term = Some(proto::int(1, v)?),
            (2, v) => voted_for = Some(proto::utf8(2, v)?),
            _ => {}
        }
    }
    Ok(StableMeta {
        term: term.ok_or("StablePBMeta: required field term (1) missing")?,
        voted_for: voted_for.ok_or("StablePBMeta: required field votedfor (2) missing")?,
    })
}

fn push_peer(
    out: &mut Vec<String>,
    field_no: u32,
    v: proto::Field<'_>,
) -> std::result::Result<(), String> {
    out.push(normalize_peer(&proto::utf8(field_no, v)?));
    Ok(())
}

/// Decode a `SnapshotMeta` message body (not the container).
///
/// ```
/// use nacos_chaos::preflight::jraft::decode_snapshot_meta;
/// let c = decode_snapshot_meta(&[0x08, 5, 0x10, 2, 0x1a, 3, b'a', b':', b'1']).unwrap();
/// assert_eq!((c.index, c.term, c.peers[0].as_str()), (5, 2, "a:1"));
/// ```
pub fn decode_snapshot_meta(msg: &[u8]) -> std::result::Result<PersistedConf, String> {
    let (mut index, mut term) = (None, None);
    let mut c = PersistedConf::new(ConfSource::Snapshot, 0, 0);
    for f in Fields::new(msg) {
        match f? {
            (1, v) => index = Some(proto::int(1, v)?),
            (2, v) => term = Some(proto::int(2, v)?),
            (3, v) => push_peer(&mut c.peers, 3, v)?,
            (4, v) => push_peer(&mut c.old_peers, 4, v)?,
            (5, v) => push_peer(&mut c.learners, 5, v)?,
            (6, v) => push_peer(&mut c.old_learners, 6, v)?,
            _ => {}
        }
    }
    c.index = index.ok_or("SnapshotMeta: required last_included_index (1) missing")?;
    c.term = term.ok_or("SnapshotMeta: required last_included_term (2) missing")?;
    Ok(c)
}

/// Decode a `__raft_snapshot_meta` file (ProtoBufFile holding `jraft.LocalSnapshotPbMeta`,
/// whose field 1 is the `SnapshotMeta`).
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_snapshot_meta_file, protobuf_file};
/// let meta = [0x08, 5, 0x10, 2];
/// let mut local = vec![0x0a, meta.len() as u8];
/// local.extend_from_slice(&meta);
/// let c = decode_snapshot_meta_file(&protobuf_file("jraft.LocalSnapshotPbMeta", &local)).unwrap();
/// assert_eq!(c.index, 5);
/// ```
pub fn decode_snapshot_meta_file(file: &[u8]) -> std::result::Result<PersistedConf, String> {
    let msg = expect_name(file, "jraft.LocalSnapshotPbMeta")?;
    let mut meta = None;
    for f in Fields::new(msg) {
        if let (1, v) = f? {
            meta = Some(
                v.as_bytes()
                    .ok_or("LocalSnapshotPbMeta.meta (1) is not a message")?,
            );
        }
    }
    decode_snapshot_meta(meta.ok_or("LocalSnapshotPbMeta has no meta (1): snapshot meta is empty")?)
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
/// 8-byte big-endian log index (or `meta/firstLogIndex`), the value a V2 log entry
/// (`BB D2 01 00 00 00` + `PBLogEntry`). Legacy V1 entries are reported as undecodable.
///
/// ```
/// use nacos_chaos::preflight::jraft::{decode_conf_record, ConfRecord, V2_HEADER};
/// let mut v = V2_HEADER.to_vec();
/// v.extend_from_slice(&[0x08, 3, 0x10, 2, 0x18, 9, 0x22, 3, b'a', b':', b'1']);
/// let ConfRecord::Entry(c) = decode_conf_record(&9u64.to_be_bytes(), &v).unwrap() else { panic!() };
/// assert_eq!((c.index, c.term, c.peers.as_slice()), (9, 2, &["a:1".to_string()][..]));
/// ```
pub fn decode_conf_record(key: &[u8], value: &[u8]) -> std::result::Result<ConfRecord, String> {
    if key == FIRST_LOG_INDEX_KEY {
        let b: [u8; 8] = value.try_into().map_err(|_| {
            format!(
                "meta/firstLogIndex value has {} bytes, expected 8",
                value.len()
            )
        })?;
        return Ok(ConfRecord::FirstLogIndex(u64::from_be_bytes(b)));
    }
    let key_index = u64::from_be_bytes(key.try_into().map_err(|_| {
        format!(
            "key of {} bytes is neither an 8-byte log index nor meta/firstLogIndex",
            key.len()
        )
    })?);
    let body = match value.get(..6) {
        Some(h) if h[..2] == V2_HEADER[..2] => {
            if h[2] != V2_HEADER[2] {
                return Err(format!(
                    "entry {key_index}: unknown V2 codec version {}",
                    h[2]
                ));
            }
            &value[6..]
        }
        _ => {
            return Err(format!(
                "entry {key_index}: no V2 header (BB D2 01 ...): legacy V1 encoding or corrupt value, not decoded"
            ));
        }
    };
    let mut c = PersistedConf::new(ConfSource::Log, key_index, 0);
    let (mut etype, mut index) = (None, None);
    for f in Fields::new(body) {
        match f.map_err(|e| format!("entry {key_index}: {e}"))? {
            (1, v) => etype = Some(proto::int(1, v)?),
            (2, v) => c.term = proto::int(2, v)?,
            (3, v) => index = Some(proto::int(3, v)?),
            (4, v) => push_peer(&mut c.peers, 4, v)?,
            (5, v) => push_peer(&mut c.old_peers, 5, v)?,
            (8, v) => push_peer(&mut c.learners, 8, v)?,
            (9, v) => push_peer(&mut c.old_learners, 9, v)?,
            _ => {}
        }
    }
    if etype != Some(ENTRY_TYPE_CONFIGURATION) {
        return Err(format!(
            "entry {key_index}: type {etype:?} is not CONFIGURATION (3)"
        ));
    }
    if let Some(i) = index.filter(|i| *i != key_index) {
        return Err(format!(
            "entry key says index {key_index} but the entry says {i}"
        ));
    }
    Ok(ConfRecord::Entry(c))
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

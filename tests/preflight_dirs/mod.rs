//! Whole data dirs for preflight tests, built byte by byte the way the servers write them:
//! r-nacos (layout read in nacos-group/r-nacos `src/raft/filestore/` — `raftindex.rs`,
//! `raftlog/mod.rs`, `raftsnapshot.rs`, `model.rs`, `log-pb.proto`) and official Nacos JRaft
//! groups (`nacos-contract.md` §2). A dir is a list of `(relative path, bytes)` so tests can
//! mutate it in memory and write it out fresh for every case.
//!
//! Shared by `tests/preflight_fuzz.rs` and `tests/preflight_fixtures/strict.rs`; each uses a
//! part of it.
#![allow(dead_code)]

use std::path::Path;

use nacos_chaos::flavor::FlavorKind;
use nacos_chaos::preflight::{PreflightOptions, PreflightReport, preflight};

// ---------- protobuf wire format ----------

pub fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A varint field, omitted when zero (proto3 / quick-protobuf writes no default values).
pub fn f_int(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        varint(u64::from(field) << 3, out);
        varint(v, out);
    }
}

pub fn f_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    varint((u64::from(field) << 3) | 2, out);
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

pub fn packed(ids: &[u64]) -> Vec<u8> {
    let mut b = vec![];
    ids.iter().for_each(|i| varint(*i, &mut b));
    b
}

/// `[varint len][msg]`.
pub fn delimited(msg: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    varint(msg.len() as u64, &mut out);
    out.extend_from_slice(msg);
    out
}

// ---------- a data dir in memory ----------

/// Files of a data dir, by path relative to it.
#[derive(Debug, Clone, Default)]
pub struct Dir {
    pub files: Vec<(String, Vec<u8>)>,
}

impl Dir {
    pub fn put(&mut self, name: &str, bytes: Vec<u8>) {
        self.remove(name);
        self.files.push((name.to_string(), bytes));
    }

    pub fn get(&self, name: &str) -> &[u8] {
        &self.files.iter().find(|(n, _)| n == name).expect(name).1
    }

    pub fn get_mut(&mut self, name: &str) -> &mut Vec<u8> {
        &mut self
            .files
            .iter_mut()
            .find(|(n, _)| n == name)
            .expect(name)
            .1
    }

    pub fn remove(&mut self, name: &str) {
        self.files.retain(|(n, _)| n != name);
    }

    /// Write every file under `root` (which must not hold other files).
    pub fn write(&self, root: &Path) {
        for (name, bytes) in &self.files {
            let p = root.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
    }
}

// ---------- r-nacos ----------

pub const RN_ADDRS: [(u64, &str); 3] = [
    (1, "127.0.0.1:9848"),
    (2, "127.0.0.2:9848"),
    (3, "127.0.0.3:9848"),
];
/// The membership the r-nacos fixtures persist.
pub const RN_OLD_TARGET: &str = "1=127.0.0.1:9848,2=127.0.0.2:9848,3=127.0.0.3:9848";
/// The same nodes after a whole-cluster IP change: no leader can be elected (exit 3).
pub const RN_NEW_TARGET: &str = "1=127.0.0.11:9848,2=127.0.0.12:9848,3=127.0.0.13:9848";

/// `LogRange` of the index (`log-pb.proto`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub id: u64,
    pub pre_term: u64,
    pub start_index: u64,
    pub record_count: u64,
    pub split_off_index: u64,
    pub is_close: bool,
}

/// What an r-nacos `index` file holds.
#[derive(Debug, Clone)]
pub struct Index {
    pub last_applied: u64,
    pub logs: Vec<Range>,
    /// `SnapshotRange{id, end_index}`.
    pub snapshots: Vec<(u64, u64)>,
    pub term: u64,
    pub voted_for: u64,
    pub member: Vec<u64>,
    pub after: Vec<u64>,
    pub addrs: Vec<(u64, String)>,
}

impl Index {
    pub fn bytes(&self) -> Vec<u8> {
        let mut m = vec![];
        for r in &self.logs {
            let mut b = vec![];
            f_int(&mut b, 1, r.id);
            f_int(&mut b, 2, r.pre_term);
            f_int(&mut b, 3, r.start_index);
            f_int(&mut b, 4, r.record_count);
            f_int(&mut b, 5, r.split_off_index);
            f_int(&mut b, 6, u64::from(r.is_close));
            f_bytes(&mut m, 1, &b);
        }
        for (id, end) in &self.snapshots {
            let mut b = vec![];
            f_int(&mut b, 1, *id);
            f_int(&mut b, 2, *end);
            f_bytes(&mut m, 3, &b);
        }
        f_int(&mut m, 7, self.term);
        f_int(&mut m, 8, self.voted_for);
        if !self.member.is_empty() {
            f_bytes(&mut m, 9, &packed(&self.member));
        }
        if !self.after.is_empty() {
            f_bytes(&mut m, 10, &packed(&self.after));
        }
        for (id, a) in &self.addrs {
            let mut item = vec![];
            f_int(&mut item, 1, *id);
            f_bytes(&mut item, 2, a.as_bytes());
            f_bytes(&mut m, 11, &item);
        }
        let mut f = self.last_applied.to_be_bytes().to_vec();
        f.extend(delimited(&m));
        f
    }
}

/// One log record `[varint len][LogRecord{1 index, 2 term, 5 value}]`.
pub fn log_record(index: u64, term: u64, value: &str) -> Vec<u8> {
    let mut body = vec![];
    f_int(&mut body, 1, index);
    f_int(&mut body, 2, term);
    f_bytes(&mut body, 5, value.as_bytes());
    delimited(&body)
}

/// Zero bytes kept after the last record. r-nacos preallocates 1 MiB; less keeps tests fast.
pub const LOG_PAD: usize = 8 * 1024;

/// A `log_<id>` segment: 32-byte header, index area (one varint per 128 records), records
/// from byte 4096, zeros after them. Returns the bytes and each record's offset.
pub fn log_segment(first_index: u64, pre_term: u64, records: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut b = vec![0u8; 4096];
    b[..4].copy_from_slice(&0x4231_3644u32.to_be_bytes());
    b[6..14].copy_from_slice(&pre_term.to_be_bytes());
    b[14..22].copy_from_slice(&first_index.to_be_bytes());
    b[22..24].copy_from_slice(&4096u16.to_be_bytes());
    b[24..26].copy_from_slice(&128u16.to_be_bytes());
    let mut offsets = vec![];
    for r in records {
        offsets.push(b.len());
        b.extend_from_slice(r);
    }
    // Index area: after every 128th record, the distance from the previous indexed record.
    let mut at = 32;
    let mut prev = 4096;
    for k in (128..=records.len()).step_by(128) {
        let next = offsets.get(k).copied().unwrap_or(b.len());
        let mut v = vec![];
        varint((next - prev) as u64, &mut v);
        b[at..at + v.len()].copy_from_slice(&v);
        at += v.len();
        prev = next;
    }
    b.extend(std::iter::repeat_n(0u8, LOG_PAD));
    (b, offsets)
}

pub fn members_json(ids: &[u64]) -> String {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!(
        r#"{{"Normal":{{"data":{{"Members":[{}]}}}}}}"#,
        ids.join(",")
    )
}

/// The payloads of a 3-node bring-up (initial config change, node addresses and a Members
/// record after each join), then config publishes of varied sizes, `n` records in all.
pub fn bringup_payloads(n: usize) -> Vec<String> {
    let mut v = vec![
        r#"{"ConfigChange":{"membership":{"members":[1],"members_after_consensus":null}}}"#
            .to_string(),
    ];
    for (id, addr) in RN_ADDRS {
        v.push(format!(
            r#"{{"Normal":{{"data":{{"NodeAddr":{{"id":{id},"addr":"{addr}"}}}}}}}}"#
        ));
        let ids: Vec<u64> = (1..=id).collect();
        v.push(members_json(&ids));
    }
    let mut i = 0;
    while v.len() < n {
        i += 1;
        v.push(format!(
            r#"{{"Normal":{{"data":{{"ConfigSet":{{"key":"DEFAULT_GROUP\u0002chaos-{i}\u0002public","value":"{}","history_id":{i}}}}}}}}}"#,
            "v".repeat(7 * (i % 11) + 3)
        ));
    }
    v.truncate(n);
    v
}

/// A snapshot file: `[varint len][SnapshotHeader]` then `[varint len][LogSnapshotItem]`s.
pub fn snapshot_file(last_index: u64, last_term: u64, member: &[u64], items: usize) -> Vec<u8> {
    let mut h = vec![];
    f_int(&mut h, 1, last_index);
    f_int(&mut h, 2, last_term);
    f_bytes(&mut h, 3, &packed(member));
    for (id, a) in RN_ADDRS {
        let mut item = vec![];
        f_int(&mut item, 1, id);
        f_bytes(&mut item, 2, a.as_bytes());
        f_bytes(&mut h, 5, &item);
    }
    let mut f = delimited(&h);
    for i in 0..items {
        let mut r = vec![];
        f_bytes(&mut r, 1, b"config");
        f_bytes(
            &mut r,
            4,
            format!("DEFAULT_GROUP\x02snap-{i}\x02public").as_bytes(),
        );
        f_bytes(&mut r, 5, "s".repeat(20 + i % 13).as_bytes());
        f_int(&mut r, 6, 1);
        f.extend(delimited(&r));
    }
    f
}

/// Shape of an r-nacos fixture dir.
#[derive(Debug, Clone, Copy)]
pub struct RnacosShape {
    /// Records in `log_1` (at least 7: the bring-up), all applied.
    pub records: usize,
    /// A snapshot at this index (`snapshot_1`), if any.
    pub snapshot_at: Option<u64>,
}

/// The r-nacos dir a 3-node cluster leaves behind (term 2, every record applied), as
/// `(dir, index, record offsets of log_1)`.
pub fn rnacos_dir(shape: RnacosShape) -> (Dir, Index, Vec<usize>) {
    let payloads = bringup_payloads(shape.records);
    let recs: Vec<Vec<u8>> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| log_record(i as u64 + 1, if i < 7 { 1 } else { 2 }, p))
        .collect();
    let (log, offsets) = log_segment(1, 0, &recs);
    let index = Index {
        last_applied: shape.records as u64,
        logs: vec![Range {
            id: 1,
            start_index: 1,
            split_off_index: 1,
            ..Default::default()
        }],
        snapshots: shape.snapshot_at.map(|at| (1, at)).into_iter().collect(),
        term: 2,
        voted_for: 1,
        member: vec![1, 2, 3],
        after: vec![],
        addrs: RN_ADDRS.iter().map(|(i, a)| (*i, a.to_string())).collect(),
    };
    let mut d = Dir::default();
    d.put("index", index.bytes());
    d.put("log_1", log);
    d.put("db_lock", vec![]);
    if let Some(at) = shape.snapshot_at {
        d.put("snapshot_1", snapshot_file(at, 2, &[1, 2, 3], 25));
    }
    (d, index, offsets)
}

/// The dir of the issue: a whole-cluster IP change, `log_1` holding 46 records.
pub fn rnacos_46() -> (Dir, Index, Vec<usize>) {
    rnacos_dir(RnacosShape {
        records: 46,
        snapshot_at: None,
    })
}

/// A longer-lived node: 300 records (two index-area entries) and a snapshot at 260.
pub fn rnacos_300_snap() -> (Dir, Index, Vec<usize>) {
    rnacos_dir(RnacosShape {
        records: 300,
        snapshot_at: Some(260),
    })
}

pub fn run_rnacos(root: &Path, target: &str) -> nacos_chaos::Result<PreflightReport> {
    preflight(&PreflightOptions::new(root, FlavorKind::RNacos, target)?)
}

// ---------- official Nacos (JRaft) ----------

pub const ABC: [&str; 3] = ["10.0.0.1:7848", "10.0.0.2:7848", "10.0.0.3:7848"];
pub const JR_OLD_TARGET: &str = "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848";
pub const JR_NEW_TARGET: &str = "10.0.1.1:8848,10.0.1.2:8848,10.0.1.3:8848";

/// `ProtoBufFile`: `[u32 BE len][name][u32 BE len][msg]`.
pub fn protobuf_file(name: &str, msg: &[u8]) -> Vec<u8> {
    let mut out = (name.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

pub fn stable_meta(term: u64, voted: &str) -> Vec<u8> {
    let mut m = vec![];
    varint(8, &mut m);
    varint(term, &mut m);
    f_bytes(&mut m, 2, voted.as_bytes());
    protobuf_file("jraft.StablePBMeta", &m)
}

/// `LocalSnapshotPbMeta{meta: SnapshotMeta, files: [File{name, meta: LocalFileMeta}]}`.
pub fn snapshot_meta(index: u64, term: u64, peers: &[&str], files: &[&str]) -> Vec<u8> {
    let mut meta = vec![];
    varint(8, &mut meta);
    varint(index, &mut meta);
    varint(16, &mut meta);
    varint(term, &mut meta);
    peers
        .iter()
        .for_each(|p| f_bytes(&mut meta, 3, p.as_bytes()));
    let mut local = vec![];
    f_bytes(&mut local, 1, &meta);
    for name in files {
        let mut file_meta = vec![];
        f_bytes(&mut file_meta, 1, b"\x01\x02"); // user_meta
        f_bytes(&mut file_meta, 3, b"1234567890"); // checksum
        let mut file = vec![];
        f_bytes(&mut file, 1, name.as_bytes());
        f_bytes(&mut file, 2, &file_meta);
        f_bytes(&mut local, 2, &file);
    }
    protobuf_file("jraft.LocalSnapshotPbMeta", &local)
}

/// A JRaft group `data/protocol/raft/<group>` with `raft_meta` and a snapshot (index 57,
/// term 4, peers [`ABC`]) carrying its payload archive.
pub fn jraft_group(d: &mut Dir, group: &str, archive: &str) {
    let g = format!("data/protocol/raft/{group}");
    d.put(
        &format!("{g}/meta-data/raft_meta"),
        stable_meta(5, "10.0.0.2:7848"),
    );
    d.put(
        &format!("{g}/snapshot/snapshot_57/__raft_snapshot_meta"),
        snapshot_meta(57, 4, &ABC, &[archive]),
    );
    let zip: Vec<u8> = (0..700u32).map(|i| (i * 31 % 251) as u8).collect();
    d.put(&format!("{g}/snapshot/snapshot_57/{archive}"), zip);
}

/// A Nacos home whose groups all persist [`ABC`].
pub fn jraft_home() -> Dir {
    let mut d = Dir::default();
    jraft_group(
        &mut d,
        "naming_persistent_service_v2",
        "persistent_instance.zip",
    );
    jraft_group(&mut d, "naming_service_metadata", "service_metadata.zip");
    d
}

pub fn run_official(root: &Path, target: &str) -> nacos_chaos::Result<PreflightReport> {
    preflight(&PreflightOptions::new(root, FlavorKind::Official, target)?)
}

// ---------- judging a report through its stable surface (JSON) ----------

/// `(file, offset)` of the worst verdict when it is `corrupt`, read from the report's JSON
/// so the assertion compiles against any version of the verdict type.
pub fn corrupt_at(r: &PreflightReport) -> Option<(String, Option<u64>)> {
    let v = serde_json::to_value(r.worst()).unwrap();
    if v["verdict"] != "corrupt" {
        return None;
    }
    Some((
        v["file"].as_str().unwrap_or_default().to_string(),
        v["offset"].as_u64(),
    ))
}

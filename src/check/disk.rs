//! Disk: how much each node's data dir (Raft log, snapshots, database) holds at the end of
//! the run, judged against `[thresholds] max_data_bytes` when the suite sets one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Status, Verdict, evidence, verdict};

/// One node's data dir at the end of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskUsage {
    /// Node name.
    pub node: String,
    /// Bytes in regular files under the data dir.
    pub bytes: u64,
    /// Regular files under the data dir.
    pub files: u64,
}

/// Bytes and regular files in a tar archive (as the engine hands a directory out).
///
/// ```
/// let mut b = tar::Builder::new(Vec::new());
/// let mut h = tar::Header::new_gnu();
/// h.set_size(5);
/// h.set_cksum();
/// b.append_data(&mut h, "data/log", &b"hello"[..]).unwrap();
/// let tar = b.into_inner().unwrap();
/// assert_eq!(nacos_chaos::check::tar_usage(&tar), (5, 1));
/// ```
pub fn tar_usage(tar: &[u8]) -> (u64, u64) {
    let mut archive = tar::Archive::new(tar);
    let Ok(entries) = archive.entries() else {
        return (0, 0);
    };
    let mut bytes = 0;
    let mut files = 0;
    for e in entries.flatten() {
        if e.header().entry_type().is_file() {
            bytes += e.header().size().unwrap_or(0);
            files += 1;
        }
    }
    (bytes, files)
}

/// Judge every node's data dir against `max_bytes`. No measurement: SKIP.
///
/// ```
/// use nacos_chaos::check::{disk, DiskUsage, Status};
/// let u = |node: &str, bytes| DiskUsage { node: node.into(), bytes, files: 3 };
/// assert_eq!(disk(&[u("n1", 10), u("n2", 20)], 100).status, Status::Pass);
/// assert_eq!(disk(&[u("n1", 10), u("n2", 200)], 100).status, Status::Fail);
/// assert_eq!(disk(&[], 100).status, Status::Skip);
/// ```
pub fn disk(usages: &[DiskUsage], max_bytes: u64) -> Verdict {
    if usages.is_empty() {
        return super::skip("disk", "no data dir measured");
    }
    let mut metrics = BTreeMap::new();
    let mut ev = vec![];
    let mut over = vec![];
    for u in usages {
        metrics.insert(format!("bytes.{}", u.node), u.bytes as f64);
        metrics.insert(format!("files.{}", u.node), u.files as f64);
        let text = format!("{}: {} byte(s) in {} file(s)", u.node, u.bytes, u.files);
        if u.bytes > max_bytes {
            over.push(format!("{} {} bytes", u.node, u.bytes));
        }
        ev.push(evidence(text, Some(&u.node), None, None));
    }
    let largest = usages.iter().map(|u| u.bytes).max().unwrap_or(0);
    metrics.insert("bytes.max".into(), largest as f64);
    if over.is_empty() {
        let s = format!("every data dir ≤ {max_bytes} bytes (largest {largest})");
        return verdict("disk", Status::Pass, s, ev, metrics);
    }
    let s = format!("data dir over {max_bytes} bytes: {}", over.join(", "));
    verdict("disk", Status::Fail, s, ev, metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_over_the_bound_fails_by_name_and_one_under_passes() {
        let u = |node: &str, bytes| DiskUsage {
            node: node.into(),
            bytes,
            files: 1,
        };
        let v = disk(&[u("n1", 100), u("n3", 5_000)], 1_000);
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.summary, "data dir over 1000 bytes: n3 5000 bytes");
        let v = disk(&[u("n1", 1_000)], 1_000);
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert_eq!(v.metrics["bytes.max"], 1_000.0);
    }

    #[test]
    fn directories_do_not_count_and_garbage_is_empty() {
        let mut b = tar::Builder::new(Vec::new());
        let mut d = tar::Header::new_gnu();
        d.set_entry_type(tar::EntryType::Directory);
        d.set_size(0);
        d.set_cksum();
        b.append_data(&mut d, "data/", &b""[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_cksum();
        b.append_data(&mut h, "data/a", &b"abc"[..]).unwrap();
        assert_eq!(tar_usage(&b.into_inner().unwrap()), (3, 1));
        assert_eq!(tar_usage(b"not a tar"), (0, 0));
    }
}

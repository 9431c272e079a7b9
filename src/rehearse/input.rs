//! The rehearsal's inputs: one backup per node (a directory or a `.tar.gz`, as copied from
//! production) and the production membership. Backups are read-only: a directory is read
//! in place, a tarball is unpacked into a private temporary directory; nothing is ever
//! written next to or into them.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::flavor::FlavorKind;
use crate::preflight::Member;

fn bad(path: &Path, detail: impl Into<String>, fix: impl Into<String>) -> Error {
    Error::Backup {
        path: path.to_path_buf(),
        detail: detail.into(),
        fix: fix.into(),
    }
}

/// One node's backup, readable as a directory.
#[derive(Debug)]
pub struct Backup {
    /// 1-based node index (position in the `--data` list, = production member index).
    pub node: usize,
    /// What the user gave (directory or tarball).
    pub source: PathBuf,
    /// The data dir to restore (inside `source`, or inside the unpacked tarball).
    pub dir: PathBuf,
    _unpacked: Option<tempfile::TempDir>,
}

/// Open every backup, in node order, checking each is a data dir of `flavor`.
pub fn load_backups(paths: &[PathBuf], flavor: FlavorKind) -> Result<Vec<Backup>> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| load_backup(i + 1, p, flavor))
        .collect()
}

fn load_backup(node: usize, path: &Path, flavor: FlavorKind) -> Result<Backup> {
    let meta = std::fs::metadata(path).map_err(|e| {
        bad(
            path,
            format!("backup of node {node} cannot be read: {e}"),
            "give the path of the copied data dir or of its .tar.gz (one per node, in --members order)",
        )
    })?;
    let (root, unpacked) = if meta.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let tmp = unpack(path)?;
        (tmp.path().to_path_buf(), Some(tmp))
    };
    let dir = data_root(&root, flavor).ok_or_else(|| {
        let want = match flavor {
            FlavorKind::RNacos => "an r-nacos data dir (holding `index` or `raft/`)",
            FlavorKind::Official => "an official Nacos `data/` dir (holding `protocol/raft`)",
        };
        bad(
            path,
            format!("backup of node {node} is partial or not {want}"),
            "copy the whole data dir of a stopped node (r-nacos: RNACOS_DATA_DIR; official: nacos/data) and pass it or its .tar.gz",
        )
    })?;
    Ok(Backup {
        node,
        source: path.to_path_buf(),
        dir,
        _unpacked: unpacked,
    })
}

fn unpack(path: &Path) -> Result<tempfile::TempDir> {
    let fix =
        "re-create the archive with `tar czf node.tar.gz -C <data dir> .` from a complete copy";
    let f = File::open(path).map_err(|e| bad(path, format!("cannot open: {e}"), fix))?;
    let tmp = tempfile::Builder::new()
        .prefix("nchaos-backup-")
        .tempdir()
        .map_err(|e| Error::io("create temp dir for", path, e))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(f));
    archive.set_preserve_permissions(true);
    archive
        .unpack(tmp.path())
        .map_err(|e| bad(path, format!("corrupt or truncated .tar.gz: {e}"), fix))?;
    let empty = std::fs::read_dir(tmp.path())
        .map(|mut d| d.next().is_none())
        .unwrap_or(true);
    if empty {
        return Err(bad(path, "the archive is empty", fix));
    }
    Ok(tmp)
}

/// The directory to restore into a node's data volume, found at `root` or one level below
/// (an archive of `data/`, or of a dir holding it).
fn data_root(root: &Path, flavor: FlavorKind) -> Option<PathBuf> {
    let is_root = |d: &Path| match flavor {
        FlavorKind::RNacos => d.join("index").is_file() || d.join("raft").is_dir(),
        FlavorKind::Official => d.join("protocol/raft").is_dir(),
    };
    if is_root(root) {
        return Some(root.to_path_buf());
    }
    let sub: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    if let Some(d) = sub.iter().find(|d| d.ends_with("data") && is_root(d)) {
        return Some(d.clone());
    }
    match sub.as_slice() {
        [only] if is_root(only) => Some(only.clone()),
        _ => None,
    }
}

/// Production members from `cluster.conf` content or a comma list; `file` names the source
/// in errors. The count must equal the number of backups.
pub fn load_members(text: &str, file: &Path, backups: usize) -> Result<Vec<Member>> {
    let members = crate::preflight::parse_members(text).map_err(|e| {
        bad(
            file,
            e.to_string(),
            "list one `ip:port` per line (cluster.conf) or `ip:port,ip:port,...`",
        )
    })?;
    if members.len() != backups {
        return Err(bad(
            file,
            format!(
                "{} member(s) but {backups} backup(s) in --data",
                members.len()
            ),
            "give one backup per member, in the members' order",
        ));
    }
    Ok(members)
}

/// A content digest of a directory tree (paths, file bytes, symlink targets), to prove a
/// backup was not changed by a rehearsal.
pub fn tree_digest(dir: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut files = files_below(dir)?;
    files.sort();
    let mut h = Sha256::new();
    for rel in files {
        let p = dir.join(&rel);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        let m = std::fs::symlink_metadata(&p).map_err(|e| Error::io("stat", &p, e))?;
        if m.file_type().is_symlink() {
            let t = std::fs::read_link(&p).map_err(|e| Error::io("readlink", &p, e))?;
            h.update(t.to_string_lossy().as_bytes());
        } else {
            h.update(std::fs::read(&p).map_err(|e| Error::io("read", &p, e))?);
        }
        h.update([0]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Every non-directory entry below `dir` (files and symlinks), as paths relative to `dir`.
pub(crate) fn files_below(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = vec![];
    walk(dir, dir, &mut out)?;
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))? {
        let e = e.map_err(|e| Error::io("list", dir, e))?;
        let p = e.path();
        let t = e.file_type().map_err(|e| Error::io("stat", &p, e))?;
        if t.is_dir() {
            walk(root, &p, out)?;
        } else {
            out.push(p.strip_prefix(root).unwrap_or(&p).to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rnacos_dir(root: &Path) -> PathBuf {
        let d = root.join("n1");
        std::fs::create_dir_all(d.join("raft")).unwrap();
        std::fs::write(d.join("index"), [0u8; 8]).unwrap();
        d
    }

    fn text(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn missing_node_dir_names_the_path_and_a_fix() {
        let t = tempfile::tempdir().unwrap();
        let good = rnacos_dir(t.path());
        let missing = t.path().join("n2-not-there");
        let e = text(load_backups(&[good, missing.clone()], FlavorKind::RNacos).unwrap_err());
        assert!(e.contains(&missing.display().to_string()), "{e}");
        assert!(e.contains("node 2") && e.contains("fix:"), "{e}");
    }

    #[test]
    fn corrupt_tarball_names_the_file_and_a_fix() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("n1.tar.gz");
        std::fs::write(&f, b"\x1f\x8bnot really gzip").unwrap();
        let e = text(load_backups(std::slice::from_ref(&f), FlavorKind::RNacos).unwrap_err());
        assert!(e.contains(&f.display().to_string()), "{e}");
        assert!(e.contains("corrupt") && e.contains("fix:"), "{e}");
    }

    #[test]
    fn partial_backup_is_an_error_naming_it() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("empty");
        std::fs::create_dir_all(&d).unwrap();
        let e = text(load_backups(std::slice::from_ref(&d), FlavorKind::Official).unwrap_err());
        assert!(e.contains("partial") && e.contains("fix:"), "{e}");
    }

    #[test]
    fn tarball_is_unpacked_and_the_data_dir_found_below_it() {
        let t = tempfile::tempdir().unwrap();
        let d = rnacos_dir(t.path());
        let f = t.path().join("n1.tar.gz");
        let gz = flate2::write::GzEncoder::new(File::create(&f).unwrap(), Default::default());
        let mut b = tar::Builder::new(gz);
        b.append_dir_all("data", &d).unwrap();
        b.into_inner().unwrap().finish().unwrap();
        let before = std::fs::read(&f).unwrap();
        let bk = load_backups(std::slice::from_ref(&f), FlavorKind::RNacos).unwrap();
        assert!(bk[0].dir.join("index").is_file());
        assert_eq!(tree_digest(&bk[0].dir).unwrap(), tree_digest(&d).unwrap());
        assert_eq!(
            std::fs::read(&f).unwrap(),
            before,
            "the tarball is read-only input"
        );
    }

    #[test]
    fn member_count_must_match_backups() {
        let e = text(
            load_members(
                "10.0.0.1:8848\n10.0.0.2:8848\n",
                Path::new("cluster.conf"),
                3,
            )
            .unwrap_err(),
        );
        assert!(
            e.contains("cluster.conf") && e.contains("2 member(s) but 3"),
            "{e}"
        );
        assert!(e.contains("fix:"), "{e}");
        assert_eq!(
            load_members("a:1,b:1,c:1", Path::new("-"), 3)
                .unwrap()
                .len(),
            3
        );
    }
}

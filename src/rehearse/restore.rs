//! Moving data between the host and a node's volume: restore a backup directory into a
//! node's (empty, stopped) data volume, proven file by file; and take a node's data dir out
//! as a host directory (how a test or a suite builds a "backup" from a real run).

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::cluster::Cluster;
use crate::docker::ContainerRequest;
use crate::error::{Error, Result};

fn restore_err(node: usize, detail: String) -> Error {
    Error::Fault {
        fault: "restore_backup".into(),
        detail: format!("n{node}: {detail}"),
    }
}

/// sha256 of every regular file below `dir`, keyed `./rel/path` (as `find . -type f` says).
fn host_hashes(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for rel in super::input::files_below(dir)? {
        let p = dir.join(&rel);
        let t = std::fs::symlink_metadata(&p).map_err(|e| Error::io("stat", &p, e))?;
        if t.is_file() {
            let bytes = std::fs::read(&p).map_err(|e| Error::io("read", &p, e))?;
            out.insert(
                format!("./{}", rel.to_string_lossy()),
                hex::encode(Sha256::digest(&bytes)),
            );
        }
    }
    Ok(out)
}

/// sha256 of every regular file in a tar archive of directory `top`, keyed `./rel/path`.
fn archive_hashes(tar_bytes: &[u8], top: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(tar_bytes);
    let entries = archive
        .entries()
        .map_err(|e| Error::io("read archive of", top, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::io("read archive of", top, e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| Error::io("read archive of", top, e))?
            .to_string_lossy()
            .into_owned();
        let rel = path
            .trim_start_matches("./")
            .strip_prefix(top)
            .unwrap_or(&path)
            .trim_start_matches('/')
            .to_string();
        let mut buf = vec![];
        std::io::Read::read_to_end(&mut entry, &mut buf)
            .map_err(|e| Error::io("read archive of", top, e))?;
        out.insert(format!("./{rel}"), hex::encode(Sha256::digest(&buf)));
    }
    Ok(out)
}

/// Copy host directory `dir` into node `node`'s data volume (the node must have no running
/// container) and prove every file arrived intact. Returns the proof line.
pub async fn restore_dir(cluster: &Cluster, node: usize, dir: &Path) -> Result<String> {
    let want = host_hashes(dir)?;
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    b.append_dir_all(".", dir)
        .map_err(|e| Error::io("pack backup", dir, e))?;
    let data = b
        .into_inner()
        .map_err(|e| Error::io("pack backup", dir, e))?;
    let n = cluster.node(node)?;
    let volume = n.volume.clone();
    let engine = cluster.engine();
    // A container of the node's own image (present: the cluster needs it), created on the
    // volume and never started: the archive API writes into the mounted volume and reads it
    // back, with no shell or tools image involved.
    let req = ContainerRequest {
        name: format!(
            "nchaos-{}-restore-n{node}-{}",
            cluster.run_id(),
            cluster.now_ms()
        ),
        image: cluster.flavor().image(&n.version),
        role: "helper".into(),
        network_mode: Some("none".into()),
        volumes: vec![(volume.clone(), "/data".into())],
        ..Default::default()
    };
    let id = engine.create_container(&req).await?;
    let result = async {
        let opts = bollard::query_parameters::UploadToContainerOptionsBuilder::new()
            .path("/data")
            .build();
        engine
            .client()
            .upload_to_container(&id, Some(opts), bollard::body_full(data.into()))
            .await
            .map_err(|e| Error::docker(format!("upload backup into {volume}"), e))?;
        cluster.download(&id, "/data").await
    }
    .await;
    let _ = engine.remove_container(&id).await;
    let got = archive_hashes(&result?, "data")?;
    if got != want {
        let differ: Vec<&String> = want
            .keys()
            .chain(got.keys())
            .filter(|k| want.get(*k) != got.get(*k))
            .take(5)
            .collect();
        return Err(restore_err(
            node,
            format!("restored volume differs from the backup at {differ:?}"),
        ));
    }
    Ok(format!(
        "n{node}: {} file(s) restored from {}, every sha256 read back from the volume",
        want.len(),
        dir.display()
    ))
}

/// Copy node `node`'s data dir (its container must exist, running or stopped) into host
/// directory `into` (created; must not exist yet).
pub async fn save_node_data(cluster: &Cluster, node: usize, into: &Path) -> Result<()> {
    let n = cluster.node(node)?;
    let container = n
        .container_id
        .clone()
        .ok_or_else(|| Error::Config(format!("n{node} has no container to copy data from")))?;
    let data_path = crate::flavor::data_path(cluster.flavor().kind());
    let bytes = cluster.download(&container, data_path).await?;
    let parent = into.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".nchaos-save-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("create temp dir in", parent, e))?;
    tar::Archive::new(bytes.as_slice())
        .unpack(tmp.path())
        .map_err(|e| Error::io("unpack data of", tmp.path(), e))?;
    let base = Path::new(data_path).file_name().unwrap_or_default();
    std::fs::rename(tmp.path().join(base), into).map_err(|e| Error::io("move data to", into, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_and_host_hashes_agree_on_keys() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("raft")).unwrap();
        std::fs::write(t.path().join("raft/log"), b"abc").unwrap();
        let h = host_hashes(t.path()).unwrap();
        let mut b = tar::Builder::new(Vec::new());
        b.append_dir_all("data", t.path()).unwrap();
        let bytes = b.into_inner().unwrap();
        assert_eq!(archive_hashes(&bytes, "data").unwrap(), h);
    }
}

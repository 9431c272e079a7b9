//! Collecting node logs (console and the flavor's log files) into the run's results.

use std::path::Path;

use futures_util::StreamExt;

use super::Cluster;
use crate::error::{Error, Result};
use crate::flavor::LogSource;
use crate::record::NodeLog;

impl Cluster {
    /// Collect every node's logs; write them under `dir/logs/<node>/` and return them.
    /// A node without a container yields nothing; an unreadable file is skipped with a note.
    pub async fn collect_logs(&self, dir: &Path) -> Result<Vec<NodeLog>> {
        let mut out = vec![];
        for n in self.nodes() {
            let Some(id) = n.container_id.clone() else {
                continue;
            };
            let node_dir = dir.join("logs").join(n.name());
            std::fs::create_dir_all(&node_dir).map_err(|e| Error::io("create", &node_dir, e))?;
            for src in self.flavor().logs(&n.version) {
                let (file, text) = match src {
                    LogSource::Console => {
                        ("console.log".to_string(), self.engine().logs(&id).await?)
                    }
                    LogSource::File(path) => {
                        let name = path.rsplit('/').next().unwrap_or("log").to_string();
                        match self.read_file(&id, &path).await {
                            Ok(t) => (name, t),
                            Err(e) => (format!("{name}.missing"), format!("not collected: {e}\n")),
                        }
                    }
                };
                let p = node_dir.join(&file);
                std::fs::write(&p, &text).map_err(|e| Error::io("write", &p, e))?;
                out.push(NodeLog {
                    node: n.name().to_string(),
                    file,
                    text,
                    utc_offset_minutes: self.flavor().log_utc_offset_minutes(&n.version),
                });
            }
        }
        Ok(out)
    }

    /// Read one text file out of a container (running or stopped) via the archive API.
    pub async fn read_file(&self, container: &str, path: &str) -> Result<String> {
        let bytes = self.read_file_bytes(container, path).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Read one file's bytes out of a container (running or stopped) via the archive API.
    pub async fn read_file_bytes(&self, container: &str, path: &str) -> Result<Vec<u8>> {
        let bytes = self.download(container, path).await?;
        let mut archive = tar::Archive::new(bytes.as_slice());
        let entries = archive
            .entries()
            .map_err(|e| Error::io("read tar from", path, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| Error::io("read tar entry", path, e))?;
            if entry.header().entry_type().is_file() {
                let mut buf = vec![];
                std::io::Read::read_to_end(&mut entry, &mut buf)
                    .map_err(|e| Error::io("read", path, e))?;
                return Ok(buf);
            }
        }
        Err(Error::io(
            "find",
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no file in archive"),
        ))
    }

    /// Download a path (file or directory) from a container as a tar archive.
    pub async fn download(&self, container: &str, path: &str) -> Result<Vec<u8>> {
        let opts = bollard::query_parameters::DownloadFromContainerOptionsBuilder::new()
            .path(path)
            .build();
        let mut s = self
            .engine()
            .client()
            .download_from_container(container, Some(opts));
        let mut buf = vec![];
        while let Some(chunk) = s.next().await {
            let chunk = chunk.map_err(|e| Error::docker(format!("download {path}"), e))?;
            buf.extend_from_slice(&chunk);
        }
        Ok(buf)
    }
}

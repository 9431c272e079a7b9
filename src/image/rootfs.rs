//! Build a minimal root filesystem from host binaries and the shared libraries they need,
//! packaged as a Docker build context for a `FROM scratch` image. Nothing is pulled.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// `/etc/nsswitch.conf` for the images: hosts from `/etc/hosts` first, then DNS, as
/// Debian-based production images have it. Without the file glibc asks DNS first and only
/// falls back to `/etc/hosts` when DNS is unavailable, so a hosts entry would be ignored
/// (the `dns` fault's `stale` mode writes one).
pub const NSSWITCH: &str = "hosts: files dns\n";

/// A rootfs being assembled: (path in image, source file on host) pairs.
#[derive(Debug, Default, Clone)]
pub struct Rootfs {
    files: BTreeSet<(PathBuf, PathBuf)>,
    dirs: BTreeSet<(PathBuf, PathBuf)>,
    symlinks: BTreeSet<(PathBuf, PathBuf)>,
    texts: BTreeSet<(PathBuf, String)>,
}

/// Shared libraries a dynamically linked binary needs, as absolute host paths, from `ldd`.
pub fn shared_libs(binary: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| Error::io("run ldd on", binary, e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("not a dynamic executable") || text.contains("statically linked") {
        return Ok(vec![]);
    }
    Ok(parse_ldd(&text))
}

/// Parse `ldd` output into library paths.
///
/// ```
/// let libs = nacos_chaos::image::rootfs::parse_ldd(
///     "\tlinux-vdso.so.1 (0x0)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n\t/lib64/ld-linux-x86-64.so.2 (0x2)\n");
/// assert_eq!(libs.len(), 2);
/// ```
pub fn parse_ldd(text: &str) -> Vec<PathBuf> {
    let mut libs = vec![];
    for line in text.lines() {
        let line = line.trim();
        let path = if let Some((_, rest)) = line.split_once("=>") {
            rest.split_whitespace().next().unwrap_or("")
        } else {
            line.split_whitespace().next().unwrap_or("")
        };
        if path.starts_with('/') {
            libs.push(PathBuf::from(path));
        }
    }
    libs
}

impl Rootfs {
    /// Add a host binary at `target` plus every library it links.
    pub fn add_binary(&mut self, host: &Path, target: &str) -> Result<()> {
        if !host.exists() {
            return Err(Error::io(
                "find binary",
                host,
                std::io::Error::new(std::io::ErrorKind::NotFound, "missing on this host"),
            ));
        }
        self.files
            .insert((PathBuf::from(target), host.to_path_buf()));
        for lib in shared_libs(host)? {
            self.files.insert((lib.clone(), lib));
        }
        Ok(())
    }

    /// Add the first of several host paths for a tool that exists (e.g. `/usr/sbin/tc`).
    pub fn add_tool(&mut self, candidates: &[&str], target: &str) -> Result<()> {
        let found = candidates.iter().map(Path::new).find(|p| p.exists());
        match found {
            Some(p) => self.add_binary(p, target),
            None => Err(Error::io(
                "find tool",
                candidates.join(" or "),
                std::io::Error::new(std::io::ErrorKind::NotFound, "not installed on this host"),
            )),
        }
    }

    /// Add a whole host directory (e.g. tc's distribution tables) if it exists.
    pub fn add_dir_if_exists(&mut self, host: &str, target: &str) {
        if Path::new(host).is_dir() {
            self.dirs
                .insert((PathBuf::from(target), PathBuf::from(host)));
        }
    }

    /// Add a symlink `link -> target` inside the image.
    pub fn add_symlink(&mut self, link: &str, target: &str) {
        self.symlinks
            .insert((PathBuf::from(link), PathBuf::from(target)));
    }

    /// Add a small text file (e.g. [`NSSWITCH`]) at `target` inside the image.
    pub fn add_text(&mut self, target: &str, content: &str) {
        self.texts
            .insert((PathBuf::from(target), content.to_string()));
    }

    /// Tar the rootfs under `rootfs/` together with a Dockerfile, as a build context.
    pub fn build_context(&self, dockerfile: &str) -> Result<Vec<u8>> {
        let mut b = tar::Builder::new(Vec::new());
        b.follow_symlinks(true);
        b.sparse(false);
        let mut header = tar::Header::new_gnu();
        header.set_size(dockerfile.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        b.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())
            .map_err(|e| Error::io("tar", "Dockerfile", e))?;
        for (target, host) in &self.files {
            let name = Path::new("rootfs").join(target.strip_prefix("/").unwrap_or(target));
            b.append_path_with_name(host, &name)
                .map_err(|e| Error::io("tar", host, e))?;
        }
        for (target, host) in &self.dirs {
            let name = Path::new("rootfs").join(target.strip_prefix("/").unwrap_or(target));
            b.append_dir_all(&name, host)
                .map_err(|e| Error::io("tar", host, e))?;
        }
        for (target, text) in &self.texts {
            let name = Path::new("rootfs").join(target.strip_prefix("/").unwrap_or(target));
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, &name, text.as_bytes())
                .map_err(|e| Error::io("tar", &name, e))?;
        }
        for (link, target) in &self.symlinks {
            let name = Path::new("rootfs").join(link.strip_prefix("/").unwrap_or(link));
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            b.append_link(&mut h, &name, target)
                .map_err(|e| Error::io("tar symlink", &name, e))?;
        }
        b.into_inner()
            .map_err(|e| Error::io("finish tar", "context", e))
    }
}

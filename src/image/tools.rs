//! The tools image: iptables, iproute2 (`tc`, `ip`), `ping`, a shell, coreutils and the
//! project's own `nchaos-netem` (user-space delay/loss via NFQUEUE, because the machines'
//! kernel has no `sch_netem`), copied with their libraries onto `scratch`. Fault helpers run
//! it sharing a node's network namespace (NET_ADMIN only) or mounting a node's data volume.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::build_from_context;
use super::rootfs::Rootfs;
use crate::docker::Engine;
use crate::error::{Error, Result};

/// Repository of the tools image; the tag is a content hash.
pub const TOOLS_REPO: &str = "nacos-chaos/tools";

/// Bump when the recipe below changes.
const RECIPE: &str = "tools-recipe-7";

const COREUTILS: &[&str] = &[
    "cat",
    "ls",
    "rm",
    "cp",
    "mkdir",
    "tar",
    "sha256sum",
    "find",
    "sort",
    "date",
    "sleep",
    "xargs",
    "du",
    "sed",
    "grep",
    "mv",
    "kill",
    "head",
    "wc",
    "cut",
];

/// Find the `nchaos-netem` binary: `$NACOS_CHAOS_NETEM_BIN`, next to the running
/// executable, or one directory up (cargo test binaries live in `target/*/deps`).
pub fn netem_binary() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("NACOS_CHAOS_NETEM_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("locate", "current exe", e))?;
    let mut candidates = vec![];
    if let Some(dir) = exe.parent() {
        candidates.push(dir.join("nchaos-netem"));
        if let Some(up) = dir.parent() {
            candidates.push(up.join("nchaos-netem"));
        }
    }
    candidates
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| Error::ImageBuild {
            image: TOOLS_REPO.into(),
            step: "find nchaos-netem".into(),
            detail: format!("not found next to {}", exe.display()),
            fix: "run `cargo build --bins` (or set NACOS_CHAOS_NETEM_BIN)".into(),
        })
}

fn content_tag(netem: &Path) -> Result<String> {
    let bytes = std::fs::read(netem).map_err(|e| Error::io("read", netem, e))?;
    let mut h = Sha256::new();
    h.update(RECIPE.as_bytes());
    h.update(&bytes);
    Ok(hex::encode(&h.finalize()[..6]))
}

/// Build the tools image if missing; returns its reference.
pub async fn ensure_tools(engine: &Engine) -> Result<String> {
    // Every fault helper asks for the image; hash the helper binary once per process.
    static TAG: std::sync::OnceLock<(PathBuf, String)> = std::sync::OnceLock::new();
    let (netem, tag) = match TAG.get() {
        Some(t) => t.clone(),
        None => {
            let netem = netem_binary()?;
            let tag = content_tag(&netem)?;
            TAG.get_or_init(|| (netem, tag)).clone()
        }
    };
    let image = format!("{TOOLS_REPO}:{tag}");
    if engine.image_exists(&image).await? {
        return Ok(image);
    }
    let mut fs = Rootfs::default();
    let wrap = |e: Error| Error::ImageBuild {
        image: image.clone(),
        step: "collect host tools".into(),
        detail: e.to_string(),
        fix: "install them on the host: apt-get install iproute2 iptables iputils-ping coreutils"
            .into(),
    };
    fs.add_binary(&netem, "/usr/local/bin/nchaos-netem")
        .map_err(wrap)?;
    fs.add_tool(&["/usr/sbin/tc", "/sbin/tc"], "/usr/sbin/tc")
        .map_err(wrap)?;
    fs.add_tool(&["/usr/sbin/ip", "/sbin/ip", "/bin/ip"], "/usr/sbin/ip")
        .map_err(wrap)?;
    fs.add_tool(&["/usr/bin/ping", "/bin/ping"], "/usr/bin/ping")
        .map_err(wrap)?;
    fs.add_tool(&["/bin/dash", "/usr/bin/dash", "/bin/sh"], "/bin/sh")
        .map_err(wrap)?;
    fs.add_tool(
        &[
            "/usr/sbin/xtables-nft-multi",
            "/usr/sbin/xtables-legacy-multi",
        ],
        "/usr/sbin/xtables-multi",
    )
    .map_err(wrap)?;
    fs.add_symlink("/usr/sbin/iptables", "xtables-multi");
    fs.add_dir_if_exists(
        "/usr/lib/x86_64-linux-gnu/xtables",
        "/usr/lib/x86_64-linux-gnu/xtables",
    );
    for tool in COREUTILS {
        let a = format!("/usr/bin/{tool}");
        let b = format!("/bin/{tool}");
        fs.add_tool(&[a.as_str(), b.as_str()], &format!("/bin/{tool}"))
            .map_err(wrap)?;
    }
    fs.add_dir_if_exists(
        "/usr/lib/x86_64-linux-gnu/tc",
        "/usr/lib/x86_64-linux-gnu/tc",
    );
    // Resolve as the nodes do (files before DNS): a dns fault's read-back resolves from a
    // helper sharing the node's /etc/hosts and /etc/resolv.conf.
    fs.add_text("/etc/nsswitch.conf", super::rootfs::NSSWITCH);
    let dockerfile = "FROM scratch\nCOPY rootfs/ /\n\
        ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu\n\
        LABEL io.nacos-chaos.image=tools\nCMD [\"/bin/sh\"]\n";
    let ctx = fs.build_context(dockerfile)?;
    build_from_context(engine, &image, ctx).await?;
    Ok(image)
}

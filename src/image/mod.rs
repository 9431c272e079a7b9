//! Images, with nothing pulled: r-nacos built from crates.io into a `FROM scratch` image,
//! a tools image (iproute2, ping, coreutils) for fault helpers, and official Nacos images
//! looked up locally or through a configured mirror.
//!
//! ```no_run
//! # async fn f(engine: &nacos_chaos::docker::Engine) -> nacos_chaos::Result<()> {
//! let image = nacos_chaos::image::ensure_rnacos(engine, "0.8.8").await?;
//! assert_eq!(image, "nacos-chaos/rnacos:0.8.8");
//! # Ok(()) }
//! ```

mod build_profile;
mod progress;
mod rnacos;
pub mod rootfs;
mod tools;

pub use build_profile::{BuildProfile, PROFILE_ENV};
pub use progress::{BuildProgress, LINE_EVERY, cargo_home, eta, find_lock, lock_package_count};
pub use rnacos::{FAKETIME_LIB, ensure_rnacos, ensure_rnacos_with, rnacos_binary};
pub use tools::{TOOLS_REPO, ensure_tools, netem_binary};

use std::path::PathBuf;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use tracing::info;

use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::record::FlavorKind;

/// Repository of locally built r-nacos images.
pub const RNACOS_REPO: &str = "nacos-chaos/rnacos";

/// Cache root: `$NACOS_CHAOS_CACHE`, else `$XDG_CACHE_HOME/nacos-chaos`, else `~/.cache/nacos-chaos`.
pub fn cache_dir() -> PathBuf {
    if let Ok(p) = std::env::var("NACOS_CHAOS_CACHE") {
        return PathBuf::from(p);
    }
    if let Ok(p) = std::env::var("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("nacos-chaos");
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    PathBuf::from(home).join(".cache").join("nacos-chaos")
}

/// Build an image from a tar context via the engine's classic builder (no registry needed
/// for `FROM scratch`).
pub async fn build_from_context(engine: &Engine, tag: &str, context: Vec<u8>) -> Result<()> {
    let opts = BuildImageOptionsBuilder::new()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .build();
    let mut stream =
        engine
            .client()
            .build_image(opts, None, Some(bollard::body_full(context.into())));
    let mut log = String::new();
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| Error::ImageBuild {
            image: tag.into(),
            step: "docker build".into(),
            detail: e.to_string(),
            fix: "check `docker info` and free disk space".into(),
        })?;
        if let Some(s) = info.stream {
            log.push_str(&s);
        }
        if let Some(err) = info.error_detail.and_then(|d| d.message) {
            return Err(Error::ImageBuild {
                image: tag.into(),
                step: "docker build".into(),
                detail: format!("{err}\n{log}"),
                fix: "see the build log above".into(),
            });
        }
    }
    info!(image = tag, "image built");
    Ok(())
}

/// Make sure a flavor's image for a version is present: build r-nacos, look up official.
pub async fn ensure(
    engine: &Engine,
    flavor: FlavorKind,
    version: &str,
    registry: Option<&str>,
) -> Result<String> {
    match flavor {
        FlavorKind::RNacos => ensure_rnacos(engine, version).await,
        FlavorKind::Official => ensure_official(engine, version, registry).await,
    }
}

/// The official image reference for a version and optional mirror prefix.
///
/// ```
/// use nacos_chaos::image::official_ref;
/// assert_eq!(official_ref("2.4.1", None), "nacos/nacos-server:v2.4.1");
/// assert_eq!(official_ref("v2.4.1", Some("mirror.local:5000/")), "mirror.local:5000/nacos/nacos-server:v2.4.1");
/// ```
pub fn official_ref(version: &str, registry: Option<&str>) -> String {
    let prefix = registry
        .map(|r| format!("{}/", r.trim_end_matches('/')))
        .unwrap_or_default();
    format!(
        "{prefix}nacos/nacos-server:v{}",
        version.trim_start_matches('v')
    )
}

/// The tar file name an official image is exported to and loaded from:
/// `nacos-server-v<version>.tar`.
///
/// ```
/// assert_eq!(nacos_chaos::image::official_tar("v2.0.4"), "nacos-server-v2.0.4.tar");
/// ```
pub fn official_tar(version: &str) -> String {
    format!(
        "nacos-server-v{}.tar",
        version.trim().trim_start_matches('v')
    )
}

/// The error for an official image that is neither present locally nor pullable: it names
/// the image, why, and a `fix:` line with both ways to provide it — `docker load -i
/// nacos-server-v<version>.tar` (saved on a machine that can pull it) or a mirror through
/// `--registry` / `NACOS_CHAOS_REGISTRY`. `mirror_failure` is the pull error when a mirror
/// was tried.
///
/// ```
/// let e = nacos_chaos::image::official_missing("2.0.4", None, None).to_string();
/// assert!(e.contains("nacos/nacos-server:v2.0.4"));
/// assert!(e.contains("fix: ") && e.contains("docker load -i nacos-server-v2.0.4.tar"));
/// assert!(e.contains("--registry") && e.contains("NACOS_CHAOS_REGISTRY"));
/// ```
pub fn official_missing(
    version: &str,
    registry: Option<&str>,
    mirror_failure: Option<&str>,
) -> Error {
    let image = official_ref(version, registry);
    let hub = official_ref(version, None);
    let tar = official_tar(version);
    let reason = match (registry, mirror_failure) {
        (Some(r), Some(why)) => format!("pulling it through the mirror {r} failed: {why}"),
        (Some(r), None) => format!("the mirror {r} did not provide it"),
        (None, _) => "not present in the local Docker engine, and nacos-chaos never pulls from \
                      Docker Hub (no registry was given)"
            .to_string(),
    };
    let fix = format!(
        "either load it from a file: on a machine that can pull it run `docker pull {hub} && \
         docker save {hub} -o {tar}`, copy {tar} here and run `docker load -i {tar}`; \
         or name a registry mirror that has `nacos/nacos-server:v{v}`: \
         `--registry <mirror>` or NACOS_CHAOS_REGISTRY=<mirror> \
         (e.g. nacos-registry.cn-hangzhou.cr.aliyuncs.com)",
        v = version.trim().trim_start_matches('v')
    );
    Error::ImageMissing { image, reason, fix }
}

/// Official images cannot be built here: use a local one, or pull through a mirror.
pub async fn ensure_official(
    engine: &Engine,
    version: &str,
    registry: Option<&str>,
) -> Result<String> {
    let image = official_ref(version, registry);
    if engine.image_exists(&image).await? {
        return Ok(image);
    }
    if registry.is_some() {
        let opts = bollard::query_parameters::CreateImageOptionsBuilder::new()
            .from_image(&image)
            .build();
        let mut s = engine.client().create_image(Some(opts), None, None);
        let mut failure = None;
        while let Some(item) = s.next().await {
            if let Err(e) = item {
                failure = Some(e.to_string());
                break;
            }
        }
        if failure.is_none() && engine.image_exists(&image).await? {
            return Ok(image);
        }
        return Err(official_missing(version, registry, failure.as_deref()));
    }
    Err(official_missing(version, None, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_official_image_says_how_to_provide_it() {
        for v in ["1.4.1", "2.0.4", "v2.1.2", "2.4.1"] {
            let bare = v.trim_start_matches('v');
            let msg = official_missing(v, None, None).to_string();
            let (head, fix) = msg.split_once("\n  fix: ").expect("a fix: line");
            assert!(
                head.contains(&format!("nacos/nacos-server:v{bare}")),
                "{head}"
            );
            assert!(head.contains("not present"), "{head}");
            assert!(
                fix.contains(&format!("docker load -i nacos-server-v{bare}.tar")),
                "{fix}"
            );
            assert!(
                fix.contains(&format!("docker save nacos/nacos-server:v{bare}")),
                "{fix}"
            );
            assert!(
                fix.contains("--registry") && fix.contains("NACOS_CHAOS_REGISTRY"),
                "{fix}"
            );
        }
    }

    #[test]
    fn mirror_failure_names_the_mirror_and_the_error() {
        let msg =
            official_missing("2.0.4", Some("m.local:5000"), Some("manifest unknown")).to_string();
        assert!(
            msg.contains("m.local:5000/nacos/nacos-server:v2.0.4"),
            "{msg}"
        );
        assert!(msg.contains("manifest unknown"), "{msg}");
        assert!(msg.contains("fix: ") && msg.contains("docker load -i nacos-server-v2.0.4.tar"));
    }
}

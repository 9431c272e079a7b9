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

mod rnacos;
pub mod rootfs;
mod tools;

pub use rnacos::{FAKETIME_LIB, ensure_rnacos, rnacos_binary};
pub use tools::{TOOLS_REPO, ensure_tools, netem_binary};

use std::path::PathBuf;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use tracing::info;

use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::flavor::FlavorKind;

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
        return Err(Error::ImageMissing {
            image,
            reason: format!(
                "pull through the mirror failed: {}",
                failure.unwrap_or_default()
            ),
            fix: "check the mirror address, or `docker load -i nacos-server.tar` on this machine"
                .into(),
        });
    }
    Err(Error::ImageMissing {
        image: image.clone(),
        reason: "not present locally and Docker Hub is not reachable from here".into(),
        fix: format!(
            "on a machine with access: `docker pull {image} && docker save {image} -o nacos.tar`, \
             then here `docker load -i nacos.tar`; or pass `--registry <mirror>`"
        ),
    })
}

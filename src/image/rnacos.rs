//! r-nacos images: `cargo install rnacos --version V --locked` into a cache keyed by build
//! profile and version, then the binary and its shared libraries onto `scratch`. First use
//! builds (minutes on two cores; every version shares one target dir per profile, so common
//! dependencies compile once); later uses reuse the cached binary and the local image.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tracing::info;

use super::rootfs::Rootfs;
use super::{BuildProfile, RNACOS_REPO, build_from_context, cache_dir};
use crate::docker::Engine;
use crate::error::{Error, Result};

fn check_version(version: &str) -> Result<&str> {
    let v = version.trim_start_matches('v');
    let ok = !v.is_empty()
        && v.split('.').count() == 3
        && v.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(v)
    } else {
        Err(Error::Config(format!(
            "r-nacos version '{version}' is not of the form MAJOR.MINOR.PATCH (e.g. 0.8.8)"
        )))
    }
}

/// Bump when the image recipe changes; older local images are rebuilt from the cached binary.
const RECIPE: &str = "3";
/// Where libfaketime lives (host and image); present in the image when the host has it.
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// The recipe label: changes when the recipe or the build profile does, or when the host
/// gains libfaketime.
fn recipe(profile: BuildProfile) -> String {
    let ft = if std::path::Path::new(FAKETIME_LIB).exists() {
        "+faketime"
    } else {
        ""
    };
    format!("{RECIPE}{ft}+{profile}")
}

/// Where the cached binary for a build profile and version lives.
///
/// ```
/// use nacos_chaos::image::{BuildProfile, rnacos_binary};
/// let p = rnacos_binary(BuildProfile::Fast, "0.8.8").unwrap();
/// assert!(p.ends_with("rnacos/fast/0.8.8/bin/rnacos"));
/// ```
pub fn rnacos_binary(profile: BuildProfile, version: &str) -> Result<PathBuf> {
    let v = check_version(version)?;
    Ok(profile_dir(profile).join(v).join("bin").join("rnacos"))
}

fn profile_dir(profile: BuildProfile) -> PathBuf {
    cache_dir().join("rnacos").join(profile.name())
}

/// Install with the crate's own lock file; if that no longer compiles on this toolchain
/// (old releases pin crates such as `time` 0.3.34 that newer rustc rejects), retry once
/// without `--locked`, resolving semver-compatible newer dependencies — and say so.
async fn cargo_install(profile: BuildProfile, version: &str) -> Result<PathBuf> {
    match cargo_install_with(profile, version, true).await {
        Ok(bin) => Ok(bin),
        Err(Error::ImageBuild { detail, .. }) if detail.contains("could not compile") => {
            tracing::warn!(
                version,
                "rnacos {version} does not compile with its own Cargo.lock on this toolchain; \
                 retrying without --locked (newer semver-compatible dependencies)"
            );
            cargo_install_with(profile, version, false).await
        }
        Err(e) => Err(e),
    }
}

async fn cargo_install_with(profile: BuildProfile, version: &str, locked: bool) -> Result<PathBuf> {
    let bin = rnacos_binary(profile, version)?;
    let root = profile_dir(profile).join(version);
    // One target dir per profile, shared by every version: dependencies that two versions
    // lock at the same version compile once (cargo serialises builds on the dir's lock).
    let target = profile_dir(profile).join("target");
    std::fs::create_dir_all(&root).map_err(|e| Error::io("create", &root, e))?;
    info!(
        version,
        %profile,
        "building r-nacos from crates.io (cargo install --locked); this takes ~3-12 min on 2 cores"
    );
    let started = Instant::now();
    let mut args = vec!["install", "rnacos", "--version", version];
    if locked {
        args.push("--locked");
    }
    args.push("--root");
    let mut child = Command::new("cargo")
        .args(&args)
        .arg(&root)
        .env("CARGO_TARGET_DIR", &target)
        .envs(profile.cargo_env())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::ImageBuild {
            image: format!("{RNACOS_REPO}:{version}"),
            step: "cargo install".into(),
            detail: e.to_string(),
            fix: "install a Rust toolchain (cargo must be on PATH)".into(),
        })?;
    let mut tail: Vec<String> = vec![];
    let mut progress = super::BuildProgress::new(&format!("r-nacos {version}"), version);
    if let Some(err) = child.stderr.take() {
        let mut lines = BufReader::new(err).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim_start().starts_with("Compiling") {
                progress.compiled("rnacos", &line);
            }
            tail.push(line);
            if tail.len() > 30 {
                tail.remove(0);
            }
        }
    }
    progress.finish();
    let status = child
        .wait()
        .await
        .map_err(|e| Error::io("wait for", "cargo", e))?;
    if !status.success() || !bin.exists() {
        return Err(Error::ImageBuild {
            image: format!("{RNACOS_REPO}:{version}"),
            step: "cargo install".into(),
            detail: tail.join("\n"),
            fix: format!(
                "check that rnacos {version} exists on crates.io and builds with this toolchain; \
                 crates.io must be reachable. Cache: {}",
                root.display()
            ),
        });
    }
    info!(version, secs = started.elapsed().as_secs(), "r-nacos built");
    Ok(bin)
}

/// Does `image` exist locally, built by the current recipe and profile?
async fn is_current(engine: &Engine, image: &str, profile: BuildProfile) -> Result<bool> {
    let label = engine.image_label(image, "io.nacos-chaos.recipe").await?;
    Ok(label.as_deref() == Some(recipe(profile).as_str()))
}

/// Make sure `nacos-chaos/rnacos:<version>` exists locally, built with the profile in force
/// ([`BuildProfile::current`]: `$NACOS_CHAOS_RNACOS_BUILD`, default `fast`), building it if
/// needed.
pub async fn ensure_rnacos(engine: &Engine, version: &str) -> Result<String> {
    ensure_rnacos_with(engine, BuildProfile::current()?, version).await
}

/// Make sure `nacos-chaos/rnacos:<version>` exists locally, built with `profile`. Switching
/// profile repackages the image from that profile's cached binary (seconds once built).
pub async fn ensure_rnacos_with(
    engine: &Engine,
    profile: BuildProfile,
    version: &str,
) -> Result<String> {
    let version = check_version(version)?;
    let image = format!("{RNACOS_REPO}:{version}");
    if is_current(engine, &image, profile).await? {
        return Ok(image);
    }
    // One build per version at a time, across processes (tests run in parallel).
    let lock_path = cache_dir().join("rnacos").join(format!("{version}.lock"));
    if let Some(dir) = lock_path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    let lock = std::fs::File::create(&lock_path).map_err(|e| Error::io("create", &lock_path, e))?;
    let lock = tokio::task::spawn_blocking(move || lock.lock().map(|_| lock))
        .await
        .map_err(|e| Error::Internal(format!("the build lock task did not finish: {e}")))?
        .map_err(|e| Error::io("lock", &lock_path, e))?;
    // Another process may have built it while this one waited for the lock.
    if is_current(engine, &image, profile).await? {
        return Ok(image);
    }
    let bin = rnacos_binary(profile, version)?;
    let bin = if bin.exists() {
        bin
    } else {
        cargo_install(profile, version).await?
    };
    let mut fs = Rootfs::default();
    fs.add_binary(&bin, "/usr/local/bin/rnacos")
        .map_err(|e| Error::ImageBuild {
            image: image.clone(),
            step: "collect binary and libraries".into(),
            detail: e.to_string(),
            fix: format!("delete {} and retry to rebuild it", bin.display()),
        })?;
    // libfaketime (if the host has it: apt-get install libfaketime) enables the clock-skew fault.
    if std::path::Path::new(FAKETIME_LIB).exists() {
        fs.add_binary(std::path::Path::new(FAKETIME_LIB), FAKETIME_LIB)
            .map_err(|e| Error::ImageBuild {
                image: image.clone(),
                step: "collect libfaketime".into(),
                detail: e.to_string(),
                fix: "reinstall libfaketime or remove it from the host".into(),
            })?;
    }
    // Names resolve from /etc/hosts before DNS, as in Debian-based production images.
    fs.add_text("/etc/nsswitch.conf", super::rootfs::NSSWITCH);
    let recipe = recipe(profile);
    let dockerfile = format!(
        "FROM scratch\nCOPY rootfs/ /\n\
         ENV LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu\n\
         LABEL io.nacos-chaos.image=rnacos io.nacos-chaos.version={version} io.nacos-chaos.recipe={recipe} \
         io.nacos-chaos.build-profile={profile}\n\
         WORKDIR /data\nENTRYPOINT [\"/usr/local/bin/rnacos\"]\n"
    );
    let ctx = fs.build_context(&dockerfile)?;
    info!(%image, "packaging r-nacos image");
    build_from_context(engine, &image, ctx).await?;
    drop(lock);
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_validated() {
        assert!(check_version("0.8.8").is_ok());
        assert!(check_version("v0.7.3").is_ok());
        for bad in ["", "0.8", "latest", "0.8.8; rm -rf /", "0..8"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}

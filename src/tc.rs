//! testcontainers interop (feature `testcontainers`): the images nacos-chaos knows as
//! [`testcontainers::Image`]s, for a throw-away single Nacos in another project's tests.
//!
//! - [`RNacosImage`]: the locally built `nacos-chaos/rnacos:<version>` (build it first with
//!   `nacos-chaos image --version <v>`; nothing is pulled), rendered by the same flavor code
//!   as a one-node cluster of the harness: a single r-nacos that elects itself.
//! - [`OfficialNacosImage`]: `nacos/nacos-server:v<tag>` (or a mirror) in standalone mode.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use testcontainers::runners::AsyncRunner;
//! let node = nacos_chaos::tc::RNacosImage::new("0.8.8").start().await?;
//! let port = node.get_host_port_ipv4(nacos_chaos::tc::HTTP).await?;
//! println!("r-nacos at http://127.0.0.1:{port}/nacos");
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::time::Duration;

use testcontainers::Image;
use testcontainers::core::{ContainerPort, WaitFor};

use crate::flavor::{Flavor, IdentityMode, Membership, NodeIdentity, RenderCtx};

/// The HTTP API port (both flavors).
pub const HTTP: ContainerPort = ContainerPort::Tcp(8848);
/// The gRPC port (both flavors).
pub const GRPC: ContainerPort = ContainerPort::Tcp(9848);

const PORTS: [ContainerPort; 2] = [HTTP, GRPC];

/// Split `repo:tag` (a registry port stays in the repo).
fn split_ref(image: &str) -> (String, String) {
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

/// A single r-nacos node at a version, as [`crate::flavor::rnacos::RNacos`] renders node 1
/// of a one-node cluster (auto-initialised, announcing itself on 127.0.0.1).
///
/// ```
/// use testcontainers::Image;
/// let img = nacos_chaos::tc::RNacosImage::new("0.8.8");
/// assert_eq!((img.name(), img.tag()), ("nacos-chaos/rnacos", "0.8.8"));
/// assert!(img.env().iter().any(|(k, v)| k == "RNACOS_RAFT_AUTO_INIT" && v == "true"));
/// ```
#[derive(Debug, Clone)]
pub struct RNacosImage {
    name: String,
    tag: String,
    env: Vec<(String, String)>,
}

impl RNacosImage {
    /// The image of r-nacos `version` (e.g. `0.8.8`).
    pub fn new(version: &str) -> Self {
        let flavor = crate::flavor::rnacos::RNacos;
        let node = NodeIdentity {
            index: 1,
            hostname: "n1".into(),
            ip: std::net::Ipv4Addr::LOCALHOST,
        };
        let membership = Membership {
            mode: IdentityMode::Ip,
            members: vec![node.clone()],
            naming: Default::default(),
        };
        let spec = flavor
            .render(&RenderCtx {
                node: &node,
                membership: &membership,
                version,
                join: None,
                tuning: &[],
            })
            .expect("a one-node r-nacos without tuning always renders");
        let (name, tag) = split_ref(&spec.image);
        RNacosImage {
            name,
            tag,
            env: spec.env,
        }
    }

    /// The environment the container gets.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }
}

impl Image for RNacosImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        // r-nacos logs its HTTP address once the API listens (it elects itself right after).
        vec![WaitFor::message_on_either_std("http server addr:")]
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &PORTS
    }
}

/// Official Nacos at a tag (`2.4.1` or `v2.4.1`), standalone, optionally from a mirror.
///
/// ```
/// use testcontainers::Image;
/// let img = nacos_chaos::tc::OfficialNacosImage::new("2.4.1");
/// assert_eq!((img.name(), img.tag()), ("nacos/nacos-server", "v2.4.1"));
/// let m = nacos_chaos::tc::OfficialNacosImage::new("v2.4.1").with_registry("mirror.local:5000");
/// assert_eq!(m.name(), "mirror.local:5000/nacos/nacos-server");
/// ```
#[derive(Debug, Clone)]
pub struct OfficialNacosImage {
    tag: String,
    registry: Option<String>,
    name: String,
}

impl OfficialNacosImage {
    /// Official Nacos `tag`.
    pub fn new(tag: &str) -> Self {
        let mut img = OfficialNacosImage {
            tag: tag.to_string(),
            registry: None,
            name: String::new(),
        };
        img.resolve();
        img
    }

    /// Take the image from a registry or mirror (`NACOS_CHAOS_REGISTRY`'s form).
    pub fn with_registry(mut self, prefix: &str) -> Self {
        self.registry = Some(prefix.to_string());
        self.resolve();
        self
    }

    fn resolve(&mut self) {
        let flavor = match &self.registry {
            Some(r) => crate::flavor::official::Official::with_registry(r.clone()),
            None => crate::flavor::official::Official::default(),
        };
        let (name, tag) = split_ref(&flavor.image(&self.tag));
        self.name = name;
        self.tag = tag;
    }
}

impl Image for OfficialNacosImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![WaitFor::message_on_stdout("Nacos started successfully")]
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        [("MODE", "standalone"), ("NACOS_AUTH_ENABLE", "false")]
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &PORTS
    }
}

/// How long official Nacos may take to start on a small machine (testcontainers' default
/// of 60 s is often too short for the JVM on 2 cores): pass to `with_startup_timeout`.
pub const OFFICIAL_STARTUP: Duration = Duration::from_secs(240);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_at_the_tag_not_a_registry_port() {
        assert_eq!(
            split_ref("mirror:5000/nacos/nacos-server:v2.4.1"),
            ("mirror:5000/nacos/nacos-server".into(), "v2.4.1".into())
        );
        assert_eq!(
            split_ref("mirror:5000/x"),
            ("mirror:5000/x".into(), "latest".into())
        );
    }
}

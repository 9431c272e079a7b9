//! The Docker engine: connection, labelled resources, and garbage collection.
//! Knows nothing about Nacos.
//!
//! Every container, network and volume the harness creates carries [`LABEL_MANAGED`] and
//! [`LABEL_RUN`], so [`gc`] can remove exactly what a (crashed) run left and nothing else.

mod container;
pub mod gc;
mod host;
mod network;

pub use container::{ContainerRequest, ExecOutput, PortMapping};
pub use host::{DEFAULT_DOCKER_HOST, Endpoint, current as current_endpoint, docker_host, endpoint};
pub use network::RunNetwork;

use std::collections::HashMap;

use bollard::Docker;
use tracing::info;

use crate::error::{Error, Result};

/// Label present on every resource the harness creates.
pub const LABEL_MANAGED: &str = "io.nacos-chaos.managed";
/// Label holding the run id.
pub const LABEL_RUN: &str = "io.nacos-chaos.run";
/// Label naming the node (containers and volumes of a node).
pub const LABEL_NODE: &str = "io.nacos-chaos.node";
/// Label naming the role of a container (`node`, `helper`).
pub const LABEL_ROLE: &str = "io.nacos-chaos.role";

/// A connection to the Docker engine, scoped to one run id for labelling.
///
/// ```no_run
/// # async fn f() -> nacos_chaos::Result<()> {
/// let engine = nacos_chaos::docker::Engine::connect("run1").await?;
/// println!("{}", engine.version());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    docker: Docker,
    run_id: String,
    version: String,
}

impl Engine {
    /// Connect to the engine `DOCKER_HOST` names (`unix://…` or `tcp://host:port`; the local
    /// socket when unset), negotiate the API version, log the engine version. Another
    /// scheme is an error, never a silent fall-back to the local engine.
    pub async fn connect(run_id: impl Into<String>) -> Result<Self> {
        let host = docker_host();
        endpoint(&host, None)?;
        let docker = Docker::connect_with_host(&host)
            .map_err(|e| Error::Engine(format!("cannot create a client for {host}: {e}")))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| Error::Engine(format!("cannot reach the engine at {host}: {e}")))?;
        let v = docker
            .version()
            .await
            .map_err(|e| Error::Engine(format!("cannot read the engine version: {e}")))?;
        let version = format!(
            "engine {} (API {})",
            v.version.unwrap_or_default(),
            v.api_version.unwrap_or_default()
        );
        info!(%version, docker_host = %host, "connected to docker");
        Ok(Engine {
            docker,
            run_id: run_id.into(),
            version,
        })
    }

    /// The bollard client.
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// The run id every resource is labelled with.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Engine version text, for reports.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The labels for a resource of this run.
    pub fn labels(&self, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut l = HashMap::from([
            (LABEL_MANAGED.to_string(), "true".to_string()),
            (LABEL_RUN.to_string(), self.run_id.clone()),
        ]);
        for (k, v) in extra {
            l.insert((*k).to_string(), (*v).to_string());
        }
        l
    }

    /// Create a named volume labelled with this run.
    pub async fn create_volume(&self, name: &str, node: &str) -> Result<()> {
        let req = bollard::models::VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(self.labels(&[(LABEL_NODE, node)])),
            ..Default::default()
        };
        self.docker
            .create_volume(req)
            .await
            .map_err(|e| Error::docker(format!("create volume {name}"), e))?;
        Ok(())
    }

    /// A label of a local image (None if the image or the label is missing).
    pub async fn image_label(&self, image: &str, key: &str) -> Result<Option<String>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(i
                .config
                .and_then(|c| c.labels)
                .and_then(|mut l| l.remove(key))),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(Error::docker(format!("inspect image {image}"), e)),
        }
    }

    /// Does an image exist locally?
    pub async fn image_exists(&self, image: &str) -> Result<bool> {
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(Error::docker(format!("inspect image {image}"), e)),
        }
    }
}

/// A fresh run id: short, lowercase, unique enough for concurrent runs on one engine.
///
/// ```
/// let a = nacos_chaos::docker::new_run_id();
/// assert!(a.len() >= 10 && a.chars().all(|c| c.is_ascii_alphanumeric()));
/// ```
pub fn new_run_id() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mixed = (nanos as u64) ^ ((std::process::id() as u64) << 40);
    let mut x = mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    format!("r{:011x}", x & 0xfff_ffff_ffff)
}

//! Containers: create/start/stop/kill/pause/remove, exec, logs, and short-lived helpers.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, Mount, MountType,
    NetworkingConfig, PortBinding,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, KillContainerOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, StartContainerOptions,
    StopContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::{Engine, LABEL_ROLE};
use crate::error::{Error, Result};
use crate::poll::Poll;

/// Everything needed to create one container.
#[derive(Debug, Clone, Default)]
pub struct ContainerRequest {
    /// Container name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Env as pairs.
    pub env: Vec<(String, String)>,
    /// Command override.
    pub cmd: Option<Vec<String>>,
    /// Extra labels (run labels are added automatically).
    pub labels: Vec<(String, String)>,
    /// Role label value (`node`, `helper`).
    pub role: String,
    /// Hostname.
    pub hostname: Option<String>,
    /// Network to attach with a static IP and aliases.
    pub network: Option<(String, Ipv4Addr, Vec<String>)>,
    /// Raw network mode (e.g. `container:<id>` for helpers sharing a namespace).
    pub network_mode: Option<String>,
    /// Named volume mounts: (volume, container path).
    pub volumes: Vec<(String, String)>,
    /// Container TCP ports to publish (ephemeral host ports; on 127.0.0.1 of a local engine,
    /// see [`super::Endpoint`]).
    pub publish: Vec<u16>,
    /// Capabilities to add (never privileged).
    pub cap_add: Vec<String>,
    /// Memory limit.
    pub memory_bytes: Option<i64>,
    /// Extra /etc/hosts entries `host:ip`.
    pub extra_hosts: Vec<String>,
}

/// Host port a container port is published on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortMapping {
    /// Port inside the container.
    pub container: u16,
    /// Published port on the engine's host (dial [`super::Endpoint::reach_host`]).
    pub host: u16,
}

/// Output of an exec or a helper run.
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    /// Exit code.
    pub exit_code: i64,
    /// Combined stdout/stderr text.
    pub output: String,
}

fn not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

impl Engine {
    /// Create a container labelled with this run. Returns its id.
    pub async fn create_container(&self, req: &ContainerRequest) -> Result<String> {
        let mut labels = self.labels(&[(LABEL_ROLE, req.role.as_str())]);
        for (k, v) in &req.labels {
            labels.insert(k.clone(), v.clone());
        }
        let (network_mode, networking_config) = networking(req);
        let body = ContainerCreateBody {
            image: Some(req.image.clone()),
            env: Some(req.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            cmd: req.cmd.clone(),
            labels: Some(labels),
            hostname: req.hostname.clone(),
            exposed_ports: non_empty(req.publish.iter().map(|p| format!("{p}/tcp")).collect()),
            host_config: Some(host_config(req, network_mode)),
            networking_config,
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::new().name(&req.name).build();
        match self.client().create_container(Some(opts), body).await {
            Ok(r) => Ok(r.id),
            Err(e) if not_found(&e) => Err(Error::ImageMissing {
                image: req.image.clone(),
                reason: "not present in the local engine (and nothing can be pulled)".into(),
                fix: "run `nacos-chaos image build` for r-nacos, or `docker load` / a mirror for official images".into(),
            }),
            Err(e) => Err(Error::docker(format!("create container {}", req.name), e)),
        }
    }

    /// Start a container.
    pub async fn start(&self, id: &str) -> Result<()> {
        self.client()
            .start_container(id, None::<StartContainerOptions>)
            .await
            .map_err(|e| Error::docker(format!("start {id}"), e))
    }

    /// Graceful stop with a timeout in seconds, then SIGKILL.
    pub async fn stop(&self, id: &str, secs: i32) -> Result<()> {
        let opts = StopContainerOptionsBuilder::new().t(secs).build();
        match self.client().stop_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(Error::docker(format!("stop {id}"), e)),
        }
    }

    /// Send a signal (e.g. `SIGKILL`).
    pub async fn kill(&self, id: &str, signal: &str) -> Result<()> {
        let opts = KillContainerOptionsBuilder::new().signal(signal).build();
        self.client()
            .kill_container(id, Some(opts))
            .await
            .map_err(|e| Error::docker(format!("kill {id} with {signal}"), e))
    }

    /// Freeze all processes.
    pub async fn pause(&self, id: &str) -> Result<()> {
        self.client()
            .pause_container(id)
            .await
            .map_err(|e| Error::docker(format!("pause {id}"), e))
    }

    /// Thaw.
    pub async fn unpause(&self, id: &str) -> Result<()> {
        self.client()
            .unpause_container(id)
            .await
            .map_err(|e| Error::docker(format!("unpause {id}"), e))
    }

    /// Force-remove a container (missing is fine). Named volumes survive.
    pub async fn remove_container(&self, id: &str) -> Result<()> {
        let opts = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match self.client().remove_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(Error::docker(format!("remove container {id}"), e)),
        }
    }

    /// Host ports of a running container, and its IP on `network`.
    pub async fn inspect_ports(&self, id: &str) -> Result<Vec<PortMapping>> {
        let info = self
            .client()
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(|e| Error::docker(format!("inspect {id}"), e))?;
        let mut out = vec![];
        let ports = info
            .network_settings
            .and_then(|n| n.ports)
            .unwrap_or_default();
        for (k, v) in ports {
            let Some(container) = k.split('/').next().and_then(|p| p.parse().ok()) else {
                continue;
            };
            for b in v.unwrap_or_default() {
                if b.host_ip.as_deref() == Some(super::current_endpoint().bind_ip.as_str())
                    && let Some(host) = b.host_port.and_then(|p| p.parse().ok())
                {
                    out.push(PortMapping { container, host });
                }
            }
        }
        Ok(out)
    }

    /// The container's IP on a network, read back from the engine.
    pub async fn inspect_ip(&self, id: &str, network: &str) -> Result<Option<Ipv4Addr>> {
        let info = self
            .client()
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(|e| Error::docker(format!("inspect {id}"), e))?;
        Ok(info
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|mut n| n.remove(network))
            .and_then(|e| e.ip_address)
            .and_then(|ip| ip.parse().ok()))
    }

    /// Container state text (`running`, `exited`, `paused`) or None if gone.
    pub async fn state(&self, id: &str) -> Result<Option<String>> {
        match self
            .client()
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
        {
            Ok(info) => Ok(info.state.and_then(|s| s.status).map(|s| s.to_string())),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(Error::docker(format!("inspect {id}"), e)),
        }
    }

    /// Run a command inside a running container.
    pub async fn exec(&self, id: &str, cmd: &[&str]) -> Result<ExecOutput> {
        let exec = self
            .client()
            .create_exec(
                id,
                CreateExecOptions {
                    cmd: Some(cmd.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| Error::docker(format!("exec {cmd:?} in {id}"), e))?;
        let mut output = String::new();
        if let StartExecResults::Attached { output: mut s, .. } = self
            .client()
            .start_exec(&exec.id, None)
            .await
            .map_err(|e| Error::docker("start exec", e))?
        {
            while let Some(chunk) = s.next().await {
                let chunk = chunk.map_err(|e| Error::docker("read exec output", e))?;
                output.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
            }
        }
        let code = self
            .client()
            .inspect_exec(&exec.id)
            .await
            .map_err(|e| Error::docker("inspect exec", e))?
            .exit_code
            .unwrap_or(-1);
        Ok(ExecOutput {
            exit_code: code,
            output,
        })
    }

    /// The container's console log (stdout + stderr, with timestamps).
    pub async fn logs(&self, id: &str) -> Result<String> {
        let opts = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .build();
        let mut s = self.client().logs(id, Some(opts));
        let mut out = String::new();
        while let Some(chunk) = s.next().await {
            match chunk {
                Ok(c) => out.push_str(&String::from_utf8_lossy(&c.into_bytes())),
                Err(e) if not_found(&e) => break,
                Err(e) => return Err(Error::docker(format!("logs {id}"), e)),
            }
        }
        Ok(out)
    }

    /// Run a short-lived helper container to completion and return its output. The helper
    /// is removed afterwards, also when it fails or times out.
    pub async fn run_helper(
        &self,
        req: &ContainerRequest,
        timeout: Duration,
    ) -> Result<ExecOutput> {
        let id = self.create_container(req).await?;
        let result = async {
            self.start(&id).await?;
            let mut poll = Poll::new(format!("helper {} {:?}", req.name, req.cmd), timeout)
                .every(Duration::from_millis(50));
            loop {
                let info = self
                    .client()
                    .inspect_container(&id, None::<InspectContainerOptions>)
                    .await
                    .map_err(|e| Error::docker(format!("inspect helper {}", req.name), e))?;
                let state = info.state.unwrap_or_default();
                if state.running != Some(true) {
                    let output = self.logs(&id).await?;
                    let output = output
                        .lines()
                        .map(|l| l.split_once(' ').map(|(_, r)| r).unwrap_or(l))
                        .collect::<Vec<_>>()
                        .join("\n");
                    return Ok(ExecOutput {
                        exit_code: state.exit_code.unwrap_or(-1),
                        output,
                    });
                }
                poll.next("still running".into()).await?;
            }
        }
        .await;
        let _ = self.remove_container(&id).await;
        result
    }
}

/// `None` for an empty list (Docker's "not set"), the list otherwise.
fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// The network a container joins: an explicit mode, the run network at a static IP with
/// its aliases, or none at all.
fn networking(req: &ContainerRequest) -> (Option<String>, Option<NetworkingConfig>) {
    match (&req.network, &req.network_mode) {
        (_, Some(mode)) => (Some(mode.clone()), None),
        (Some((net, ip, aliases)), None) => {
            let endpoint = EndpointSettings {
                ipam_config: Some(EndpointIpamConfig {
                    ipv4_address: Some(ip.to_string()),
                    ..Default::default()
                }),
                aliases: Some(aliases.clone()),
                ..Default::default()
            };
            let config = NetworkingConfig {
                endpoints_config: Some(HashMap::from([(net.clone(), endpoint)])),
            };
            (Some(net.clone()), Some(config))
        }
        (None, None) => (Some("none".into()), None),
    }
}

/// Published ports (on the engine endpoint's bind address, host port chosen by Docker),
/// volumes, capabilities, memory and extra hosts; always with an init process.
fn host_config(req: &ContainerRequest, network_mode: Option<String>) -> HostConfig {
    let mut port_bindings = HashMap::new();
    for p in &req.publish {
        port_bindings.insert(
            format!("{p}/tcp"),
            Some(vec![PortBinding {
                host_ip: Some(super::current_endpoint().bind_ip.clone()),
                host_port: Some(String::new()),
            }]),
        );
    }
    let mounts = req
        .volumes
        .iter()
        .map(|(v, target)| Mount {
            target: Some(target.clone()),
            source: Some(v.clone()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    HostConfig {
        network_mode,
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        mounts: non_empty(mounts),
        cap_add: non_empty(req.cap_add.clone()),
        memory: req.memory_bytes,
        extra_hosts: non_empty(req.extra_hosts.clone()),
        init: Some(true),
        ..Default::default()
    }
}

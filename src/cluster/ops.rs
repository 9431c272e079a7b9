//! Node lifecycle operations used by faults and upgrades: stop, kill, pause, restart, and
//! recreate (new container, same data volume — possibly a new IP, version or membership).

use serde::{Deserialize, Serialize};
use tracing::info;

use super::{Cluster, NodeState, node_ip};
use crate::error::{Error, Result};
use crate::flavor::Membership;

/// What membership servers are told when nodes are recreated with new identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MembershipPolicy {
    /// cluster.conf / NACOS_SERVERS / announce addresses follow the new IPs.
    #[default]
    Follow,
    /// Servers are told the identities of the first start (stale).
    Stale,
}

/// How to recreate a node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recreate {
    /// Give the node the IP of the current identity generation (see [`Cluster::bump_generation`]).
    pub new_ip: bool,
    /// Run this version instead.
    pub version: Option<String>,
    /// Membership policy.
    pub policy: MembershipPolicy,
}

impl Cluster {
    fn container_of(&self, index: usize) -> Result<String> {
        self.node(index)?
            .container_id
            .clone()
            .ok_or_else(|| Error::NodeState {
                node: format!("n{index}"),
                why: "has no container (not started)".into(),
                fix: "start it first (a start or start_node step)".into(),
            })
    }

    /// Graceful stop (SIGTERM, then SIGKILL after `secs`). Data kept.
    pub async fn stop_node(&mut self, index: usize, secs: i32) -> Result<()> {
        let id = self.container_of(index)?;
        self.engine.stop(&id, secs).await?;
        self.nodes[index - 1].state = NodeState::Stopped;
        info!(node = index, "node stopped");
        Ok(())
    }

    /// Graceful stop of several nodes at once (SIGTERM to all, then SIGKILL to any still
    /// running after `secs`): the whole stop takes the slowest node's time, not the sum.
    pub async fn stop_nodes(&mut self, nodes: &[usize], secs: i32) -> Result<()> {
        let ids: Vec<String> = nodes
            .iter()
            .map(|&n| self.container_of(n))
            .collect::<Result<_>>()?;
        let engine = self.engine.clone();
        let stopped =
            futures_util::future::join_all(ids.iter().map(|id| engine.stop(id, secs))).await;
        for (&n, r) in nodes.iter().zip(stopped) {
            r?;
            self.nodes[n - 1].state = NodeState::Stopped;
            info!(node = n, "node stopped");
        }
        Ok(())
    }

    /// SIGKILL. Data kept.
    pub async fn kill_node(&mut self, index: usize) -> Result<()> {
        let id = self.container_of(index)?;
        self.engine.kill(&id, "SIGKILL").await?;
        self.nodes[index - 1].state = NodeState::Stopped;
        info!(node = index, "node killed");
        Ok(())
    }

    /// Freeze the node's processes.
    pub async fn pause_node(&mut self, index: usize) -> Result<()> {
        let id = self.container_of(index)?;
        self.engine.pause(&id).await?;
        self.nodes[index - 1].state = NodeState::Paused;
        Ok(())
    }

    /// Thaw the node.
    pub async fn unpause_node(&mut self, index: usize) -> Result<()> {
        let id = self.container_of(index)?;
        self.engine.unpause(&id).await?;
        self.nodes[index - 1].state = NodeState::Running;
        Ok(())
    }

    /// Start a stopped node's existing container again (same IP, same env, data kept).
    pub async fn restart_node(&mut self, index: usize) -> Result<()> {
        let id = self.container_of(index)?;
        if self.nodes[index - 1].state == NodeState::Running {
            self.engine.stop(&id, 10).await?;
        }
        self.engine.start(&id).await?;
        self.refresh_ports(index).await?;
        self.nodes[index - 1].state = NodeState::Running;
        Ok(())
    }

    /// Move to the next identity generation: nodes recreated with `new_ip` get new addresses.
    pub fn bump_generation(&mut self) -> u8 {
        self.generation = self.generation.saturating_add(1);
        self.generation
    }

    /// Remove node `index`'s container (data volume kept).
    pub async fn remove_node_container(&mut self, index: usize) -> Result<()> {
        if let Some(id) = self.nodes[index - 1].container_id.take() {
            self.engine.remove_container(&id).await?;
        }
        let n = &mut self.nodes[index - 1];
        n.state = NodeState::Absent;
        n.http_port = None;
        n.grpc_port = None;
        Ok(())
    }

    /// Set the extra environment node `index` gets when next (re)created.
    pub fn set_extra_env(&mut self, index: usize, env: Vec<(String, String)>) -> Result<()> {
        self.node(index)?;
        self.nodes[index - 1].extra_env = env;
        Ok(())
    }

    /// Set the identity node `index` will have when next started.
    pub fn assign_ip(&mut self, index: usize) -> Result<()> {
        self.node(index)?;
        let ip = node_ip(&self.network, self.generation, index);
        self.nodes[index - 1].identity.ip = ip;
        Ok(())
    }

    /// Give node `index` this address on the run network, before it is first started: it
    /// becomes both its current and its original identity (a rehearsal restores a backup
    /// taken at that address). The address must be inside the run's subnet.
    pub fn pin_ip(&mut self, index: usize, ip: std::net::Ipv4Addr) -> Result<()> {
        self.node(index)?;
        let o = ip.octets();
        if o[0..3] != self.network.ip(0).octets()[0..3] || !(2..=254).contains(&o[3]) {
            return Err(Error::Config(format!(
                "n{index}: {ip} is not a host address of the run network {}",
                self.network.subnet()
            )));
        }
        let n = &mut self.nodes[index - 1];
        n.identity.ip = ip;
        n.original.ip = ip;
        Ok(())
    }

    /// Set the address node `index` gets when next (re)created (any host address of the run
    /// network), leaving its original identity as it was.
    pub fn move_ip(&mut self, index: usize, ip: std::net::Ipv4Addr) -> Result<()> {
        let original = self.node(index)?.original.clone();
        self.pin_ip(index, ip)?;
        self.nodes[index - 1].original = original;
        Ok(())
    }

    /// Address peers by IP or by hostname from the nodes' next (re)creation on (a planned
    /// move to hostname identity, as `rehearse --hostnames` rehearses it).
    pub fn set_identity_mode(&mut self, mode: crate::flavor::IdentityMode) {
        self.spec.identity = mode;
    }

    /// Run `version` on node `index` from its next (re)creation (the image is provided now).
    pub async fn set_node_version(&mut self, index: usize, version: &str) -> Result<()> {
        self.node(index)?;
        crate::image::ensure(
            &self.engine,
            self.spec.flavor,
            version,
            self.spec.registry.as_deref(),
        )
        .await?;
        self.nodes[index - 1].version = version.to_string();
        Ok(())
    }

    /// The membership servers are told under a policy.
    pub fn membership_for(&self, policy: MembershipPolicy) -> Membership {
        match policy {
            MembershipPolicy::Follow => self.current_membership(),
            MembershipPolicy::Stale => Membership {
                mode: self.spec.identity,
                members: self.nodes.iter().map(|n| n.original.clone()).collect(),
                naming: self.naming(),
            },
        }
    }

    /// Replace node `index`'s container with a new one on the same data volume.
    pub async fn recreate_node(&mut self, index: usize, how: &Recreate) -> Result<()> {
        self.node(index)?;
        self.remove_node_container(index).await?;
        if how.new_ip {
            self.assign_ip(index)?;
        }
        if let Some(v) = &how.version {
            crate::image::ensure(
                &self.engine,
                self.spec.flavor,
                v,
                self.spec.registry.as_deref(),
            )
            .await?;
            self.nodes[index - 1].version = v.clone();
        }
        let membership = self.membership_for(how.policy);
        let join = self.nodes[index - 1].join;
        self.start_node_with(index, join, &membership).await
    }
}

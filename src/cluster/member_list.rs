//! Telling running nodes a changed membership, for flavors that keep it in a file they
//! watch (official Nacos: cluster.conf).
//!
//! Official Nacos reads `conf/cluster.conf` through `FileConfigMemberLookup`, which watches
//! the file and publishes a `MembersChangeEvent` on change; `ProtocolManager` hands that to
//! `JRaftProtocol.memberChange` → `JRaftServer.peerChange`, which removes peers no longer
//! listed from every Raft group (`removePeers`) and adds none: a new node adds itself when it
//! starts (`registerSelfToCluster`) (`core/.../distributed/raft/JRaftServer.java`,
//! `core/.../distributed/ProtocolManager.java` @2.4.1; the same in 1.4.1 and 3.0.3). So a
//! node added later starts with every member listed, running nodes get the new list, and a
//! removed node leaves every group once the others' file no longer lists it. The image's
//! start script rewrites cluster.conf from `NACOS_SERVERS` on each start, so a node
//! restarted later (a `restart` fault) reads its creation-time list again.

use super::{Cluster, NodeState};
use crate::error::Result;

impl Cluster {
    /// Rewrite the membership files (those the flavor renders) of every running node with
    /// the current membership; one line per node told. No-op for flavors without such files.
    pub(crate) async fn tell_members(&mut self, why: &str) -> Result<Vec<String>> {
        let membership = self.current_membership();
        let mut told = vec![];
        for i in 1..=self.nodes.len() {
            let node = &self.nodes[i - 1];
            let Some(id) = node.container_id.clone() else {
                continue;
            };
            if node.state != NodeState::Running {
                continue;
            }
            let spec = self.flavor.render(&crate::flavor::RenderCtx {
                node: &node.identity,
                membership: &membership,
                version: &node.version,
                join: None,
                tuning: &self.spec.tuning,
            })?;
            if spec.files.is_empty() {
                continue;
            }
            self.upload_files(&id, &spec.files).await?;
            let list: Vec<String> = spec
                .files
                .iter()
                .map(|(p, c)| format!("{p} = {}", c.trim_end().replace('\n', ", ")))
                .collect();
            told.push(format!("{} told ({why}): {}", node.name(), list.join("; ")));
        }
        Ok(told)
    }
}

//! Official Nacos's operations API as an `admin` step: the request rendered by
//! [`crate::flavor::official::raft_ops`], sent to a running node, answered and recorded.

use super::{AdminAnswer, Cluster, NodeState};
use crate::error::{Error, Result};
use crate::flavor::official::raft_ops::{self, RaftOp};

impl Cluster {
    /// `op` (transfer_leader, snapshot, reset_raft_cluster, remove_peer) about `node`,
    /// through `POST /nacos/v1/core/ops/raft` (3.x: `/nacos/v3/admin/core/ops/raft`) on
    /// every Raft group. Sent to the lowest-numbered running node other than `node` (or to
    /// `node` when it is the only one running); `snapshot` without a node snapshots the node
    /// it is sent to, and `reset_raft_cluster` sets the groups' peers to the configured
    /// nodes without `node`.
    pub(crate) async fn raft_op(&mut self, op: &str, node: Option<usize>) -> Result<AdminAnswer> {
        let op: RaftOp = op.parse()?;
        let via = self.ops_receiver(node)?;
        let about = match (op, node) {
            (RaftOp::Snapshot, None) => Some(via),
            (RaftOp::ResetRaftCluster, _) => None,
            (_, n) => n,
        };
        let target = about.map(|i| self.peer_of(i));
        let peers: Vec<String> = self
            .configured
            .iter()
            .copied()
            .filter(|&k| Some(k) != node)
            .map(|k| self.peer_of(k))
            .collect();
        let version = self.node(via)?.version.clone();
        let req = raft_ops::request(&version, op, target.as_deref(), &peers)?;
        let mut answer = self.http_call(via, &req.path, Some(req.body)).await?;
        let verdict = raft_ops::judge(&version, answer.status, &answer.body);
        answer.request = format!("{} ({verdict:?})", answer.request);
        Ok(answer)
    }

    /// The node an ops request goes to: the lowest-numbered running node other than `node`.
    fn ops_receiver(&self, node: Option<usize>) -> Result<usize> {
        let running = |i: &usize| self.nodes[i - 1].state == NodeState::Running;
        let all: Vec<usize> = (1..=self.nodes.len()).filter(running).collect();
        all.iter()
            .copied()
            .find(|&i| Some(i) != node)
            .or(all.first().copied())
            .ok_or_else(|| {
                Error::Config(
                    "admin: no node is running to send the operation to\n  fix: put the admin \
                     step after `start` and before a fault that stops every node"
                        .into(),
                )
            })
    }
}

//! The membership each node would boot with after a restart, read from its data dir while
//! it runs, compared with the membership the cluster should have.
//!
//! r-nacos keeps the two apart: it boots with the membership in its `index` file, which only
//! its own join path writes, so a membership made live any other way (the
//! `change-membership` API) is forgotten by the next restart. A cluster left like that looks
//! whole until it restarts — the latent fault bring-up must never hand to an experiment.

use std::time::Duration;

use tracing::warn;

use super::Cluster;
use crate::error::Result;
use crate::poll::Poll;
pub use crate::record::{BootMembership, boot_drift};

impl Cluster {
    /// Read the membership every node with a container would boot with. `Ok(None)` when this
    /// flavor and version keep membership in the Raft log itself (nothing can drift).
    ///
    /// ```no_run
    /// # async fn f(c: &nacos_chaos::cluster::Cluster) -> nacos_chaos::Result<()> {
    /// if let Some(boots) = c.boot_memberships().await? {
    ///     for b in boots { println!("{} boots with {:?}", b.node, b.members); }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn boot_memberships(&self) -> Result<Option<Vec<BootMembership>>> {
        let mut out = vec![];
        for n in self.nodes() {
            let Some(path) = self.flavor().boot_membership_file(&n.version) else {
                return Ok(None);
            };
            let Some(id) = &n.container_id else {
                continue;
            };
            let bytes = self.read_file_bytes(id, &path).await?;
            out.push(BootMembership {
                node: n.name().to_string(),
                members: self.flavor().decode_boot_membership(&bytes)?,
            });
        }
        Ok(Some(out))
    }

    /// Nodes whose Raft log the server will not load whole at its next start, one line
    /// each (empty where the flavor cannot tell, or nothing would be lost).
    ///
    /// ```no_run
    /// # async fn f(c: &nacos_chaos::cluster::Cluster) {
    /// for line in c.log_cuts().await { println!("{line}"); }
    /// # }
    /// ```
    pub async fn log_cuts(&self) -> Vec<String> {
        let mut out = vec![];
        for n in self.nodes() {
            let (Some(path), Some(id)) = (self.flavor().boot_log_file(&n.version), &n.container_id)
            else {
                continue;
            };
            match self.read_file_bytes(id, &path).await {
                Ok(bytes) => {
                    if let Some(why) = self.flavor().predict_log_cut(&bytes) {
                        out.push(format!("{}: {why}", n.name()));
                    }
                }
                Err(e) => {
                    warn!(node = %n.name(), error = %e, "log not read; its next load not predicted")
                }
            }
        }
        out
    }

    /// The peer ids of every node: the membership a whole cluster has.
    pub fn all_peers(&self) -> Vec<String> {
        (1..=self.nodes().len()).map(|i| self.peer_of(i)).collect()
    }

    /// Wait until every node would boot with the whole membership, so a restart cannot take
    /// a member away. Returns at once where the flavor keeps membership in its log.
    ///
    /// ```no_run
    /// # async fn f(c: &mut nacos_chaos::cluster::Cluster) -> nacos_chaos::Result<()> {
    /// c.wait_for_durable_membership(std::time::Duration::from_secs(15)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_durable_membership(&mut self, timeout: Duration) -> Result<()> {
        let expected = self.all_peers();
        let mut poll = Poll::new(
            "every node to persist the whole membership it would boot with",
            timeout,
        );
        loop {
            let why = match self.boot_memberships().await {
                Ok(None) => return Ok(()),
                Ok(Some(boots)) => {
                    let drift = boot_drift(&boots, &expected);
                    if drift.is_empty() {
                        return Ok(());
                    }
                    drift.join("; ")
                }
                Err(e) => format!("boot membership unreadable: {e}"),
            };
            if let Err(e) = poll.next(why).await {
                warn!(error = %e, "the membership nodes would boot with is not the live one");
                return Err(e);
            }
        }
    }
}

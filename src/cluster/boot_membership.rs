//! The membership each node would boot with after a restart, read from its data dir while
//! it runs, compared with the membership the cluster should have.
//!
//! r-nacos keeps the two apart: it boots with the membership in its `index` file, which only
//! its own join path writes, so a membership made live any other way (the
//! `change-membership` API) is forgotten by the next restart. A cluster left like that looks
//! whole until it restarts — the latent fault bring-up must never hand to an experiment.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::warn;

use super::Cluster;
use crate::error::Result;
use crate::poll::Poll;

/// The membership one node would boot with.
///
/// ```
/// use nacos_chaos::cluster::BootMembership;
/// let b = BootMembership { node: "n1".into(), members: Some(vec!["1".into()]) };
/// assert_eq!(b.members.as_deref().map(<[String]>::len), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootMembership {
    /// Node name (`n1`..).
    pub node: String,
    /// Peer ids (as in `GroupView::members`); `None` for a node never initialised.
    pub members: Option<Vec<String>>,
}

/// The nodes whose boot membership is not `expected` (peer ids, any order), one readable
/// line each; empty when a restart of every node keeps `expected`.
///
/// ```
/// use nacos_chaos::cluster::{BootMembership, boot_drift};
/// let ids = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
/// let boots = vec![
///     BootMembership { node: "n1".into(), members: ids(&["1", "2", "3"]) },
///     BootMembership { node: "n2".into(), members: ids(&["1", "2"]) },
/// ];
/// let expected: Vec<String> = vec!["1".into(), "2".into(), "3".into()];
/// assert_eq!(boot_drift(&boots, &expected), vec!["n2 would boot with [1, 2] (lacks 3)"]);
/// assert!(boot_drift(&boots[..1], &expected).is_empty());
/// ```
pub fn boot_drift(boots: &[BootMembership], expected: &[String]) -> Vec<String> {
    let want: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    boots
        .iter()
        .filter_map(|b| {
            let Some(members) = &b.members else {
                return Some(format!("{} would boot uninitialised", b.node));
            };
            let have: BTreeSet<&str> = members.iter().map(String::as_str).collect();
            if have == want {
                return None;
            }
            let mut why = vec![];
            let lacks: Vec<&str> = want.difference(&have).copied().collect();
            if !lacks.is_empty() {
                why.push(format!("lacks {}", lacks.join(", ")));
            }
            let extra: Vec<&str> = have.difference(&want).copied().collect();
            if !extra.is_empty() {
                why.push(format!("has extra {}", extra.join(", ")));
            }
            Some(format!(
                "{} would boot with [{}] ({})",
                b.node,
                members.join(", "),
                why.join("; ")
            ))
        })
        .collect()
}

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

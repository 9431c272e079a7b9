//! Static knowledge: raft groups per version, log files, failure signatures.

use super::LOG_DIR;
use super::version::lenient_is_v3;
use crate::flavor::{LogSource, Signature};

/// What [`crate::flavor::Capabilities::clock_skew`] says for the official server.
pub(super) const CLOCK_SKEW_NOTE: &str = "possible only with libfaketime in the image: the JVM is \
     dynamically linked so LD_PRELOAD works, but the official alpine images do not ship \
     libfaketime (use a derived image that adds it)";

/// Log files under `/home/nacos/logs` worth collecting (contract §4).
const LOG_FILES: &[&str] = &[
    "alipay-jraft.log",
    "protocol-raft.log",
    "naming-raft.log",
    "nacos.log",
    "nacos-cluster.log",
];

pub(super) fn groups(version: &str) -> Vec<String> {
    let mut g = vec![
        "naming_persistent_service",
        "naming_persistent_service_v2",
        "naming_service_metadata",
        "naming_instance_metadata",
        // Present because the flavor always renders embedded storage in cluster mode.
        "nacos_config",
    ];
    if lenient_is_v3(version) {
        g.push("lock_acquire_service_v2");
    }
    g.into_iter().map(String::from).collect()
}

pub(super) fn logs() -> Vec<LogSource> {
    std::iter::once(LogSource::Console)
        .chain(
            LOG_FILES
                .iter()
                .map(|f| LogSource::File(format!("{LOG_DIR}/{f}"))),
        )
        .collect()
}

pub(super) fn signatures() -> Vec<Signature> {
    let s = |id, text, meaning| Signature { id, text, meaning };
    vec![
        s(
            "no-leader-group",
            "did not find the Leader node",
            "a raft-backed write or read (persistent instance, metadata, embedded config) found \
             no leader for its group: the group has lost quorum or is still electing",
        ),
        s(
            "no-leader-raft-group",
            "No leader for raft group",
            "2.4.1: naming is DOWN because group naming_persistent_service has no leader; \
             see alipay-jraft.log / naming-raft.log",
        ),
        s(
            "no-leader-raft",
            "No leader for raft, please see logs",
            "2.4.2+/3.x: naming is DOWN because raft has no leader (strict mode)",
        ),
        s(
            "could-not-find-leader",
            "Could not find leader!",
            "2.4.0.1: naming is DOWN because naming_persistent_service has no leader",
        ),
        s(
            "server-down",
            "server is DOWNnow",
            "naming HTTP API (/v1/ns/*) answers 503 because the node's naming status is DOWN; \
             clients cannot register or list through this node",
        ),
        s(
            "prevote-not-in-conf",
            "can't do preVote as it is not in conf",
            "this node's own raft peer id is not in the membership persisted in its raft log or \
             snapshot (its address changed): it will never campaign until peers are reset",
        ),
        s(
            "ignore-prevote",
            "ignore PreVoteRequest from",
            "a peer rejected a vote request from a node that is not in its persisted raft \
             configuration (stale membership after an address change)",
        ),
        s(
            "channel-init-failed",
            "channel init failed",
            "JRaft cannot connect to a peer address (peer down, partitioned, or an old address \
             still in the persisted configuration)",
        ),
        s(
            "peer-id-not-found",
            "Peer id not found",
            "the leader replicates to a node that does not host this group/peer id (membership \
             mismatch between nodes)",
        ),
        s(
            "not-in-readiness",
            "not in readiness",
            "readiness probe failed: the named module (naming/config) is not ready on this node",
        ),
        s(
            "node-initializing",
            "In the node initialization, unable to process any requests at this time",
            "embedded-storage config API answers 503: this node is not yet a member of raft \
             group nacos_config",
        ),
        s(
            "self-not-in-serverlist",
            "not in serverlist",
            "the node's own address matches no cluster.conf entry, so it added itself as an \
             extra member (stale or mistyped membership)",
        ),
        s(
            "quorum-lost",
            "steps down when alive nodes don't satisfy quorum",
            "a leader stepped down because a majority of its configuration is unreachable",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_ids_are_unique() {
        let sigs = signatures();
        let mut ids: Vec<_> = sigs.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), sigs.len());
    }

    #[test]
    fn lock_group_only_on_v3() {
        assert!(groups("3.0.3").contains(&"lock_acquire_service_v2".to_string()));
        assert!(!groups("2.4.1").contains(&"lock_acquire_service_v2".to_string()));
    }
}

//! Static knowledge: raft groups per version, log files, failure signatures.

use super::LOG_DIR;
use super::version::{NacosVersion, lenient_is_v3};
use crate::flavor::{LogSource, Signature, SignatureSource};

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

/// Raft (JRaft) groups a node of `version` runs, in cluster or standalone mode. Each group
/// is a `RequestProcessor4CP` registered with the CP protocol (`ProtocolManager.getCpProtocol`
/// starts JRaft lazily, on first use):
///
/// - `naming_persistent_service`: `PersistentServiceProcessor` in cluster mode only
///   (`naming/.../consistency/persistent/PersistentConsistencyServiceDelegateImpl` @1.4.1,
///   2.0.4, 2.1.2 picks `StandalonePersistentServiceProcessor`, which registers nothing, when
///   standalone); from 2.4.1 `SwitchManager` owns the group in both modes.
/// - `naming_persistent_service_v2`, `naming_service_metadata`, `naming_instance_metadata`:
///   2.0.0+, registered in the constructors of `PersistentClientOperationServiceImpl`,
///   `ServiceMetadataProcessor` and `InstanceMetadataProcessor` whatever the mode (@2.0.4,
///   2.1.2, 2.4.1); tag 1.4.1 has none of them.
/// - `nacos_config`: embedded storage in cluster mode only (`ConditionDistributedEmbedStorage`
///   = embedded && !standalone, `config/.../configuration` @1.4.1, 2.0.4); a standalone node
///   keeps config in local Derby.
/// - `lock_acquire_service_v2`: 3.0.0+ (`LockOperationServiceImpl` @3.0.3, either mode).
///
/// In standalone mode every group has one member, the node itself (`StandaloneMemberLookup`).
pub(super) fn groups(version: &str, standalone: bool) -> Vec<String> {
    let v = NacosVersion::parse(version).ok();
    let v2 = v.map_or_else(
        || !version.trim().trim_start_matches('v').starts_with('1'),
        |v| v.major >= 2,
    );
    let switch_group = v.is_none_or(|v| v.standalone_switch_group());
    let mut g = Vec::new();
    if !standalone || (switch_group && v2) {
        g.push("naming_persistent_service");
    }
    if v2 {
        g.extend([
            "naming_persistent_service_v2",
            "naming_service_metadata",
            "naming_instance_metadata",
        ]);
    }
    if !standalone {
        // Present because the flavor always renders embedded storage in cluster mode.
        g.push("nacos_config");
    }
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

/// Offset of the official image's log timestamps from UTC, in minutes. The logback pattern is
/// `%date %level %msg` (`distribution/conf/nacos-logback.xml` @2.4.1, 3.0.3: no zone in the
/// line), and the image links `/etc/localtime` to its build-time `TIME_ZONE=Asia/Shanghai`
/// (`build/Dockerfile` @nacos-docker v2.2.0, v2.4.1, v3.0.3), a fixed +08:00 (no DST).
pub(super) const LOG_UTC_OFFSET_MINUTES: i32 = 8 * 60;

/// The official catalogue. Every text was read at the tags named in its comment
/// (alibaba/nacos 2.2.0, 2.4.0.1, 2.4.1, 2.4.2, 3.0.3; sofa-jraft v1.3.14, the JRaft of every
/// Nacos tag from 2.3.2 through 3.0.3). "Transient" entries also fire in healthy runs
/// (a restarted node, an election, a healed partition): the signatures check counts them only
/// outside fault windows plus the settle margin. `tests/fixtures/official/routine_*.log` holds
/// the routine lines each of them was checked against.
// Over 80 lines on purpose: a data table, one entry per known failure text with its source
// citation; split, the catalogue would be read in pieces.
pub(super) fn signatures() -> Vec<Signature> {
    use SignatureSource::{Api, Log};
    let s = Signature::text;
    let re = Signature::regex;
    vec![
        // --- no leader ---------------------------------------------------------------------
        // core/.../raft/exception/NoLeaderException @2.4.1: thrown by JRaftServer.invokeToLeader
        // only when the RouteTable has no leader at all. JRaft's RouteTable.refreshLeader
        // (v1.3.14) never clears a leader it has seen, so in practice this is a node that has
        // not seen a leader since it started: every restarted node, until its first refresh.
        s(
            "no-leader-group",
            "did not find the Leader node",
            "a raft-backed write or read (persistent instance, metadata, embedded config) found \
             no leader for its group on this node since it started: still electing, or the \
             group can never elect (stale membership)",
        )
        .transient(),
        // naming/.../cluster/ServerStatusManager @2.4.1: DOWN while RouteTable.selectLeader is
        // null — sticky once a leader was seen, so boot-time in practice.
        s(
            "no-leader-raft-group",
            "No leader for raft group",
            "2.4.1: naming is DOWN because this node has not yet seen a leader of \
             naming_persistent_service (boot-time in practice: the route table never forgets a \
             leader, so a later quorum loss does not show here); see alipay-jraft.log",
        )
        .transient(),
        // ServerStatusManager @2.4.2 / 3.0.3: JRaftServer.isReady is `isStarted`, or a leader
        // in every group under strictMode — the same sticky route table.
        s(
            "no-leader-raft",
            "No leader for raft, please see logs",
            "2.4.2+/3.x: naming is DOWN because raft is not ready (not started, or under \
             strictMode some group has had no leader since start — boot-time in practice)",
        )
        .transient(),
        // ServerStatusManager @2.4.2: the distro snapshot is loaded from peers at start.
        s(
            "distro-load-failed",
            "Distro snapshot load failed",
            "2.4.2+/3.x: naming is DOWN because this node could not yet load the ephemeral \
             registry from its peers (start-up; retried until it succeeds)",
        )
        .transient(),
        // naming/.../PersistentServiceProcessor @2.2.0–2.4.0.1 (getErrorMsg).
        s(
            "could-not-find-leader",
            "Could not find leader!",
            "≤2.4.0.1: naming is DOWN because naming_persistent_service has not had a leader \
             since start",
        )
        .transient(),
        // core/.../raft/processor/AbstractProcessor @2.2.0, 2.4.1, 3.0.3: a request forwarded
        // to a node that is no longer leader (the sender's route table still names it).
        s(
            "not-leader-forwarded",
            "Could not find leader : ",
            "a write was forwarded to a node that is no longer the group's leader: the \
             leader changed and the forwarding node's route table is behind",
        )
        .transient(),
        // naming/.../web/TrafficReviseFilter @2.4.1: any non-UP status answers 503.
        s(
            "server-down",
            "server is DOWNnow",
            "naming HTTP API (/v1/ns/*) answers 503 because the node's naming status is DOWN; \
             clients cannot register or list through this node",
        )
        .transient(),
        // core/.../remote/grpc/GrpcRequestAcceptor @2.4.1.
        s(
            "grpc-server-starting",
            "Server is starting,please try later.",
            "a gRPC client reached a node that has not finished starting",
        )
        .only(Api)
        .transient(),
        // core/.../cluster/health/ModuleHealthCheckerHolder @2.4.1.
        s(
            "not-in-readiness",
            "not in readiness",
            "readiness probe failed: the named module (naming/config) is not ready on this node \
             (start-up; readiness never says whether a leader exists now)",
        )
        .transient(),
        // config/.../filter/CircuitFilter @2.4.1: until self is in nacos_config's members.
        s(
            "node-initializing",
            "In the node initialization, unable to process any requests at this time",
            "embedded-storage config API answers 503: this node is not yet a member of raft \
             group nacos_config",
        )
        .transient(),
        // --- membership --------------------------------------------------------------------
        // jraft NodeImpl.preVote @v1.3.14.
        s(
            "prevote-not-in-conf",
            "can't do preVote as it is not in conf",
            "this node's own raft peer id is not in the membership persisted in its raft log or \
             snapshot (its address changed): it will never campaign until peers are reset",
        )
        .only(Log),
        // jraft NodeImpl.handlePreVoteRequest @v1.3.14 logs three variants; only this one (the
        // candidate is not in the receiver's conf) signals stale membership. The other two —
        // "..., because the leader ...'s lease is still valid." and "..., term=.., currTerm=.."
        // — are routine after any restart (`routine_restart_alipay-jraft.log`).
        re(
            "ignore-prevote-not-in-conf",
            r"ignore PreVoteRequest from \S+ as it is not in conf",
            "a peer rejected a vote request from a node that is not in its persisted raft \
             configuration (stale membership after an address change)",
        )
        .only(Log),
        // core/.../cluster/ServerMemberManager.init @2.4.1.
        s(
            "self-not-in-serverlist",
            "not in serverlist",
            "the node's own address matches no cluster.conf entry, so it added itself as an \
             extra member (stale or mistyped membership)",
        )
        .only(Log),
        // AbstractProcessor @2.4.1 and JRaftServer.get @2.4.1: this node has no such group —
        // e.g. a 3.x group (lock_acquire_service_v2) reaching a 2.x node mid-upgrade.
        re(
            "no-such-raft-group",
            r"Could not find the corresponding Raft Group : |No corresponding Raft Group found : ",
            "a raft request named a group this node does not run (mixed versions with different \
             groups, or a group that failed to start)",
        ),
        // --- peers and elections (routine around restarts) --------------------------------
        // jraft NodeImpl.preVote / electSelf @v1.3.14.
        s(
            "channel-init-failed",
            "channel init failed",
            "JRaft cannot connect to a peer address (peer down or restarting, partitioned, or an \
             old address still in the persisted configuration)",
        )
        .only(Log)
        .transient(),
        // jraft NodeRequestProcessor @v1.3.14 (ENOENT), in the leader's Replicator log line.
        s(
            "peer-id-not-found",
            "Peer id not found",
            "the leader replicates to a node that does not (yet) host this group/peer id: a \
             restarting node, or a membership mismatch between nodes",
        )
        .transient(),
        // jraft NodeImpl.checkDeadNodes @v1.3.14.
        s(
            "quorum-lost",
            "steps down when alive nodes don't satisfy quorum",
            "a leader stepped down because a majority of its configuration is unreachable",
        )
        .only(Log)
        .transient(),
        // core/.../raft/JRaftServer.refreshRouteTable @2.4.1: no peer answered GetLeader with a
        // leader (EAGAIN "Unknown leader" while electing).
        s(
            "refresh-leader-failed",
            "Fail to refresh leader for group",
            "this node asked every peer of a group for its leader and none knew one (an \
             election in progress, or no quorum)",
        )
        .only(Log)
        .transient(),
        // --- linearizable reads -------------------------------------------------------------
        // JRaftServer.get @2.4.1 ("ReadIndex has error : ..., go to Leader read."), jraft
        // ReadOnlyServiceImpl and NodeImpl.readIndex @v1.3.14 (the statuses it carries).
        re(
            "read-index-failed",
            r"ReadIndex has error|Fail to run ReadIndex task|Invalid state for readIndex|ReadIndex request rejected because leader has not committed",
            "a linearizable read (ReadIndex) failed and fell back to reading from the leader: \
             routine while a leader changes, a problem if it persists",
        )
        .transient(),
        // jraft ReadOnlyServiceImpl.addRequest @v1.3.14.
        s(
            "read-index-overload",
            "readIndexQueue is overload",
            "the node rejects linearizable reads: its ReadIndex queue is full (overload)",
        )
        .only(Log),
        // --- raft log storage (RocksDB) -----------------------------------------------------
        // jraft RocksDBLogStorage.init / LogManagerImpl.init @v1.3.14.
        re(
            "raft-log-init-failed",
            r"Fail to init RocksDBLogStorage|Fail to init logStorage|Fail to init log manager",
            "the raft log (RocksDB under data/protocol/raft/<group>/log) could not be opened: \
             the group cannot start on this node",
        )
        .only(Log),
        // jraft RocksDBLogStorage @v1.3.14 (getEntry, appendEntry/appendEntries batch,
        // truncatePrefix/Suffix, saveFirstLogIndex).
        re(
            "raft-log-io-failed",
            r"Fail to get log entry at index|Bad log entry format for index|Fail to append entry|Execute batch failed with|Fail to truncate(Prefix|Suffix)|Fail to save first log index",
            "a read or write of the raft log (RocksDB) failed: disk, permissions or a corrupted \
             store",
        )
        .only(Log),
        // jraft LogManagerImpl @v1.3.14 (EIO "Corrupted LogStorage", appendEntries).
        re(
            "raft-log-corrupted",
            r"Corrupted LogStorage|\*\*Critical error\*\*, fail to appendEntries",
            "the raft log manager found its storage corrupted or failed to persist entries: the \
             node stops serving the group",
        ),
        // config/.../filter/CircuitFilter @2.4.1: after a raft DB error (RaftDbErrorEvent).
        s(
            "system-degraded",
            "System triggered degradation",
            "embedded-storage config API answers 503 for good: this node hit an unrecoverable \
             raft database error and refuses writes",
        ),
        // --- start-up -----------------------------------------------------------------------
        // core/.../listener/StartingApplicationListener.failed @2.4.1.
        re(
            "nacos-failed-to-start",
            r"Nacos failed to start, please see|Startup errors : ",
            "the server did not start (the line before it names the cause)",
        )
        .only(Log),
        // sys/.../utils/InetUtils.getNacosIp @2.2.0, 2.4.1, 3.0.3: -Dnacos.server.ip must be an
        // IP or a dotted domain; anything else stops the server in InetUtils' initialiser.
        re(
            "server-ip-rejected",
            r"nacos address \S* is not ip",
            "NACOS_SERVER_IP (-Dnacos.server.ip) is neither an IP nor a domain with a dot: the \
             server cannot start",
        )
        .only(Log),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_ids_are_unique() {
        let sigs = signatures();
        let mut ids: Vec<_> = sigs.iter().map(|s| s.id.as_ref()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), sigs.len());
        for s in &sigs {
            assert!(s.matcher().is_ok(), "{}", s.id);
        }
    }

    #[test]
    fn lock_group_only_on_v3() {
        assert!(groups("3.0.3", false).contains(&"lock_acquire_service_v2".to_string()));
        assert!(!groups("2.4.1", false).contains(&"lock_acquire_service_v2".to_string()));
    }

    #[test]
    fn groups_per_version_and_mode() {
        assert_eq!(
            groups("1.4.1", false),
            ["naming_persistent_service", "nacos_config"]
        );
        assert!(groups("1.4.1", true).is_empty());
        let standalone_20 = [
            "naming_persistent_service_v2",
            "naming_service_metadata",
            "naming_instance_metadata",
        ];
        assert_eq!(groups("2.0.4", true), standalone_20);
        assert_eq!(groups("2.4.0.1", true), standalone_20);
        assert_eq!(groups("2.4.1", true)[0], "naming_persistent_service");
        assert_eq!(groups("2.4.1", true).len(), 4);
        assert_eq!(groups("2.1.2", false).len(), 5);
    }
}

//! Rendering one official Nacos node: the docker-startup.sh env contract (2.2 – 3.x),
//! cluster.conf, ports and memory.

use std::collections::BTreeSet;

use super::version::NacosVersion;
use super::{
    CLUSTER_CONF_PATH, CONSOLE_PORT_V3, DATA_PATH, GRPC_CLIENT_PORT, GRPC_CLUSTER_PORT, HTTP_PORT,
    Official, RAFT_PORT,
};
use crate::error::{Error, Result};
use crate::flavor::{
    ClusterMode, ContainerSpec, IdentityMode, Membership, NodeIdentity, RenderCtx,
};

/// Heap sizing for 2-core test machines (the image default is 1g/1g/512m).
const JVM_XMS: &str = "512m";
const JVM_XMX: &str = "512m";
const JVM_XMN: &str = "256m";
/// Container memory limit: 512 MiB heap + up to 320 MiB metaspace (image default `JVM_MMS`)
/// + thread stacks, direct buffers and RocksDB native memory ≈ 1.5 GiB.
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::MEMORY_BYTES, 1536 * 1024 * 1024);
/// ```
pub const MEMORY_BYTES: i64 = 1536 * 1024 * 1024;

/// Base64 of the 45-byte ASCII secret `nacos-chaos-official-flavor-jwt-secret-key-36`
/// (≥ 32 bytes and a length divisible by 4, so `NacosJwtParser` does not warn). Test clusters
/// only; 3.x refuses to start without it even with auth disabled.
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::AUTH_TOKEN.len() % 4, 0);
/// ```
pub const AUTH_TOKEN: &str = "bmFjb3MtY2hhb3Mtb2ZmaWNpYWwtZmxhdm9yLWp3dC1zZWNyZXQta2V5LTM2";
/// Server identity header name (3.x requires one to be set).
///
/// ```
/// assert!(!nacos_chaos::flavor::official::AUTH_IDENTITY_KEY.is_empty());
/// ```
pub const AUTH_IDENTITY_KEY: &str = "nacos-chaos-identity";
/// Server identity header value (3.x requires one to be set).
///
/// ```
/// assert!(!nacos_chaos::flavor::official::AUTH_IDENTITY_VALUE.is_empty());
/// ```
pub const AUTH_IDENTITY_VALUE: &str = "nacos-chaos-peer";

/// Keys accepted under `nacos.core.protocol.raft.data.` (contract §6, `RaftSysConstants`; the
/// same key set in `core/.../distributed/raft/RaftSysConstants.java` @1.4.1, 2.0.4, 2.4.1, and
/// the same `max(value, 5000)` election-timeout clamp in `JRaftServer.init` @1.4.1).
/// `request_failoverRetries` is deliberately absent: the server defines it but never reads it.
///
/// ```
/// assert!(nacos_chaos::flavor::official::RAFT_DATA_KEYS.contains(&"election_timeout_ms"));
/// ```
pub const RAFT_DATA_KEYS: &[&str] = &[
    "election_timeout_ms",
    "snapshot_interval_secs",
    "rpc_request_timeout_ms",
    "read_index_type",
    "core_thread_num",
    "cli_service_thread_num",
    "max_byte_count_per_rpc",
    "max_entries_size",
    "max_body_size",
    "max_append_buffer_size",
    "max_election_delay_ms",
    "election_heartbeat_factor",
    "apply_batch",
    "sync",
    "sync_meta",
    "disruptor_buffer_size",
    "replicator_pipeline",
    "max_replicator_inflight_msgs",
    "enable_log_entry_checksum",
];

/// Tuning key for `nacos.core.protocol.raft.strictMode` (2.4.2+ only; not under `data.`).
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::STRICT_MODE_KEY, "strictMode");
/// ```
pub const STRICT_MODE_KEY: &str = "strictMode";

/// cluster.conf content for a membership: one `addr:8848` line per member, in order, where
/// `addr` is the IP in [`IdentityMode::Ip`] and the hostname in [`IdentityMode::Hostname`].
/// The image's startup script rewrites the file from `NACOS_SERVERS` on every start; the
/// rendered file is kept identical so either source gives the same membership.
///
/// ```
/// use nacos_chaos::flavor::{IdentityMode, Membership, NodeIdentity};
/// use nacos_chaos::flavor::official::cluster_conf;
/// let m = Membership {
///     mode: IdentityMode::Hostname,
///     members: vec![NodeIdentity { index: 1, hostname: "n1".into(), ip: [10, 0, 0, 2].into() }],
///     naming: Default::default(),
/// };
/// assert_eq!(cluster_conf(&m), "n1:8848\n");
/// ```
pub fn cluster_conf(membership: &Membership) -> String {
    member_entries(membership)
        .map(|e| format!("{e}\n"))
        .collect()
}

/// Each member as its peers list it ([`Membership::listed_name`]).
fn member_entries(m: &Membership) -> impl Iterator<Item = String> + '_ {
    m.members
        .iter()
        .map(move |n| format!("{}:{HTTP_PORT}", m.listed_name(n)))
}

/// Would the server accept `value` as its self address `-Dnacos.server.ip`
/// (`NACOS_SERVER_IP`)? `InetUtils.getNacosIp` (`sys/.../utils/InetUtils.java` @2.2.0, 2.4.1,
/// 3.0.3; run from InetUtils' static initialiser, so a refusal stops the server with
/// "nacos address <value> is not ip") accepts an IPv4 or IPv6 address, `localhost`, or a
/// domain matching `InternetAddressUtil.DOMAIN_PATTERN` (`common/.../InternetAddressUtil.java`
/// @2.4.1): labels of 1–63 ASCII letters, digits and `-` (not first), at least two labels,
/// one optional trailing dot. A bare name such as `n1` has no dot and is refused.
///
/// ```
/// use nacos_chaos::flavor::official::server_ip_accepted;
/// assert!(server_ip_accepted("172.28.0.11") && server_ip_accepted("n1.nacos-chaos"));
/// assert!(!server_ip_accepted("n1") && !server_ip_accepted("n_1.x"));
/// ```
pub fn server_ip_accepted(value: &str) -> bool {
    if value.parse::<std::net::Ipv4Addr>().is_ok() || value == "localhost" {
        return true;
    }
    let bare = value.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::Ipv6Addr>().is_ok() {
        return true;
    }
    let body = value.strip_suffix('.').unwrap_or(value);
    let labels: Vec<&str> = body.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            let b = l.as_bytes();
            (1..=63).contains(&b.len())
                && b[0].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

/// The `NACOS_SERVER_IP` a node is rendered with, or `None` to leave it unset.
///
/// Set exactly when the server would accept it ([`server_ip_accepted`]): always in IP mode.
/// In hostname mode a bare name (`n1`) is left unset, as nacos-docker's own hostname example
/// does (`example/cluster-hostname.yaml` + `env/nacos-hostname.env` @v2.4.1: `hostname:
/// nacosN`, `PREFER_HOST_MODE=hostname`, no `NACOS_SERVER_IP`). The image then passes
/// `-Dnacos.preferHostnameOverIp=true` (`build/bin/docker-startup.sh`, every nacos-docker tag
/// v2.2.0–v3.2.3), and `InetUtils.getPreferHostnameOverIP` (@2.2.0, 2.4.1, 3.0.3) takes the
/// container's host name from `InetAddress.getLocalHost()` — which the cluster sets to the
/// node's hostname (`Cluster::start_node_with`, `src/cluster/bringup.rs`; the repro compose
/// file sets `hostname:` too), so self matches its `n1:8848` cluster.conf entry. A dotted
/// hostname is passed explicitly.
///
/// ```
/// use nacos_chaos::flavor::{IdentityMode, NodeIdentity};
/// use nacos_chaos::flavor::official::server_ip;
/// let n = NodeIdentity { index: 1, hostname: "n1".into(), ip: [172, 28, 0, 11].into() };
/// assert_eq!(server_ip(&n, IdentityMode::Ip).as_deref(), Some("172.28.0.11"));
/// assert_eq!(server_ip(&n, IdentityMode::Hostname), None);
/// ```
pub fn server_ip(node: &NodeIdentity, mode: IdentityMode) -> Option<String> {
    let addr = node.address(mode);
    server_ip_accepted(&addr).then_some(addr)
}

fn check_address(node: &NodeIdentity, addr: &str, mode: IdentityMode) -> Result<()> {
    let ok = !addr.is_empty()
        && addr
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !ok {
        return Err(Error::Config(format!(
            "node {} has address '{addr}' in {mode:?} mode: Nacos needs a non-empty host name or \
             IP without spaces or ':' (it is written into NACOS_SERVERS and cluster.conf)",
            node.index
        )));
    }
    Ok(())
}

fn validate_membership(m: &Membership) -> Result<()> {
    if m.members.is_empty() {
        return Err(Error::Config(
            "official Nacos membership is empty: cluster mode needs at least one member in \
             NACOS_SERVERS / cluster.conf"
                .into(),
        ));
    }
    let mut seen = BTreeSet::new();
    for n in &m.members {
        let addr = m.listed_name(n);
        check_address(n, &addr, m.mode)?;
        if !seen.insert(addr.clone()) {
            return Err(Error::Config(format!(
                "membership lists address '{addr}' twice: every cluster.conf entry must be unique"
            )));
        }
    }
    Ok(())
}

fn check_value(key: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "tuning {key}='{value}': value must be a non-empty word of letters, digits, '-', '.' \
             or '_' (it is passed on the JAVA_OPT_EXT command line)"
        )))
    }
}

/// Spring command-line args for the tuning pairs, each `--nacos.core.protocol.raft.data.<k>=<v>`
/// (or `--nacos.core.protocol.raft.strictMode=<v>`), in the given order.
///
/// ```
/// use nacos_chaos::flavor::official::{NacosVersion, raft_tuning_args};
/// let t = vec![("election_timeout_ms".to_string(), "6000".to_string())];
/// let args = raft_tuning_args(NacosVersion::new(2, 4, 1), &t).unwrap();
/// assert_eq!(args, vec!["--nacos.core.protocol.raft.data.election_timeout_ms=6000"]);
/// ```
pub fn raft_tuning_args(version: NacosVersion, tuning: &[(String, String)]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(tuning.len());
    for (key, value) in tuning {
        check_value(key, value)?;
        if key == STRICT_MODE_KEY {
            if !version.has_raft_strict_mode() {
                return Err(Error::Config(format!(
                    "tuning {STRICT_MODE_KEY} needs Nacos 2.4.2 or later; {version} ignores it"
                )));
            }
            out.push(format!("--nacos.core.protocol.raft.strictMode={value}"));
            continue;
        }
        if !RAFT_DATA_KEYS.contains(&key.as_str()) {
            return Err(Error::Config(format!(
                "unknown official Nacos raft tuning key '{key}': expected {STRICT_MODE_KEY} or \
                 one of {}",
                RAFT_DATA_KEYS.join(", ")
            )));
        }
        // The server clamps election_timeout_ms to max(value, 5000) in JRaftServer.init, so
        // smaller values are rendered as asked but have no effect (the effective value shows
        // in protocol-raft.log "Initializes the Raft protocol, raft-config info").
        if key == "election_timeout_ms" && value.parse::<u64>().is_ok_and(|ms| ms < 5000) {
            tracing::warn!(
                value = %value,
                "official Nacos clamps election_timeout_ms to at least 5000 ms"
            );
        }
        out.push(format!("--nacos.core.protocol.raft.data.{key}={value}"));
    }
    Ok(out)
}

/// Container ports a node of `version` listens on: HTTP and Raft always; client and cluster
/// gRPC from 2.0.0 ([`NacosVersion::has_grpc`]); the 3.x console.
///
/// ```
/// use nacos_chaos::flavor::official::{NacosVersion, ports};
/// assert_eq!(ports(NacosVersion::new(1, 4, 1)), [8848, 7848]);
/// assert_eq!(ports(NacosVersion::new(2, 0, 4)), [8848, 9848, 9849, 7848]);
/// ```
pub fn ports(version: NacosVersion) -> Vec<u16> {
    let mut ports = vec![HTTP_PORT];
    if version.has_grpc() {
        ports.extend([GRPC_CLIENT_PORT, GRPC_CLUSTER_PORT]);
    }
    ports.push(RAFT_PORT);
    if version.is_v3() {
        ports.push(CONSOLE_PORT_V3);
    }
    ports
}

/// Render one node: env contract, ports, data path, cluster.conf and memory limit.
///
/// Standalone (`MODE=standalone`): the image's startup script then adds
/// `-Dnacos.standalone=true` and neither reads `EMBEDDED_STORAGE` nor writes cluster.conf
/// (`build/bin/docker-startup.sh` @nacos-docker 678b2a9 (1.4.1), v2.0.4, v2.1.2, v2.4.1: the
/// `standalone` branch skips `print_servers`), and the server keeps config in its local Derby
/// (empty `SPRING_DATASOURCE_PLATFORM`; `ConditionDistributedEmbedStorage` @2.0.4 is false when
/// standalone). So a standalone node gets no `NACOS_SERVERS`, no `EMBEDDED_STORAGE` and no
/// cluster.conf. 1.4.x standalone runs no raft group at all (see `catalog::groups`), so
/// there would be nothing for the leader and convergence checks to judge: it is refused.
pub(super) fn render(flavor: &Official, ctx: &RenderCtx<'_>) -> Result<ContainerSpec> {
    let version = NacosVersion::supported(ctx.version)?;
    let membership = ctx.membership;
    let standalone = flavor.mode == ClusterMode::Standalone;
    if standalone && !version.has_grpc() {
        return Err(Error::Config(format!(
            "standalone Nacos {version} runs no raft group (1.x standalone keeps naming and \
             config outside JRaft), so there is nothing to judge: use 2.0.0 or later"
        )));
    }
    if standalone && membership.members.len() != 1 {
        return Err(Error::Config(format!(
            "standalone mode runs one node; the membership has {}",
            membership.members.len()
        )));
    }
    validate_membership(membership)?;
    let mode = membership.mode;
    // The node may be absent from the membership: that is the deliberate stale-membership
    // scenario (it then logs "[serverlist] self ip ... not in serverlist"). Its own address is
    // always its real, current one. `ctx.join` is irrelevant: membership comes from cluster.conf.
    let self_name = membership.self_name(ctx.node);
    check_address(ctx.node, &self_name, mode)?;
    let servers: Vec<String> = member_entries(membership).collect();

    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: &str| env.push((k.to_string(), v.to_string()));
    if standalone {
        set("MODE", "standalone");
    } else {
        set("MODE", "cluster");
        set("NACOS_SERVERS", &servers.join(" "));
    }
    // How the node names itself: `NACOS_SERVER_IP` when InetUtils accepts the name (an IP,
    // or a dotted name, trailing dot allowed), else the container's hostname through
    // `PREFER_HOST_MODE=hostname` (see [`server_ip`]).
    if server_ip_accepted(&self_name) {
        set("NACOS_SERVER_IP", &self_name);
    }
    let self_form = membership.naming.self_form(ctx.node.index, mode);
    set(
        "PREFER_HOST_MODE",
        if self_form.is_name() {
            "hostname"
        } else {
            "ip"
        },
    );
    if !standalone {
        // Empty platform + embedded flag = raft-backed config store (group nacos_config).
        set("EMBEDDED_STORAGE", "embedded");
    }
    set("SPRING_DATASOURCE_PLATFORM", "");
    set("JVM_XMS", JVM_XMS);
    set("JVM_XMX", JVM_XMX);
    set("JVM_XMN", JVM_XMN);
    set("NACOS_AUTH_ENABLE", "false");
    if version.is_v3() {
        // docker-startup.sh 3.x exits 255 when any of these three is empty.
        set("NACOS_AUTH_TOKEN", AUTH_TOKEN);
        set("NACOS_AUTH_IDENTITY_KEY", AUTH_IDENTITY_KEY);
        set("NACOS_AUTH_IDENTITY_VALUE", AUTH_IDENTITY_VALUE);
        set("NACOS_AUTH_ADMIN_ENABLE", "false");
        set("NACOS_AUTH_CONSOLE_ENABLE", "false");
    }
    let args = raft_tuning_args(version, ctx.tuning)?;
    if !args.is_empty() {
        set("JAVA_OPT_EXT", &args.join(" "));
    }

    let files = if standalone {
        vec![]
    } else {
        vec![(CLUSTER_CONF_PATH.to_string(), cluster_conf(membership))]
    };
    Ok(ContainerSpec {
        image: flavor.image_for(ctx.version),
        env,
        cmd: None,
        ports: ports(version),
        data_path: DATA_PATH.to_string(),
        files,
        memory_bytes: Some(MEMORY_BYTES),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_base64_of_at_least_32_bytes() {
        assert_eq!(AUTH_TOKEN.len() % 4, 0);
        assert!(
            AUTH_TOKEN
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        );
        let pad = AUTH_TOKEN.bytes().rev().take_while(|&b| b == b'=').count();
        assert!(AUTH_TOKEN.len() / 4 * 3 - pad >= 32);
    }

    #[test]
    fn tuning_rejects_unknown_and_unsafe() {
        let v = NacosVersion::new(2, 4, 1);
        let t = |k: &str, val: &str| vec![(k.to_string(), val.to_string())];
        assert!(raft_tuning_args(v, &t("election_timeout", "6000")).is_err());
        assert!(raft_tuning_args(v, &t("request_failoverRetries", "3")).is_err());
        assert!(raft_tuning_args(v, &t("election_timeout_ms", "6000 --x=1")).is_err());
        assert!(raft_tuning_args(v, &t("election_timeout_ms", "")).is_err());
        assert!(raft_tuning_args(v, &t(STRICT_MODE_KEY, "true")).is_err());
        let ok = raft_tuning_args(NacosVersion::new(2, 4, 2), &t(STRICT_MODE_KEY, "true"));
        assert_eq!(
            ok.unwrap(),
            vec!["--nacos.core.protocol.raft.strictMode=true".to_string()]
        );
    }
}

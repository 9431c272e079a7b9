//! r-nacos (crate `rnacos`): a Nacos-compatible server with its own Raft (openraft).
//!
//! Config and cluster membership live in one Raft group persisted in the data dir; the
//! registry is distro-like (AP). A node's Raft address (`RNACOS_RAFT_NODE_ADDR`) is
//! persisted when it joins, which is why a whole-cluster IP change leaves it leaderless.
//!
//! ```
//! use nacos_chaos::flavor::{Flavor, rnacos::RNacos};
//! assert_eq!(RNacos.image("0.8.8"), "nacos-chaos/rnacos:0.8.8");
//! ```

use serde::Deserialize;

use super::{
    ApiPaths, Capabilities, ContainerSpec, Flavor, FlavorKind, GroupView, HttpAnswer, IdentityMode,
    LogSource, NodeIdentity, RenderCtx, Role, Signature,
};
use crate::error::{Error, Result};

/// HTTP port inside the container.
pub const HTTP_PORT: u16 = 8848;
/// gRPC port (client SDK and Raft traffic).
pub const GRPC_PORT: u16 = 9848;
/// Data directory inside the container.
pub const DATA_PATH: &str = "/data";
/// Name the harness gives r-nacos's single Raft group.
pub const GROUP: &str = "rnacos";

/// The r-nacos flavor.
#[derive(Debug, Default, Clone, Copy)]
pub struct RNacos;

/// `GET /nacos/v1/raft/metrics` (openraft `RaftMetrics`), the fields we use.
#[derive(Debug, Deserialize)]
struct Metrics {
    state: String,
    current_term: u64,
    current_leader: Option<u64>,
    membership_config: MembershipConfig,
}

/// `GET /rnacos/api/console/v2/cluster/cluster_node_list` (0.5.x: metrics is shadowed by the
/// open-API scope and answers 404). No term, and members are the naming cluster's valid
/// nodes — the best such versions expose.
#[derive(Debug, Deserialize)]
struct ConsoleList {
    #[serde(default)]
    data: Option<Vec<ConsoleNode>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsoleNode {
    node_id: u64,
    #[serde(default)]
    current_node: bool,
    #[serde(default)]
    raft_leader: bool,
}

/// Path of the console cluster list (needs `RNACOS_ENABLE_NO_AUTH_CONSOLE=true`).
pub const CONSOLE_NODES: &str = "/rnacos/api/console/v2/cluster/cluster_node_list";

#[derive(Debug, Deserialize)]
struct MembershipConfig {
    members: Vec<u64>,
    #[serde(default)]
    members_after_consensus: Option<Vec<u64>>,
}

/// Does this version serve `/nacos/v1/raft/metrics`? (0.5.x does not.)
///
/// ```
/// use nacos_chaos::flavor::rnacos::serves_metrics;
/// assert!(serves_metrics("0.8.8") && !serves_metrics("0.5.13"));
/// ```
pub fn serves_metrics(version: &str) -> bool {
    at_least_minor(version, 6)
}

/// Is a `0.x` version at least `0.minor` (any 1.x+ is)?
fn at_least_minor(version: &str, minor: u32) -> bool {
    let mut it = version
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, m) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    major > 0 || m >= minor
}

impl RNacos {
    fn parse_console(node: &NodeIdentity, answer: &HttpAnswer) -> Result<GroupView> {
        let err = |detail: String| Error::Protocol {
            node: node.hostname.clone(),
            what: answer.path.clone(),
            detail,
        };
        if answer.status != 200 {
            return Err(err(format!(
                "HTTP {}: {} (the console list needs RNACOS_ENABLE_NO_AUTH_CONSOLE=true)",
                answer.status, answer.body
            )));
        }
        let list: ConsoleList = serde_json::from_str(&answer.body)
            .map_err(|e| err(format!("not a cluster node list ({e}): {}", answer.body)))?;
        let nodes = list.data.unwrap_or_default();
        let leader = nodes.iter().find(|n| n.raft_leader).map(|n| n.node_id);
        let me = nodes.iter().find(|n| n.current_node);
        let role = match (me, leader) {
            (Some(m), Some(l)) if m.node_id == l => Role::Leader,
            (_, Some(_)) => Role::Follower,
            _ => Role::Unknown,
        };
        let mut members: Vec<u64> = nodes.iter().map(|n| n.node_id).collect();
        members.sort_unstable();
        Ok(GroupView {
            group: GROUP.to_string(),
            role,
            term: None,
            leader: leader.map(|l| l.to_string()),
            members: members.iter().map(u64::to_string).collect(),
            learners: vec![],
            discarded_leader: None,
        })
    }

    fn parse_metrics(node: &NodeIdentity, answer: &HttpAnswer) -> Result<GroupView> {
        let err = |detail: String| Error::Protocol {
            node: node.hostname.clone(),
            what: answer.path.clone(),
            detail,
        };
        if answer.status == 404 {
            return Err(err(
                "404: this r-nacos version does not serve /nacos/v1/raft/metrics; use 0.6 or newer"
                    .into(),
            ));
        }
        if answer.status != 200 {
            return Err(err(format!("HTTP {}: {}", answer.status, answer.body)));
        }
        let m: Metrics = serde_json::from_str(&answer.body)
            .map_err(|e| err(format!("not raft metrics JSON ({e}): {}", answer.body)))?;
        let role = match m.state.as_str() {
            "Leader" => Role::Leader,
            "Follower" => Role::Follower,
            "Candidate" => Role::Candidate,
            "NonVoter" | "Learner" => Role::NonVoter,
            other => Role::Other(other.to_string()),
        };
        let mut members = m.membership_config.members.clone();
        if let Some(next) = &m.membership_config.members_after_consensus {
            for id in next {
                if !members.contains(id) {
                    members.push(*id);
                }
            }
        }
        members.sort_unstable();
        // Raft terms start at 1. r-nacos serves its metrics before its Raft state is loaded
        // and then reports term 0: no term claim yet, not a term (a CI run's leader check
        // read it as "term went from 1 to 0" just after a clean restart).
        let term = (m.current_term > 0).then_some(m.current_term);
        Ok(GroupView {
            group: GROUP.to_string(),
            role,
            term,
            leader: m.current_leader.map(|l| l.to_string()),
            members: members.iter().map(u64::to_string).collect(),
            learners: vec![],
            discarded_leader: None,
        })
    }
}

impl Flavor for RNacos {
    fn kind(&self) -> FlavorKind {
        FlavorKind::RNacos
    }

    fn image(&self, version: &str) -> String {
        format!(
            "{}:{}",
            crate::image::RNACOS_REPO,
            version.trim_start_matches('v')
        )
    }

    fn http_port(&self) -> u16 {
        HTTP_PORT
    }

    fn render(&self, ctx: &RenderCtx<'_>) -> Result<ContainerSpec> {
        let m = ctx.membership;
        // The address this node announces (how it names itself): what the membership says
        // for this index, so a deliberately stale membership renders a stale announce address.
        let announce = m.self_name(
            m.members
                .iter()
                .find(|n| n.index == ctx.node.index)
                .unwrap_or(ctx.node),
        );
        let mut env = vec![
            ("RNACOS_HTTP_PORT".into(), HTTP_PORT.to_string()),
            ("RNACOS_GRPC_PORT".into(), GRPC_PORT.to_string()),
            ("RNACOS_DATA_DIR".into(), DATA_PATH.into()),
            ("RNACOS_CONFIG_DB_DIR".into(), DATA_PATH.into()),
            ("RNACOS_RUN_IN_DOCKER".into(), "true".into()),
            ("RNACOS_ENABLE_NO_AUTH_CONSOLE".into(), "true".into()),
            ("RNACOS_RAFT_NODE_ID".into(), ctx.node.index.to_string()),
            (
                "RNACOS_RAFT_NODE_ADDR".into(),
                format!("{announce}:{GRPC_PORT}"),
            ),
            ("RUST_LOG".into(), "info".into()),
        ];
        match ctx.join {
            None => env.push(("RNACOS_RAFT_AUTO_INIT".into(), "true".into())),
            Some(target) => {
                env.push(("RNACOS_RAFT_AUTO_INIT".into(), "false".into()));
                env.push((
                    "RNACOS_RAFT_JOIN_ADDR".into(),
                    // How peers list the node joined: its listed name.
                    format!("{}:{GRPC_PORT}", m.listed_name(target)),
                ));
            }
        }
        for (k, v) in ctx.tuning {
            match k.as_str() {
                "snapshot_log_size" => {
                    env.push(("RNACOS_RAFT_SNAPSHOT_LOG_SIZE".into(), v.clone()))
                }
                other => {
                    return Err(Error::Unsupported {
                        flavor: "rnacos".into(),
                        what: format!("tuning key '{other}'"),
                        why: "r-nacos exposes only snapshot_log_size".into(),
                    });
                }
            }
        }
        Ok(ContainerSpec {
            image: self.image(ctx.version),
            env,
            cmd: None,
            ports: vec![HTTP_PORT, GRPC_PORT],
            data_path: DATA_PATH.into(),
            files: vec![],
            memory_bytes: Some(512 * 1024 * 1024),
        })
    }

    fn raft_paths(&self, version: &str) -> Vec<String> {
        if serves_metrics(version) {
            vec!["/nacos/v1/raft/metrics".into()]
        } else {
            // 0.5.x shadows metrics (404); older ones may serve it. Ask both, use what answers.
            vec!["/nacos/v1/raft/metrics".into(), CONSOLE_NODES.into()]
        }
    }

    fn parse_raft(
        &self,
        _version: &str,
        node: &NodeIdentity,
        answers: &[HttpAnswer],
    ) -> Result<Vec<GroupView>> {
        let answer = answers
            .iter()
            .find(|a| a.status == 200)
            .or(answers.first())
            .ok_or_else(|| Error::Protocol {
                node: node.hostname.clone(),
                what: "raft metrics".into(),
                detail: "no answer".into(),
            })?;
        if answer.path.starts_with(CONSOLE_NODES) {
            return Ok(vec![Self::parse_console(node, answer)?]);
        }
        Ok(vec![Self::parse_metrics(node, answer)?])
    }

    fn peer_id(&self, node: &NodeIdentity, _mode: IdentityMode) -> String {
        node.index.to_string()
    }

    fn groups(&self, _version: &str) -> Vec<String> {
        vec![GROUP.into()]
    }

    fn api(&self, _version: &str) -> ApiPaths {
        ApiPaths {
            instance: "/nacos/v1/ns/instance".into(),
            instance_list: "/nacos/v1/ns/instance/list".into(),
            config: "/nacos/v1/cs/configs".into(),
            readiness: "/health".into(),
        }
    }

    fn raft_dir(&self, _version: &str) -> String {
        DATA_PATH.into()
    }

    fn logs(&self, _version: &str) -> Vec<LogSource> {
        vec![LogSource::Console]
    }

    /// Checked against r-nacos 0.8.8's source (`src/raft/{cache,db,cluster}/route.rs`, the
    /// only places the text is built): it is an error a route returns to the caller, not a
    /// log line, so healthy logs (`tests/fixtures/rnacos/routine_restart.log`) never show it.
    /// It does show in API answers during the election after a leader restarts — that is
    /// what `tolerated_signature_matches` is for — and it is kept non-transient on purpose:
    /// after a whole-cluster IP change r-nacos answers it for good, and a settle margin
    /// must not excuse the first minute of that.
    fn signatures(&self) -> Vec<Signature> {
        vec![Signature::text(
            "rnacos-unknown-leader",
            "unknown the raft leader addr!",
            "the node knows no Raft leader: config writes cannot commit",
        )]
    }

    /// r-nacos 0.8.8 logs through `env_logger_timezone_fmt`, whose header carries the zone
    /// (`[2026-11-27 10:00:00.123456 +00:00 INFO  ...]`), so no offset is needed.
    fn log_utc_offset_minutes(&self, _version: &str) -> Option<i32> {
        None
    }

    /// r-nacos 0.5+ boots with the membership in `index`, which only its own join path
    /// (`join_node`'s `Members` record) and installed snapshots update: `change-membership`
    /// changes the live membership and leaves this file as it was.
    fn boot_membership_file(&self, version: &str) -> Option<String> {
        at_least_minor(version, 5).then(|| format!("{DATA_PATH}/index"))
    }

    fn decode_boot_membership(&self, bytes: &[u8]) -> Result<Option<Vec<String>>> {
        let index = crate::preflight::rnacos::decode_index_file(bytes).map_err(|detail| {
            Error::RaftData {
                path: format!("{DATA_PATH}/index").into(),
                detail,
            }
        })?;
        Ok(index.map(|i| {
            let mut ids = i.member;
            ids.extend(i.member_after_consensus);
            ids.sort_unstable();
            ids.dedup();
            ids.iter().map(u64::to_string).collect()
        }))
    }

    /// The first log segment: the one bring-up and short runs write.
    fn boot_log_file(&self, version: &str) -> Option<String> {
        at_least_minor(version, 5).then(|| format!("{DATA_PATH}/log_1"))
    }

    /// r-nacos's loader stops at a record that begins where one of its 1024-byte reads ends
    /// (see [`crate::preflight::rnacos_log`]).
    fn predict_log_cut(&self, bytes: &[u8]) -> Option<String> {
        crate::preflight::rnacos_log::predict_load(bytes)
            .ok()?
            .cut()
    }

    /// r-nacos's Raft elects after 2500–5000 ms without a heartbeat (`src/starter.rs` at
    /// v0.7.3: `election_timeout_min(2500)`, `election_timeout_max(5000)`; heartbeat 1000 ms).
    fn election_window(&self, _version: &str) -> std::time::Duration {
        std::time::Duration::from_millis(5000)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            raft_config: true,
            raft_naming: false,
            hostname_mode: true,
            clock_skew: None,
            grpc: true,
            joins: true,
        }
    }
}

#[cfg(test)]
#[path = "rnacos_tests.rs"]
mod tests;

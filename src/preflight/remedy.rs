//! Ways out of a non-OK verdict, with what each needs and what it costs.
//!
//! ```
//! use nacos_chaos::preflight::remedy::{group_data, remedies};
//! use nacos_chaos::preflight::verdict::Verdict;
//! use nacos_chaos::flavor::FlavorKind;
//! assert!(remedies(FlavorKind::Official, "g", &Verdict::Ok, &[]).is_empty());
//! assert!(group_data("nacos_config").contains("config"));
//! ```

use super::report::Remedy;
use super::verdict::Verdict;
use crate::record::FlavorKind;

/// What deleting a group's Raft directory loses (official Nacos group names; r-nacos keeps
/// everything in one Raft store).
///
/// ```
/// use nacos_chaos::preflight::remedy::group_data;
/// assert!(group_data("naming_persistent_service_v2").contains("persistent instances"));
/// ```
pub fn group_data(group: &str) -> &'static str {
    match group {
        "naming_persistent_service_v2" => {
            "persistent instances (ephemeral=false) and their services, unless a surviving leader re-replicates them"
        }
        "naming_persistent_service" => {
            "the naming switch domain (2.4.1+) and, up to 2.4.0.1, legacy persistent service/instance data"
        }
        "naming_service_metadata" => {
            "service metadata (protect threshold, selector, metadata set through the API/console)"
        }
        "naming_instance_metadata" => {
            "instance metadata edited through the API/console (weight, enabled, metadata)"
        }
        "nacos_config" => {
            "the embedded (Derby) config database: every config, its history, namespaces, users, roles and permissions"
        }
        "lock_acquire_service_v2" => "distributed lock state (3.x)",
        "rnacos" => {
            "everything r-nacos stores through Raft: configs and their history, namespaces, users, persistent instances and metadata"
        }
        _ => "everything this group stores",
    }
}

/// The remedies for a verdict, most targeted first. `target` is the target peer list in the
/// flavor's persisted form (`ip:7848` for official, `id=ip:9848` or `ip:9848` for r-nacos).
///
/// ```
/// use nacos_chaos::preflight::remedy::remedies;
/// use nacos_chaos::preflight::verdict::Verdict;
/// use nacos_chaos::flavor::FlavorKind;
/// let v = Verdict::StalePeers { stale: vec!["x:7848".into()], missing: vec![] };
/// let r = remedies(FlavorKind::Official, "g", &v, &["a:7848".into()]);
/// assert!(r.iter().any(|x| x.action == "removePeer" && x.needs_leader));
/// ```
pub fn remedies(
    flavor: FlavorKind,
    group: &str,
    verdict: &Verdict,
    target: &[String],
) -> Vec<Remedy> {
    match verdict {
        Verdict::Ok | Verdict::Unreadable { .. } | Verdict::Corrupt { .. } => vec![],
        _ => match flavor {
            FlavorKind::Official => official(group, verdict, target),
            FlavorKind::RNacos => rnacos(verdict, target),
        },
    }
}

fn ops_call(group: &str, command: &str, value: &str) -> String {
    format!(
        "curl -X POST 'http://<node>:8848/nacos/v1/core/ops/raft' -H 'Content-Type: application/json' \
         -d '{{\"groupId\":\"{group}\",\"command\":\"{command}\",\"value\":\"{value}\"}}' \
         (3.x: POST /nacos/v3/admin/core/ops/raft, which reports failures as code 0/data null; add the \
         accessToken when auth is on)"
    )
}

fn restore_addresses(scope: &str) -> Remedy {
    Remedy {
        action: "restore the persisted addresses".into(),
        how:
            "start the nodes again at the addresses in the persisted configuration (static IPs, or \
              hostname identity so addresses survive re-creation), wait for a leader, then change \
              membership through that leader"
                .into(),
        needs_leader: false,
        scope: scope.into(),
        risk: "none to data; only possible while the old addresses can still be assigned".into(),
        data_loss: None,
    }
}

fn official(group: &str, verdict: &Verdict, target: &[String]) -> Vec<Remedy> {
    let conf = target.join(",");
    let mut out = Vec::new();
    let stale: &[String] = match verdict {
        Verdict::StalePeers { stale, .. }
        | Verdict::SelfNotInConf { stale, .. }
        | Verdict::QuorumImpossible { stale, .. } => stale,
        _ => &[],
    };
    if matches!(
        verdict,
        Verdict::StalePeers { .. } | Verdict::SelfNotInConf { .. }
    ) {
        let value = if stale.is_empty() {
            "<old ip>:7848".to_string()
        } else {
            stale.join(",")
        };
        let cmd = if stale.len() > 1 {
            "removePeers"
        } else {
            "removePeer"
        };
        out.push(Remedy {
            action: cmd.into(),
            how: format!(
                "{}; missing nodes then re-add themselves (registerSelfToCluster retries addPeer every second); \
                 or set the whole conf at once with command changePeers, value \"{conf}\"",
                ops_call(group, cmd, &value)
            ),
            needs_leader: true,
            scope: "any node (forwarded to the group leader)".into(),
            risk: "low: a normal, replicated membership change; change fewer than half the peers at a time".into(),
            data_loss: None,
        });
    }
    out.push(Remedy {
        action: "resetPeers".into(),
        how: format!("{} — on EVERY surviving node, each through its own HTTP port", ops_call(group, "resetPeers", &conf)),
        needs_leader: false,
        scope: "every node, locally (the conf changes only in that node's memory until a leader flushes it)".into(),
        risk: "high: bypasses consensus; if the nodes are reset to different confs, or a node holding the newest \
               committed entries is left out, acknowledged writes can be lost or diverge. Use only when no leader \
               can be elected"
            .into(),
        data_loss: None,
    });
    out.push(restore_addresses(
        "all nodes of the persisted configuration",
    ));
    out.push(Remedy {
        action: "delete the protocol dir".into(),
        how: format!(
            "stop the node, remove data/protocol/raft/{group} (or all of data/protocol/raft), start it; the group \
             then boots from cluster.conf"
        ),
        needs_leader: false,
        scope: "each affected node (all nodes if no leader survives)".into(),
        risk: "on a minority of nodes the data comes back from the leader's snapshot; on all nodes it is gone. \
               A wiped node believes it is alone until membership converges (alibaba/nacos#12341)"
            .into(),
        data_loss: Some(group_data(group).into()),
    });
    out
}

fn rnacos(verdict: &Verdict, target: &[String]) -> Vec<Remedy> {
    let mut out = Vec::new();
    if matches!(
        verdict,
        Verdict::StalePeers { .. } | Verdict::SelfNotInConf { .. }
    ) {
        out.push(Remedy {
            action: "change-membership".into(),
            how: format!(
                "POST /nacos/v1/raft/change-membership on the leader with the target node ids; nodes whose \
                 address changed rejoin with POST /nacos/v1/raft/joinnode (target: {})",
                target.join(", ")
            ),
            needs_leader: true,
            scope: "the leader".into(),
            risk: "change-membership alone is live only: r-nacos does not persist it, so the next \
                   restart brings the old membership back; only joinnode (r-nacos's own join path) \
                   writes the membership a node boots with — check it with `up`'s boot membership \
                   or this preflight before restarting"
                .into(),
            data_loss: None,
        });
    }
    out.push(restore_addresses(
        "every node whose persisted address changed",
    ));
    out.push(Remedy {
        action: "delete the data dir".into(),
        how: "stop the node, remove its r-nacos data dir (RNACOS_DATA_DIR: index, log_*, snapshot_*), start it \
              with RNACOS_RAFT_JOIN_ADDR pointing at a live leader (or RNACOS_RAFT_AUTO_INIT on the first node)"
            .into(),
        needs_leader: false,
        scope: "each affected node (all nodes if no leader survives)".into(),
        risk: "a wiped follower re-syncs from the leader; wiping every node loses the data for good".into(),
        data_loss: Some(group_data("rnacos").into()),
    });
    out
}

//! The planned change and the fixes the community recommends, each a value that runs on
//! its own fresh copy of the user's data.

use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cluster::{Cluster, MembershipPolicy, Recreate};
use crate::error::{Error, Result};
use crate::fault::{Fault, Nemesis, Targets};
use crate::flavor::{FlavorKind, IdentityMode};

use super::addresses::AddressMap;
use super::baseline::Snapshot;

/// What runs on a fresh restored copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fix {
    /// The planned upgrade itself, full stop (what the exit code judges).
    Planned,
    /// The planned change with the Raft dir deleted on every node first.
    DeleteRaftDir,
    /// The planned change, then back to the from-version at the old addresses.
    Rollback,
    /// Upgrade on the addresses the backup was taken at (pin identities: with `--hostnames`,
    /// the nodes keep their IP identity). Also accepted as `pin-identities`.
    KeepOldAddresses,
    /// Node-by-node rolling upgrade with the planned change instead of a full stop.
    Rolling,
    /// The server's own Raft reset operation.
    RaftReset,
}

/// Every fix, in the order they are run.
pub const ALL_FIXES: [Fix; 5] = [
    Fix::DeleteRaftDir,
    Fix::Rollback,
    Fix::KeepOldAddresses,
    Fix::Rolling,
    Fix::RaftReset,
];

impl Fix {
    /// Name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Fix::Planned => "planned",
            Fix::DeleteRaftDir => "delete-raft-dir",
            Fix::Rollback => "rollback",
            Fix::KeepOldAddresses => "keep-old-addresses",
            Fix::Rolling => "rolling",
            Fix::RaftReset => "raft-reset",
        }
    }

    /// What it does, for the report.
    pub fn describe(self, flavor: FlavorKind) -> &'static str {
        match (self, flavor) {
            (Fix::Planned, _) => {
                "the planned upgrade as given: stop every node, start each at its new address and version"
            }
            (Fix::DeleteRaftDir, FlavorKind::Official) => {
                "stop every node, delete data/protocol on each, then the planned upgrade"
            }
            (Fix::DeleteRaftDir, FlavorKind::RNacos) => {
                "stop every node, delete the r-nacos data dir (it is the Raft dir) on each, then the planned upgrade (the cluster re-forms by joins)"
            }
            (Fix::Rollback, _) => {
                "the planned upgrade, then every node back to the from-version at the address the backup was taken at"
            }
            (Fix::KeepOldAddresses, _) => {
                "pin identities: the upgrade with every node keeping the address (and the IP identity) the backup was taken at"
            }
            (Fix::Rolling, _) => {
                "node by node: stop, start at its new address and version, wait for a leader, next"
            }
            (Fix::RaftReset, FlavorKind::Official) => {
                "the planned upgrade, then the ops API's Raft reset (`restRaftCluster`, every group) to the new members, sent to each node until one accepts"
            }
            (Fix::RaftReset, FlavorKind::RNacos) => {
                "the server's Raft reset operation after the planned upgrade"
            }
        }
    }
}

impl FromStr for Fix {
    type Err = Error;
    fn from_str(s: &str) -> Result<Fix> {
        if s.trim() == "pin-identities" {
            return Ok(Fix::KeepOldAddresses);
        }
        [Fix::Planned]
            .into_iter()
            .chain(ALL_FIXES)
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown fix '{s}'\n  fix: use all or a comma list of {} (pin-identities = keep-old-addresses)",
                    ALL_FIXES.map(|f| f.name()).join(", ")
                ))
            })
    }
}

/// Parse `--fix all|NAME,...`.
///
/// ```
/// use nacos_chaos::rehearse::{parse_fixes, Fix};
/// assert_eq!(parse_fixes("all").unwrap().len(), 5);
/// assert_eq!(parse_fixes("delete-raft-dir,keep-old-addresses").unwrap(), [Fix::DeleteRaftDir, Fix::KeepOldAddresses]);
/// assert_eq!(parse_fixes("pin-identities").unwrap(), [Fix::KeepOldAddresses]);
/// assert!(parse_fixes("reboot").unwrap_err().to_string().contains("fix:"));
/// ```
pub fn parse_fixes(text: &str) -> Result<Vec<Fix>> {
    if text.trim() == "all" {
        return Ok(ALL_FIXES.to_vec());
    }
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(Fix::from_str)
        .collect()
}

/// Stop every node that has a container (graceful).
async fn stop_all(c: &mut Cluster, ev: &mut Vec<String>) -> Result<()> {
    for i in 1..=c.nodes().len() {
        if c.node(i)?.container_id.is_some() {
            c.stop_node(i, 10).await?;
        }
    }
    ev.push(format!("{} ms: every node stopped", c.now_ms()));
    Ok(())
}

/// Recreate node `i` at `ip` running `version`, told the current addresses.
async fn move_node(
    c: &mut Cluster,
    i: usize,
    ip: std::net::Ipv4Addr,
    version: &str,
    ev: &mut Vec<String>,
) -> Result<()> {
    if c.node(i)?.container_id.is_some() {
        c.remove_node_container(i).await?;
    }
    c.move_ip(i, ip)?;
    c.recreate_node(
        i,
        &Recreate {
            new_ip: false,
            version: Some(version.to_string()),
            policy: MembershipPolicy::Follow,
        },
    )
    .await?;
    ev.push(format!(
        "{} ms: n{i} started at {ip} on {version}",
        c.now_ms()
    ));
    Ok(())
}

async fn whole_cluster(
    c: &mut Cluster,
    map: &AddressMap,
    new: bool,
    version: &str,
    ev: &mut Vec<String>,
) -> Result<()> {
    identity_for(c, map, new, ev);
    for n in &map.nodes {
        c.remove_node_container(n.node).await?;
        c.move_ip(n.node, if new { n.run_new } else { n.run_old })?;
    }
    for n in &map.nodes {
        let ip = if new { n.run_new } else { n.run_old };
        move_node(c, n.node, ip, version, ev).await?;
    }
    Ok(())
}

/// Peers by hostname after a planned move to hostname identity (`new`), by IP otherwise.
fn identity_for(c: &mut Cluster, map: &AddressMap, new: bool, ev: &mut Vec<String>) {
    let mode = if new && map.hostnames {
        IdentityMode::Hostname
    } else {
        IdentityMode::Ip
    };
    if c.spec().identity != mode {
        c.set_identity_mode(mode);
        ev.push(format!(
            "{} ms: peers addressed by {} from here on",
            c.now_ms(),
            if mode == IdentityMode::Hostname {
                "hostname"
            } else {
                "IP"
            }
        ));
    }
}

/// The reset to the members after the change (`run_new:7848`, the JRaft port).
fn raft_reset_request(map: &AddressMap, to: &str) -> Result<super::raft_reset::ResetRequest> {
    let peers: Vec<String> = map
        .nodes
        .iter()
        .map(|n| format!("{}:7848", n.run_new))
        .collect();
    super::raft_reset::request(to, &peers)
}

/// Send the reset to each node in turn until one accepts; every answer is evidence.
async fn send_raft_reset(
    c: &mut Cluster,
    map: &AddressMap,
    req: &super::raft_reset::ResetRequest,
    ev: &mut Vec<String>,
) {
    for n in &map.nodes {
        match c.http_call(n.node, &req.path, Some(req.body.clone())).await {
            Ok(a) => {
                let ok = super::raft_reset::accepted(a.status, &a.body);
                ev.push(format!(
                    "{} ms: {} → HTTP {} {}{}",
                    c.now_ms(),
                    a.request,
                    a.status,
                    a.body.chars().take(200).collect::<String>(),
                    if ok { " (accepted)" } else { " (refused)" }
                ));
                if ok {
                    return;
                }
            }
            Err(e) => ev.push(format!(
                "{} ms: n{}: reset not sent: {e}",
                c.now_ms(),
                n.node
            )),
        }
    }
    ev.push(
        "no node accepted the Raft reset (restRaftCluster needs a leader: JRaftOps.java @2.4.1)"
            .into(),
    );
}

/// After an intermediate step: how many baseline entries the nodes serve lost right now.
async fn step_losses(c: &Cluster, base: &Snapshot, step: &str, ev: &mut Vec<String>) -> Result<()> {
    let mut notes = vec![];
    let lost = super::losses(c, base, Duration::ZERO, &mut notes).await?;
    ev.push(format!(
        "{} ms: after {step}: {} baseline entr(ies) lost on some node",
        c.now_ms(),
        lost.len()
    ));
    Ok(())
}

/// Run `fix`'s steps on a cluster restored from the backup and running at the old
/// addresses on `from`. Returns the evidence lines, and when the last restart began (the
/// time to recover counts from there). A flavor without such an operation answers
/// [`Error::Unsupported`].
pub async fn run_fix(
    fix: Fix,
    c: &mut Cluster,
    map: &AddressMap,
    (from, to): (&str, &str),
    base: &Snapshot,
    leader_timeout: Duration,
) -> Result<(Vec<String>, Instant)> {
    let mut ev = vec![];
    let mut began = Instant::now();
    match fix {
        Fix::Planned => {
            stop_all(c, &mut ev).await?;
            began = Instant::now();
            whole_cluster(c, map, true, to, &mut ev).await?;
        }
        Fix::KeepOldAddresses => {
            stop_all(c, &mut ev).await?;
            began = Instant::now();
            whole_cluster(c, map, false, to, &mut ev).await?;
        }
        Fix::Rollback => {
            stop_all(c, &mut ev).await?;
            whole_cluster(c, map, true, to, &mut ev).await?;
            let r = c.wait_for_leader(leader_timeout).await;
            ev.push(format!(
                "{} ms: after the planned upgrade: {}",
                c.now_ms(),
                match &r {
                    Ok(l) => format!("leader after {:?}", l.elapsed),
                    Err(e) => format!("no leader ({e})"),
                }
            ));
            step_losses(c, base, "the planned upgrade", &mut ev).await?;
            stop_all(c, &mut ev).await?;
            began = Instant::now();
            whole_cluster(c, map, false, from, &mut ev).await?;
        }
        Fix::DeleteRaftDir => {
            stop_all(c, &mut ev).await?;
            if c.flavor().capabilities().joins {
                // r-nacos: its Raft dir is the whole data dir. Each volume is replaced by an
                // empty one; the cluster forms again by joins.
                for n in &map.nodes {
                    c.remove_node_container(n.node).await?;
                    let vol = c.node(n.node)?.volume.clone();
                    let opts = bollard::query_parameters::RemoveVolumeOptions { force: true };
                    c.engine()
                        .client()
                        .remove_volume(&vol, Some(opts))
                        .await
                        .map_err(|e| Error::docker(format!("remove volume {vol}"), e))?;
                    c.engine()
                        .create_volume(&vol, &format!("n{}", n.node))
                        .await?;
                    ev.push(format!(
                        "{} ms: n{}: data volume {vol} replaced by an empty one",
                        c.now_ms(),
                        n.node
                    ));
                    c.move_ip(n.node, n.run_new)?;
                    c.set_node_version(n.node, to).await?;
                }
                identity_for(c, map, true, &mut ev);
                began = Instant::now();
                let r = c.start_all(leader_timeout).await?;
                ev.push(format!(
                    "{} ms: re-formed by joins in {} attempt(s)",
                    c.now_ms(),
                    r.attempts
                ));
            } else {
                let wipe = Fault::wipe_raft(Targets::All);
                let mut nemesis = Nemesis::default();
                nemesis.apply(c, &wipe).await?;
                for w in nemesis.windows() {
                    ev.extend(w.proof.iter().cloned());
                }
                began = Instant::now();
                whole_cluster(c, map, true, to, &mut ev).await?;
            }
        }
        Fix::Rolling => {
            identity_for(c, map, true, &mut ev);
            for n in &map.nodes {
                c.stop_node(n.node, 10).await?;
                began = Instant::now();
                move_node(c, n.node, n.run_new, to, &mut ev).await?;
                let r = c.wait_for_leader(leader_timeout / 2).await;
                ev.push(format!(
                    "{} ms: after n{}: {}",
                    c.now_ms(),
                    n.node,
                    match &r {
                        Ok(l) => format!("leader after {:?}", l.elapsed),
                        Err(_) => "no leader".into(),
                    }
                ));
                step_losses(c, base, &format!("n{}'s move", n.node), &mut ev).await?;
            }
        }
        Fix::RaftReset => {
            if c.flavor().kind() == FlavorKind::RNacos {
                return Err(Error::Unsupported {
                    flavor: c.flavor().kind().to_string(),
                    what: "a Raft reset operation".into(),
                    why: "r-nacos has no API that resets a Raft group's membership".into(),
                });
            }
            let req = raft_reset_request(map, to)?;
            stop_all(c, &mut ev).await?;
            whole_cluster(c, map, true, to, &mut ev).await?;
            began = Instant::now();
            send_raft_reset(c, map, &req, &mut ev).await;
        }
    }
    Ok((ev, began))
}

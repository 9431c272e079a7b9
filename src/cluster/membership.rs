//! Membership as an experiment: a bring-up in a chosen order and spacing, starting a node
//! later, adding a node with fresh data, removing one (from the configuration only, or also
//! from the Raft membership through the server's API), replacing one, and the flavor's
//! operations API. Every change is read back from the nodes themselves.

use std::time::{Duration, Instant};

use tracing::info;

use super::bringup::joined;
use super::observe::agreements;
use super::{Cluster, LeaderReport, NodeState};
use crate::error::{Error, Result};
use crate::flavor::{FlavorKind, Role};

/// Faults the suite put before `start`: each is applied as soon as every node it names is up
/// (see [`crate::fault::Fault::boot_targets`]), by this nemesis; what each application proved
/// is collected.
pub struct BootFaults<'a> {
    /// The nemesis that applies (and later heals) them.
    pub nemesis: &'a mut crate::fault::Nemesis,
    /// Faults not applied yet.
    pub pending: Vec<crate::fault::Fault>,
    /// One line per fault applied: its id, the node start it followed, its proof.
    pub applied: Vec<String>,
}

impl BootFaults<'_> {
    /// Apply every pending fault whose nodes are all running now.
    pub async fn apply_ready(&mut self, cluster: &mut Cluster, after: &str) -> Result<()> {
        let mut still = vec![];
        for f in std::mem::take(&mut self.pending) {
            let ready = f.boot_targets().is_some_and(|t| {
                t.iter().all(|&i| {
                    cluster
                        .nodes
                        .get(i.wrapping_sub(1))
                        .is_some_and(|n| n.state == NodeState::Running)
                })
            });
            if !ready {
                still.push(f);
                continue;
            }
            let id = self.nemesis.apply(cluster, &f).await?;
            let proof = self.nemesis.proof_of(&id);
            self.applied.push(format!(
                "{id} {} applied as {after} came up: {proof}",
                f.kind()
            ));
        }
        self.pending = still;
        Ok(())
    }
}

/// The answer of an operations API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAnswer {
    /// What was sent, e.g. `POST n1 /nacos/v1/raft/change-membership [1,2,3]`.
    pub request: String,
    /// HTTP status (0: no answer).
    pub status: u16,
    /// Body (or the transport error).
    pub body: String,
}

impl AdminAnswer {
    /// Did the server accept the operation? A 2xx whose body is not an error text, and
    /// not a Nacos `RestResult` whose code says otherwise (`RestResult.ok()`: code 0 or 200,
    /// `common/.../model/RestResult.java` @2.4.1 — official ops refusals answer HTTP 200
    /// with code 500).
    ///
    /// ```
    /// use nacos_chaos::cluster::AdminAnswer;
    /// let a = |status, body: &str| AdminAnswer { request: String::new(), status, body: body.into() };
    /// assert!(a(200, "true").ok());
    /// assert!(!a(500, "boom").ok());
    /// assert!(!a(200, r#"{"success":false,"message":"not leader"}"#).ok());
    /// assert!(!a(200, r#"{"code":500,"message":"Not support command","data":null}"#).ok());
    /// assert!(a(200, r#"{"code":200,"message":null,"data":null}"#).ok());
    /// ```
    pub fn ok(&self) -> bool {
        let b = self.body.replace(' ', "");
        (200..300).contains(&self.status)
            && !b.contains("\"success\":false")
            && !b.to_ascii_lowercase().starts_with("error")
            && crate::flavor::official::raft_ops::rest_result_code(&self.body)
                .is_none_or(|c| c == 0 || c == 200)
    }
}

impl std::fmt::Display for AdminAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> HTTP {}: {}",
            self.request,
            self.status,
            crate::record::clip(&self.body, 300)
        )
    }
}

fn not_yet(flavor: FlavorKind, what: &str) -> Error {
    Error::NotImplemented {
        flavor: flavor.to_string(),
        what: what.into(),
        fix: "run this step against a flavor that has it, or leave it out; `nacos-chaos validate` accepts it".into(),
    }
}

impl Cluster {
    /// Is the node named `name` configured as a member (started at least once, not scaled in)?
    pub fn is_configured(&self, name: &str) -> bool {
        self.nodes
            .iter()
            .position(|n| n.name() == name)
            .is_some_and(|i| self.configured.contains(&(i + 1)))
    }

    /// The 1-based index of the node named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.name() == name)
            .map(|i| i + 1)
    }

    /// Peer ids of the nodes configured as members (started at least once, not scaled in).
    pub fn configured_peers(&self) -> Vec<String> {
        self.configured.iter().map(|&i| self.peer_of(i)).collect()
    }

    /// Start `order` (node indexes) as an experiment: no retries, no starting over. With a
    /// `stagger`, nodes start that far apart (zero: all at once) and nothing is awaited in
    /// between; without one, a joining node is awaited as a voter when the node it joins is
    /// already up. Then wait for an agreed leader and every started node as a voter.
    pub async fn start_nodes(
        &mut self,
        order: &[usize],
        stagger: Option<Duration>,
        timeout: Duration,
        mut boot: Option<&mut BootFaults<'_>>,
    ) -> Result<LeaderReport> {
        let t0 = Instant::now();
        let deadline = t0 + timeout;
        let from_ms = self.now_ms();
        // One attempt, never started over: what forms is the experiment's result.
        self.bringup_attempts = 1;
        let joins = self.flavor().capabilities().joins;
        if stagger.is_some_and(|d| d.is_zero()) {
            // All at once: every container is created first, then all are started together.
            let membership = self.current_membership();
            let mut ids = vec![];
            for &i in order {
                let join = self.nodes[i - 1].join;
                ids.push(self.create_node_container(i, join, &membership).await?);
            }
            let engine = self.engine.clone();
            let started =
                futures_util::future::join_all(ids.iter().map(|id| engine.start(id))).await;
            for r in started {
                r?;
            }
            for &i in order {
                self.finish_start(i).await?;
            }
            if let Some(b) = boot.as_deref_mut() {
                b.apply_ready(self, "every node").await?;
            }
        }
        let mut lost: Option<Error> = None;
        let order_each: &[usize] = if stagger.is_some_and(|d| d.is_zero()) {
            &[]
        } else {
            order
        };
        for (k, &i) in order_each.iter().enumerate() {
            let join = self.nodes[i - 1].join;
            self.start_node(i, join).await?;
            if let Some(b) = boot.as_deref_mut() {
                b.apply_ready(self, &format!("n{i}")).await?;
            }
            match stagger {
                // The spacing between starts is the experiment itself.
                Some(d) if k + 1 < order.len() && !d.is_zero() => tokio::time::sleep(d).await,
                Some(_) => {}
                None if joins => {
                    let target_up = join.is_none_or(|j| order[..k].contains(&j));
                    if target_up {
                        // A lost join does not stop the others from starting: each gets at
                        // least a join's grace, and the first loss is the bring-up's error.
                        let left = deadline
                            .saturating_duration_since(Instant::now())
                            .max(Duration::from_secs(15));
                        if let Err(e) = self.wait_voter(i, join.is_none(), left).await {
                            lost.get_or_insert(e);
                        }
                    }
                }
                None => {}
            }
        }
        if let Some(e) = lost {
            return Err(e);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let mut report = self.wait_for_leader(left).await?;
        let left = deadline.saturating_duration_since(Instant::now());
        self.wait_for_voters_among(order, left).await?;
        report.elapsed = t0.elapsed();
        report.from_ms = from_ms;
        Ok(report)
    }

    /// Wait until node `i` is a voter under a leader (`bootstrap`: is the leader).
    pub async fn wait_voter(&mut self, i: usize, bootstrap: bool, timeout: Duration) -> Result<()> {
        let peer = self.peer_of(i);
        let group = self.leader_group();
        self.wait_until(&format!("n{i} to be a voter"), timeout, |obs| {
            joined(obs, &group, &peer, bootstrap)
        })
        .await?;
        Ok(())
    }

    /// Wait until, on every node of `nodes`, every group counts exactly those nodes' peers
    /// among its voters and none of them is a non-voter.
    pub async fn wait_for_voters_among(
        &mut self,
        nodes: &[usize],
        timeout: Duration,
    ) -> Result<()> {
        let names: Vec<String> = nodes
            .iter()
            .map(|&i| self.nodes[i - 1].name().to_string())
            .collect();
        let expected: Vec<String> = nodes.iter().map(|&i| self.peer_of(i)).collect();
        let groups = self.expected_groups();
        self.wait_until("every started node to be a voting member", timeout, |obs| {
            for n in obs.nodes.iter().filter(|n| names.contains(&n.node)) {
                if let Some(e) = &n.error {
                    return Err(format!("{}: {e}", n.node));
                }
                for g in &groups {
                    let v = n
                        .group(g)
                        .ok_or(format!("{} does not report {g}", n.node))?;
                    if v.role == Role::NonVoter {
                        return Err(format!(
                            "{} is a non-voter in {g} (members {:?})",
                            n.node, v.members
                        ));
                    }
                    if let Some(m) = expected.iter().find(|p| !v.members.contains(p)) {
                        return Err(format!(
                            "{}'s view of {g} lacks {m} (members {:?})",
                            n.node, v.members
                        ));
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The node the cluster agrees leads its first group, if any.
    pub async fn leader_index(&mut self) -> Option<usize> {
        let obs = self.observe().await;
        let groups = self.expected_groups();
        let a = agreements(&obs, &groups[..groups.len().min(1)]);
        let leader = a.values().next()?.leader()?.to_string();
        (1..=self.nodes.len()).find(|&i| self.peer_of(i) == leader)
    }

    /// Add node `n<N+1>` with a fresh volume (not started); joining flavors join the leader.
    /// Running nodes are told the new membership where the flavor keeps it in a file
    /// (official cluster.conf).
    pub async fn add_node(&mut self) -> Result<usize> {
        let index = self.add_node_untold().await?;
        self.tell_members("scale_out").await?;
        Ok(index)
    }

    /// [`Cluster::add_node`] without telling the running nodes.
    async fn add_node_untold(&mut self) -> Result<usize> {
        let index = self.nodes.len() + 1;
        let join = if self.flavor().capabilities().joins {
            Some(self.leader_index().await.unwrap_or(1))
        } else {
            None
        };
        self.add_absent_node(index, self.generation, join).await?;
        Ok(index)
    }

    /// Remove node `i`: its container goes and it leaves the configured set; with `raft`,
    /// the leader is first told the membership without it and its view is read back.
    pub async fn scale_in(
        &mut self,
        i: usize,
        raft: bool,
        timeout: Duration,
    ) -> Result<Vec<String>> {
        self.node(i)?;
        let mut proof = vec![];
        if raft {
            let rest: Vec<usize> = self
                .configured
                .iter()
                .copied()
                .filter(|&k| k != i)
                .collect();
            let answer = match self.spec.flavor {
                FlavorKind::Official => self.raft_op("remove_peer", Some(i)).await?,
                _ => self.change_membership(&rest, None).await?,
            };
            if !answer.ok() {
                return Err(Error::Protocol {
                    node: "leader".into(),
                    what: "change-membership".into(),
                    detail: answer.to_string(),
                });
            }
            proof.push(answer.to_string());
            let gone = self.peer_of(i);
            let ((), _) = self
                .wait_until(&format!("the leader to drop n{i}"), timeout, |obs| {
                    let l = obs.nodes.iter().find_map(|n| {
                        n.groups
                            .first()
                            .filter(|g| g.role == Role::Leader)
                            .map(|g| (n, g))
                    });
                    match l {
                        Some((_, g)) if !g.members.contains(&gone) => Ok(()),
                        Some((n, g)) => Err(format!("leader {} members {:?}", n.node, g.members)),
                        None => Err("no leader".into()),
                    }
                    .map(|_| ())
                })
                .await?;
            proof.push(format!(
                "read back: the leader's members no longer include n{i}"
            ));
        }
        if self.nodes[i - 1].container_id.is_some() {
            self.stop_node(i, 10).await.ok();
            self.remove_node_container(i).await?;
        }
        self.nodes[i - 1].state = NodeState::Absent;
        self.configured.remove(&i);
        self.removed.insert(i);
        proof.extend(self.tell_members("scale_in").await?);
        proof.push(format!(
            "n{i} container removed; configured set now {:?}",
            self.configured_peers()
        ));
        info!(node = i, raft, "node scaled in");
        Ok(proof)
    }

    /// Replace node `i` by a new one with empty data under the same name and node id.
    pub async fn replace_same_name(&mut self, i: usize, timeout: Duration) -> Result<String> {
        self.node(i)?;
        self.wipe_node(i).await?;
        let join = self.nodes[i - 1].join;
        self.start_node(i, join).await?;
        let r = self.wait_voter(i, join.is_none(), timeout).await;
        Ok(match r {
            Ok(()) => format!("n{i} replaced with empty data; read back: a voter again"),
            Err(e) => format!("n{i} replaced with empty data; read back: not a voter: {e}"),
        })
    }

    /// Replace node `i` by a new node (the next name and node id) with empty data at `i`'s
    /// address: `i`'s container goes and `i` leaves the configured set; nobody tells the
    /// Raft group. Returns the new node's index and the read-back.
    pub async fn replace_same_address(
        &mut self,
        i: usize,
        timeout: Duration,
    ) -> Result<(usize, String)> {
        let ip = self.node(i)?.identity.ip;
        if self.nodes[i - 1].container_id.is_some() {
            self.stop_node(i, 10).await.ok();
            self.remove_node_container(i).await?;
        }
        self.nodes[i - 1].state = NodeState::Absent;
        self.configured.remove(&i);
        self.removed.insert(i);
        let k = self.add_node_untold().await?;
        self.nodes[k - 1].identity.ip = ip;
        self.nodes[k - 1].original.ip = ip;
        self.tell_members("replace").await?;
        let join = self.nodes[k - 1].join;
        self.start_node(k, join).await?;
        let r = self.wait_voter(k, join.is_none(), timeout).await;
        let d = match r {
            Ok(()) => format!(
                "n{i} removed; n{k} (empty data) took its address {ip}; read back: n{k} a voter"
            ),
            Err(e) => format!(
                "n{i} removed; n{k} (empty data) took its address {ip}; read back: n{k} not a voter: {e}"
            ),
        };
        Ok((k, d))
    }

    /// r-nacos: `POST /nacos/v1/raft/change-membership` with `members` (node ids), sent to
    /// `via` (default: the leader).
    pub async fn change_membership(
        &mut self,
        members: &[usize],
        via: Option<usize>,
    ) -> Result<AdminAnswer> {
        if self.spec.flavor != FlavorKind::RNacos {
            return Err(not_yet(self.spec.flavor, "change_membership"));
        }
        let to = match via {
            Some(v) => v,
            None => self.leader_index().await.ok_or_else(|| Error::Protocol {
                node: "cluster".into(),
                what: "change-membership".into(),
                detail: "no agreed leader to send it to".into(),
            })?,
        };
        let ids: Vec<u64> = members.iter().map(|&m| m as u64).collect();
        let path = "/nacos/v1/raft/change-membership";
        let body = serde_json::to_string(&ids).unwrap_or_default();
        self.http_call(to, path, Some(body)).await
    }

    /// `GET`/`POST` (with a JSON body) on node `to`; never an error for a refusal.
    pub async fn http_call(
        &self,
        to: usize,
        path: &str,
        body: Option<String>,
    ) -> Result<AdminAnswer> {
        let url = self.node(to)?.base_url().ok_or_else(|| Error::NodeState {
            node: format!("n{to}"),
            why: "is not running (no published HTTP port)".into(),
            fix: "start it before the step that calls it".into(),
        })?;
        let request = format!(
            "{} n{to} {path}{}",
            if body.is_some() { "POST" } else { "GET" },
            body.as_deref().map(|b| format!(" {b}")).unwrap_or_default()
        );
        let r = match &body {
            Some(b) => {
                self.http()
                    .post(format!("{url}{path}"))
                    .header("content-type", "application/json")
                    .body(b.clone())
                    .send()
                    .await
            }
            None => self.http().get(format!("{url}{path}")).send().await,
        };
        Ok(match r {
            Ok(r) => AdminAnswer {
                request,
                status: r.status().as_u16(),
                body: r.text().await.unwrap_or_default(),
            },
            Err(e) => AdminAnswer {
                request,
                status: 0,
                body: e.to_string(),
            },
        })
    }

    /// The flavor's operations API: `op` about `node`. r-nacos: `metrics`, and
    /// `change_membership` (the configured set, without `node` if one is named).
    pub async fn admin(&mut self, op: &str, node: Option<usize>) -> Result<AdminAnswer> {
        match (self.spec.flavor, op) {
            (FlavorKind::RNacos, "metrics") => {
                self.http_call(node.unwrap_or(1), "/nacos/v1/raft/metrics", None)
                    .await
            }
            (FlavorKind::RNacos, "change_membership") => {
                let rest: Vec<usize> = self
                    .configured
                    .iter()
                    .copied()
                    .filter(|&k| Some(k) != node)
                    .collect();
                self.change_membership(&rest, None).await
            }
            (FlavorKind::Official, op) => self.raft_op(op, node).await,
            (f, op) => Err(not_yet(f, &format!("admin op {op}"))),
        }
    }
}

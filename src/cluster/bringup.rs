//! Starting nodes, observing them, and waiting for conditions against deadlines.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::join_all;
use serde::Serialize;
use tracing::{info, warn};

use super::observe::{Agreement, Mark, NodeObservation, Observation, agreements};
use super::{Cluster, NodeState};
use crate::docker::ContainerRequest;
use crate::error::{Error, Result};
use crate::flavor::{HttpAnswer, Membership, RenderCtx, Role};
use crate::poll::Poll;

/// Whole bring-up attempts for joining flavors before giving up.
pub const BRINGUP_ATTEMPTS: u32 = 3;
/// The least time one bring-up attempt is given, whatever the caller's timeout.
pub const MIN_BRINGUP: Duration = Duration::from_secs(60);
/// The least time given for every node's boot membership to catch up with the live one.
const DURABLE_GRACE: Duration = Duration::from_secs(10);
/// How long a joining node may take to become a voter before it is started over.
const JOIN_GRACE: Duration = Duration::from_secs(15);

/// The outcome of waiting for an agreed leader.
#[derive(Debug, Clone, Serialize)]
pub struct LeaderReport {
    /// Time from the start of the wait (of the successful attempt) to agreement.
    #[serde(with = "humantime_serde")]
    pub elapsed: Duration,
    /// Bring-up attempts it took (1 for plain waits).
    pub attempts: u32,
    /// When the wait (for bring-up: the successful attempt) began, ms since the cluster was
    /// created. No observation the cluster keeps from a bring-up is older.
    pub from_ms: u64,
    /// Per group agreement at that moment.
    pub groups: BTreeMap<String, Agreement>,
    /// The observation that satisfied the wait.
    pub observation: Observation,
}

impl Cluster {
    /// Start every node and wait until the cluster has one leader and all nodes are voters.
    /// Flavors that join a running cluster (r-nacos) are brought up one node at a time
    /// (concurrent joins can lose a node) and each join is awaited (see `settle_join`). An
    /// attempt has also failed while any node would boot with another membership than the
    /// whole one (see [`Cluster::wait_for_durable_membership`]): a seat r-nacos has not
    /// persisted is taken away by the next restart — and while r-nacos's own log is laid
    /// so that its next start would cut it (see [`Cluster::log_cuts`]): the experiment's first
    /// restart would lose the setup itself. A failed attempt starts every node over
    /// with empty data, up to [`BRINGUP_ATTEMPTS`] times, each with at least
    /// [`MIN_BRINGUP`] (bring-up is setup: nothing has been written yet). What was observed
    /// of a discarded attempt (or of a node started over) is dropped from the cluster's
    /// observations: its terms belong to a state that no longer exists. The report's
    /// `elapsed` is the successful attempt's time to an agreed leader, `from_ms` when that
    /// attempt began; `attempts` says how many it took (also [`Cluster::bringup_attempts`]),
    /// and every retry is logged at WARN.
    ///
    /// ```no_run
    /// # async fn f(c: &mut nacos_chaos::cluster::Cluster) -> nacos_chaos::Result<()> {
    /// let report = c.start_all(std::time::Duration::from_secs(60)).await?;
    /// println!("leader after {:?} ({} attempt(s))", report.elapsed, report.attempts);
    /// # Ok(()) }
    /// ```
    pub async fn start_all(&mut self, timeout: Duration) -> Result<LeaderReport> {
        let mut attempt = 1;
        loop {
            self.bringup_attempts = attempt;
            let mark = self.observations.mark();
            let from_ms = self.now_ms();
            match self.start_all_once(timeout.max(MIN_BRINGUP), mark).await {
                Ok(mut report) => {
                    report.attempts = attempt;
                    report.from_ms = from_ms;
                    info!(elapsed = ?report.elapsed, attempt, "cluster up with an agreed leader");
                    return Ok(report);
                }
                Err(e @ (Error::Timeout { .. } | Error::Unfit { .. }))
                    if self.flavor().capabilities().joins && attempt < BRINGUP_ATTEMPTS =>
                {
                    let dropped = self.observations.discard_since(mark);
                    warn!(
                        attempt, error = %e, dropped_observations = dropped,
                        "bring-up failed; starting every node over with empty data"
                    );
                    for i in 1..=self.nodes.len() {
                        self.wipe_node(i).await?;
                    }
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn start_all_once(&mut self, timeout: Duration, mark: Mark) -> Result<LeaderReport> {
        let t0 = Instant::now();
        if self.flavor().capabilities().joins {
            let deadline = t0 + timeout;
            for i in 1..=self.nodes.len() {
                let join = self.nodes[i - 1].join;
                self.start_node(i, join).await?;
                self.settle_join(i, deadline, mark).await?;
            }
        } else {
            for i in 1..=self.nodes.len() {
                self.start_node(i, None).await?;
            }
        }
        let mut report = self
            .wait_for_leader(timeout.saturating_sub(t0.elapsed()))
            .await?;
        self.wait_for_voters(timeout.saturating_sub(t0.elapsed()))
            .await?;
        // A seat granted by change-membership is live but not what r-nacos boots with: the
        // next restart would take it away. Such a cluster is not up (bring-up starts over).
        self.wait_for_durable_membership(timeout.saturating_sub(t0.elapsed()).max(DURABLE_GRACE))
            .await?;
        // r-nacos: a log already laid so that its next start cuts it would lose this
        // cluster's own setup at the experiment's first restart; such a cluster is not up.
        let cuts = self.log_cuts().await;
        if !cuts.is_empty() {
            return Err(Error::Unfit {
                why: cuts.join("; "),
            });
        }
        report.elapsed = t0.elapsed();
        Ok(report)
    }

    /// Bring-up only: remove a node's container and empty its data volume.
    pub(super) async fn wipe_node(&mut self, index: usize) -> Result<()> {
        self.remove_node_container(index).await?;
        let volume = self.nodes[index - 1].volume.clone();
        let opts = bollard::query_parameters::RemoveVolumeOptions { force: true };
        self.engine
            .client()
            .remove_volume(&volume, Some(opts))
            .await
            .map_err(|e| Error::docker(format!("remove volume {volume}"), e))?;
        let name = self.nodes[index - 1].name().to_string();
        self.engine.create_volume(&volume, &name).await
    }

    /// Bring-up only: start a node that never joined over, with an empty data volume.
    async fn restart_fresh(&mut self, index: usize, join: Option<usize>) -> Result<()> {
        self.wipe_node(index).await?;
        self.start_node(index, join).await
    }

    /// Wait until node `i`, started with an empty data dir, is a voter under a leader (node 1:
    /// the leader). r-nacos can lose a join for good: a join sent before the leader led is
    /// never retried, concurrent joins leave a learner, and under load even a lone join can
    /// leave a node the leader counts as a voter but never replicates to. Nothing the harness
    /// can ask of r-nacos seats such a node durably (`joinnode` panics the handler for a node
    /// the leader tracks; `change-membership` is live only, see
    /// [`Cluster::wait_for_durable_membership`]). So: after one grace period the node is
    /// started over empty (its join is sent again), and if that join is lost too the attempt
    /// fails and [`Cluster::start_all`] starts every node over. Logged at WARN. What was
    /// observed of the node since the attempt began (`mark`) is dropped when it starts over.
    async fn settle_join(&mut self, i: usize, deadline: Instant, mark: Mark) -> Result<()> {
        let join = self.nodes[i - 1].join;
        let peer = self.peer_of(i);
        let what = format!("n{i} to join as a voter");
        let group = self.leader_group();
        let mut started_over = false;
        loop {
            let slice = JOIN_GRACE.min(deadline.saturating_duration_since(Instant::now()));
            match self
                .wait_until(&what, slice, |obs| joined(obs, &group, &peer, i == 1))
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if started_over || i == 1 || Instant::now() >= deadline => return Err(e),
                Err(e) => {
                    warn!(
                        node = i, error = %e,
                        "joining node is not a voter; starting it over with an empty data dir"
                    );
                    self.restart_fresh(i, join).await?;
                    let name = self.nodes[i - 1].name().to_string();
                    self.observations.discard_node_since(mark, &name);
                    started_over = true;
                }
            }
        }
    }

    pub(crate) fn peer_of(&self, index: usize) -> String {
        let n = &self.nodes[index - 1];
        if self.spec.naming.is_empty() {
            return self.flavor.peer_id(&n.identity, self.spec.identity);
        }
        let listed = self.naming().listed_name(&n.identity, self.spec.identity);
        self.flavor.peer_id_listed(&n.identity, &listed)
    }

    /// How nodes name themselves and are listed: the spec's per-node settings, with fully
    /// qualified names under the run network's name.
    pub(crate) fn naming(&self) -> crate::flavor::naming::Naming {
        crate::flavor::naming::Naming {
            domain: self.network.name.clone(),
            nodes: self.spec.naming.clone(),
        }
    }

    /// The membership servers are told: current identities (the truthful default).
    pub(crate) fn current_membership(&self) -> Membership {
        Membership {
            mode: self.spec.identity,
            members: self
                .nodes
                .iter()
                .filter(|n| !self.removed.contains(&n.identity.index))
                .map(|n| n.identity.clone())
                .collect(),
            naming: self.naming(),
        }
    }

    /// Create and start node `index`'s container (it must be absent), joining `join`.
    pub async fn start_node(&mut self, index: usize, join: Option<usize>) -> Result<()> {
        let membership = self.current_membership();
        self.start_node_with(index, join, &membership).await
    }

    pub(crate) async fn start_node_with(
        &mut self,
        index: usize,
        join: Option<usize>,
        membership: &Membership,
    ) -> Result<()> {
        let id = self.create_node_container(index, join, membership).await?;
        self.engine.start(&id).await?;
        self.finish_start(index).await
    }

    /// Create (not start) node `index`'s container, joining `join`; its id.
    pub(crate) async fn create_node_container(
        &mut self,
        index: usize,
        join: Option<usize>,
        membership: &Membership,
    ) -> Result<String> {
        let node = self.node(index)?.clone();
        self.nodes[index - 1].join = join;
        let join_identity = join.map(|j| self.nodes[j - 1].identity.clone());
        let spec = self.flavor.render(&RenderCtx {
            node: &node.identity,
            membership,
            version: &node.version,
            join: join_identity.as_ref(),
            tuning: &self.spec.tuning,
        })?;
        let mut env = spec.env.clone();
        env.extend(node.extra_env.iter().cloned());
        let req = ContainerRequest {
            name: node.container_name.clone(),
            image: spec.image.clone(),
            env,
            cmd: spec.cmd.clone(),
            labels: vec![(crate::docker::LABEL_NODE.into(), node.name().into())],
            role: "node".into(),
            hostname: Some(node.identity.hostname.clone()),
            network: Some((
                self.network.name.clone(),
                node.identity.ip,
                vec![node.identity.hostname.clone()],
            )),
            network_mode: None,
            volumes: vec![(node.volume.clone(), spec.data_path.clone())],
            publish: spec.ports.clone(),
            cap_add: vec![],
            memory_bytes: spec.memory_bytes,
            extra_hosts: vec![],
        };
        let id = self.engine.create_container(&req).await?;
        self.nodes[index - 1].container_id = Some(id.clone());
        if !spec.files.is_empty() {
            self.upload_files(&id, &spec.files).await?;
        }
        Ok(id)
    }

    /// Start a container [`Cluster::create_node_container`] made, and read its ports back.
    pub(crate) async fn finish_start(&mut self, index: usize) -> Result<()> {
        self.refresh_ports(index).await?;
        self.nodes[index - 1].state = NodeState::Running;
        self.configured.insert(index);
        let node = &self.nodes[index - 1];
        info!(node = node.name(), ip = %node.identity.ip, version = %node.version, "node started");
        Ok(())
    }

    pub(super) async fn upload_files(&self, id: &str, files: &[(String, String)]) -> Result<()> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, content) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(content.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path.trim_start_matches('/'), content.as_bytes())
                .map_err(|e| Error::io("tar", path, e))?;
        }
        let data = b.into_inner().map_err(|e| Error::io("tar", "files", e))?;
        let opts = bollard::query_parameters::UploadToContainerOptionsBuilder::new()
            .path("/")
            .build();
        self.engine
            .client()
            .upload_to_container(id, Some(opts), bollard::body_full(data.into()))
            .await
            .map_err(|e| Error::docker("upload files", e))
    }

    pub(crate) async fn refresh_ports(&mut self, index: usize) -> Result<()> {
        let Some(id) = self.nodes[index - 1].container_id.clone() else {
            return Ok(());
        };
        let ports = self.engine.inspect_ports(&id).await?;
        let http = self.flavor.http_port();
        let node = &mut self.nodes[index - 1];
        node.http_port = ports.iter().find(|p| p.container == http).map(|p| p.host);
        node.grpc_port = ports
            .iter()
            .find(|p| p.container == http + 1000)
            .map(|p| p.host);
        Ok(())
    }

    /// Observe every node once (concurrently) and record the observation.
    pub async fn observe(&mut self) -> Observation {
        // A node that is not part of the cluster (never started, or scaled in and removed)
        // is not observed: it is not a member anyone should wait for or judge.
        let members: Vec<&super::Node> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| {
                n.state != NodeState::Absent
                    || self.configured.contains(&(i + 1))
                    || self.configured.is_empty()
            })
            .map(|(_, n)| n)
            .collect();
        let futures = members.iter().map(|n| {
            let mut paths = self.flavor.raft_paths(&n.version);
            // The upgrade-state answer (official 2.0.x/2.1.x) rides along, last.
            paths.extend(self.flavor.upgrade_state_path(&n.version));
            let url = n.base_url().filter(|_| n.state == NodeState::Running);
            let down = format!("{:?}", n.state).to_lowercase();
            ask_node(self.http.clone(), url.ok_or(down), paths)
        });
        let results = join_all(futures).await;
        let mut nodes = vec![];
        let mut upgrade = std::collections::BTreeMap::new();
        for (n, r) in members.iter().zip(results) {
            let peer_id = self.flavor.peer_id(&n.identity, self.spec.identity);
            let (groups, error) = match r {
                Err(state) => (vec![], Some(state)),
                Ok(mut answers) => {
                    if let Some(s) = self.take_upgrade_state(n, &mut answers) {
                        upgrade.insert(n.name().to_string(), s);
                    }
                    self.parse_node(n, &answers)
                }
            };
            nodes.push(NodeObservation {
                node: n.name().into(),
                peer_id,
                groups,
                error,
            });
        }
        // Leaders the server keeps naming after they are gone are withdrawn here, with the
        // evidence of every node at once (official flavor: `flavor/official/live.rs`).
        self.flavor.confirm_leaders(&mut nodes);
        let obs = Observation {
            at_ms: self.now_ms(),
            wall: SystemTime::now(),
            upgrade,
            nodes,
        };
        self.observations.push(obs.clone());
        obs
    }

    /// Remove the upgrade-state answer from `answers` (where the flavor reads one) and parse
    /// it; a node without one is logged at DEBUG and left out.
    fn take_upgrade_state(
        &self,
        n: &super::Node,
        answers: &mut Vec<HttpAnswer>,
    ) -> Option<crate::record::UpgradeState> {
        let p = self.flavor.upgrade_state_path(&n.version)?;
        let at = answers.iter().rposition(|a| a.path == p)?;
        let a = answers.remove(at);
        self.flavor
            .parse_upgrade_state(&n.version, &n.identity, &a)
            .inspect_err(|e| tracing::debug!(node = n.name(), error = %e, "no upgrade state"))
            .ok()
    }

    /// A node's groups from its Raft answers, or why there are none (unreachable, unparsable).
    fn parse_node(
        &self,
        n: &super::Node,
        answers: &[HttpAnswer],
    ) -> (Vec<crate::record::GroupView>, Option<String>) {
        if let Some(a) = answers.iter().find(|a| a.status == 0) {
            return (vec![], Some(format!("unreachable: {}", a.body)));
        }
        match self.flavor.parse_raft(&n.version, &n.identity, answers) {
            Ok(g) => (g, None),
            Err(e) => (vec![], Some(e.to_string())),
        }
    }

    /// Poll `cond` on a fresh observation every [`POLL`](crate::poll::POLL) until it yields a value or the
    /// deadline passes.
    pub async fn wait_until<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&Observation) -> std::result::Result<T, String>,
    ) -> Result<(T, Duration)> {
        let mut poll = Poll::new(what, timeout);
        loop {
            let obs = self.observe().await;
            match cond(&obs) {
                Ok(v) => return Ok((v, poll.elapsed())),
                Err(why) => poll.next(why).await?,
            }
        }
    }

    /// Wait until every Raft group has an agreed leader.
    pub async fn wait_for_leader(&mut self, timeout: Duration) -> Result<LeaderReport> {
        let groups = self.expected_groups();
        let from_ms = self.now_ms();
        let ((groups, observation), elapsed) = self
            .wait_until("an agreed leader in every raft group", timeout, |obs| {
                let a = agreements(obs, &groups);
                match a.iter().find(|(_, v)| v.leader().is_none()) {
                    Some((g, Agreement::NotAgreed(why))) => Err(format!("{g}: {why}")),
                    _ => Ok((a, obs.clone())),
                }
            })
            .await?;
        Ok(LeaderReport {
            elapsed,
            attempts: 1,
            from_ms,
            groups,
            observation,
        })
    }

    /// Wait until the leader counts every node as a voter and no node is a non-voter.
    pub async fn wait_for_voters(&mut self, timeout: Duration) -> Result<()> {
        let expected = self.all_peers();
        let groups = self.expected_groups();
        self.wait_until("every node to be a voting member", timeout, |obs| {
            for g in &groups {
                for n in &obs.nodes {
                    let Some(v) = n.group(g) else {
                        return Err(format!("{} does not report {g}", n.node));
                    };
                    if v.role == Role::NonVoter {
                        return Err(format!(
                            "{} is a non-voter in {g} (term {:?}, its members {:?}; {})",
                            n.node,
                            v.term,
                            v.members,
                            leader_view(obs, g)
                        ));
                    }
                    if let Some(missing) = expected.iter().find(|p| !v.members.contains(p)) {
                        return Err(format!(
                            "{}'s view of {g} lacks member {missing} (it is {:?}, term {:?}, its members {:?}; {})",
                            n.node,
                            v.role,
                            v.term,
                            v.members,
                            leader_view(obs, g)
                        ));
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The groups this cluster's flavor and version run.
    pub fn expected_groups(&self) -> Vec<String> {
        self.flavor.groups(&self.spec.version)
    }

    /// The group a step means by "the leader" (a `leader` target, `leader_last`, a join): the
    /// flavor's primary group, the first it lists for this version (r-nacos: its only group;
    /// official: `naming_persistent_service`, or `naming_persistent_service_v2` where the
    /// version and mode run no 1.x group). Empty for a flavor that lists no group.
    pub fn leader_group(&self) -> String {
        self.expected_groups()
            .into_iter()
            .next()
            .unwrap_or_default()
    }
}

/// Every path of one node, in order: the answers (a transport failure is an answer with
/// status 0 and the error as its body), or the node's state where it is not running.
async fn ask_node(
    http: reqwest::Client,
    url: std::result::Result<String, String>,
    paths: Vec<String>,
) -> std::result::Result<Vec<HttpAnswer>, String> {
    let url = url?;
    let mut answers = vec![];
    for p in paths {
        let a = match http.get(format!("{url}{p}")).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                HttpAnswer {
                    path: p,
                    status,
                    body: r.text().await.unwrap_or_default(),
                }
            }
            Err(e) => HttpAnswer {
                path: p,
                status: 0,
                body: e.to_string(),
            },
        };
        answers.push(a);
    }
    Ok(answers)
}

/// "leader nK members [..] learners [..]" for error texts, or "no leader".
fn leader_view(obs: &Observation, group: &str) -> String {
    obs.nodes
        .iter()
        .find_map(|n| {
            let g = n.group(group).filter(|g| g.role == Role::Leader)?;
            Some(format!(
                "leader {} members {:?} learners {:?}",
                n.node, g.members, g.learners
            ))
        })
        .unwrap_or_else(|| "no leader".into())
}

/// Has `peer` joined as a voter under a leader (or, for the bootstrap node, become leader)?
pub(super) fn joined(
    obs: &Observation,
    group: &str,
    peer: &str,
    bootstrap: bool,
) -> std::result::Result<(), String> {
    let me = obs
        .nodes
        .iter()
        .find(|n| n.peer_id == peer)
        .ok_or_else(|| format!("{peer} not observed"))?;
    if let Some(e) = &me.error {
        return Err(format!("{}: {e}", me.node));
    }
    let g = me
        .group(group)
        .ok_or_else(|| format!("{} reports no raft group {group}", me.node))?;
    if bootstrap {
        return if g.role == Role::Leader {
            Ok(())
        } else {
            Err(format!("{} is {:?}", me.node, g.role))
        };
    }
    if g.role != Role::Follower && g.role != Role::Leader {
        return Err(format!(
            "{} is {:?} (term {:?}, leader {:?}, its members {:?}; {})",
            me.node,
            g.role,
            g.term,
            g.leader,
            g.members,
            leader_view(obs, &g.group)
        ));
    }
    if !g.members.iter().any(|m| m == peer) {
        return Err(format!("{} not yet a voting member", me.node));
    }
    Ok(())
}

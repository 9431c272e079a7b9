//! Reading raft state from the cluster APIs: unwrap the v1 (`code:200`) and v2/v3 (`code:0`)
//! envelopes, and turn last-known `raftMetaData` into [`GroupView`]s that never name a leader
//! known to be gone.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::paths::{Gen, Kind, check_status, classify, protocol, raft_paths, snippet};
use super::readiness::{Readiness, readiness};
use super::version::NacosVersion;
use super::{HTTP_PORT, RAFT_PORT};
use crate::error::{Error, Result};
use crate::flavor::{GroupView, HttpAnswer, NodeIdentity, Role};

/// JRaft port = HTTP port − 1000 (`MemberUtil.calculateRaftPort`).
const RAFT_OFFSET: u32 = (HTTP_PORT - RAFT_PORT) as u32;

fn json(node: &str, a: &HttpAnswer) -> Result<serde_json::Value> {
    serde_json::from_str(&a.body).map_err(|e| {
        protocol(
            node,
            &a.path,
            format!("body is not JSON ({e}): {}", snippet(&a.body)),
        )
    })
}

/// Unwrap `{"code":200|0,"data":...}` (v1 `RestResult` / v2-v3 `Result`) into `T`.
fn envelope<T: DeserializeOwned>(node: &str, a: &HttpAnswer, g: Gen) -> Result<T> {
    if a.status != 200 {
        return Err(protocol(
            node,
            &a.path,
            format!("HTTP {}: {}", a.status, snippet(&a.body)),
        ));
    }
    let mut v = json(node, a)?;
    let ok_code = if g == Gen::V1 { 200 } else { 0 };
    let code = v.get("code").and_then(|c| c.as_i64());
    if code != Some(ok_code) {
        let msg = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
        return Err(protocol(
            node,
            &a.path,
            format!("envelope code {code:?} (expected {ok_code}): {msg}"),
        ));
    }
    let data = v.get_mut("data").map(serde_json::Value::take);
    let data = data
        .filter(|d| !d.is_null())
        .ok_or_else(|| protocol(node, &a.path, "envelope has no data"))?;
    serde_json::from_value(data)
        .map_err(|e| protocol(node, &a.path, format!("data is not a Nacos Member ({e})")))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    ip: String,
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    extend_info: Option<ExtendInfo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtendInfo {
    #[serde(default)]
    raft_meta_data: Option<RaftMetaData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RaftMetaData {
    #[serde(default)]
    meta_data_map: BTreeMap<String, GroupMeta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupMeta {
    #[serde(default)]
    leader: Option<String>,
    #[serde(default)]
    term: Option<u64>,
    #[serde(default)]
    raft_group_member: Vec<String>,
    #[serde(default)]
    err_msg: Option<String>,
}

impl Member {
    /// HTTP port: `port`, else the port in `address`, else 8848.
    fn http_port(&self) -> u32 {
        self.port
            .or_else(|| {
                let a = self.address.as_deref()?;
                a.rsplit_once(':')?.1.parse().ok()
            })
            .unwrap_or(u32::from(HTTP_PORT))
    }
    fn addr(&self) -> String {
        self.address
            .clone()
            .unwrap_or_else(|| format!("{}:{}", self.ip, self.http_port()))
    }
    /// JRaft peer id: `<ip>:<port - 1000>` (`MemberUtil.calculateRaftPort`).
    fn raft_peer(&self) -> String {
        format!(
            "{}:{}",
            self.ip,
            self.http_port().saturating_sub(RAFT_OFFSET)
        )
    }
    fn state(&self) -> &str {
        self.state.as_deref().unwrap_or("UNKNOWN")
    }
}
/// Why a last-known leader must not be reported, or None if it may be (this node's answers
/// alone; [`super::live`] then asks for evidence across nodes).
///
/// Readiness only refuses: a node that is not ready has not started or never saw a leader.
/// "Ready" is no evidence of a live leader (see [`super::readiness`]).
fn distrust(
    leader: &str,
    my_peer: &str,
    meta: &GroupMeta,
    list: &[Member],
    ready: &Readiness,
) -> Option<String> {
    if let Some(e) = meta.err_msg.as_deref().filter(|e| !e.is_empty()) {
        return Some(format!("the group reports a raft error: {e}"));
    }
    if let Readiness::NotReady(why) = ready {
        return Some(format!("this node is not ready: {why}"));
    }
    if leader == my_peer {
        // A node naming itself must see a quorum: peers it cannot reach turn SUSPICIOUS on
        // the first failed member report and DOWN after `nacos.core.member.fail-access-cnt`
        // (`core/.../cluster/MemberUtil.onFail` @2.4.1), while its own leader name is never
        // cleared (`NacosStateMachine` @2.4.1 publishes nothing on leader stop).
        let up = list.iter().filter(|m| m.state() == "UP").count();
        let majority = list.len() / 2 + 1;
        if up < majority {
            return Some(format!(
                "this node names itself leader but sees only {up} of {} members UP [{}]",
                list.len(),
                list.iter()
                    .map(|m| format!("{} {}", m.addr(), m.state()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let Some((host, port)) = leader.rsplit_once(':') else {
        return Some("leader id has no port".into());
    };
    let Ok(raft_port) = port.parse::<u32>() else {
        return Some("leader id has a non-numeric port".into());
    };
    let http_port = raft_port.saturating_add(RAFT_OFFSET);
    let member = list
        .iter()
        .find(|m| m.ip == host && m.http_port() == http_port);
    match member {
        None => Some(format!(
            "no member {host}:{http_port} in this node's member list [{}]",
            list.iter().map(Member::addr).collect::<Vec<_>>().join(", ")
        )),
        Some(m) if m.state() != "UP" => Some(format!(
            "its member {} is {} in this node's member list",
            m.addr(),
            m.state()
        )),
        Some(_) => None,
    }
}

fn self_matches(node: &NodeIdentity, ip: &str) -> bool {
    ip == node.ip.to_string()
        || ip == node.hostname
        || ip
            .strip_prefix(node.hostname.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
}

// Over 80 lines for now: src/flavor/official is being extended on another branch; split
// after that merges.
pub(super) fn parse_raft(
    version: &str,
    node: &NodeIdentity,
    answers: &[HttpAnswer],
) -> Result<Vec<GroupView>> {
    let v = NacosVersion::parse(version)?;
    let name = node.hostname.as_str();
    let mut me: Option<Member> = None;
    let mut list: Option<Vec<Member>> = None;
    let mut ready: Option<Readiness> = None;
    for a in answers {
        let Some((kind, g)) = classify(&a.path) else {
            return Err(protocol(
                name,
                &a.path,
                format!(
                    "not a cluster or readiness path the official flavor knows (expected {:?})",
                    raft_paths(version)
                ),
            ));
        };
        check_status(name, v, a, kind, g)?;
        let dup = match kind {
            Kind::SelfMember => me.replace(envelope(name, a, g)?).is_some(),
            Kind::NodeList => list.replace(envelope(name, a, g)?).is_some(),
            Kind::Readiness => ready.replace(readiness(name, v, a, g)?).is_some(),
        };
        if dup {
            return Err(protocol(
                name,
                &a.path,
                "answer given twice for the same probe",
            ));
        }
    }
    let missing = |what: &str| Error::Protocol {
        node: name.to_string(),
        what: "raft probe".into(),
        detail: format!(
            "no {what} answer among {answers_n} answers",
            answers_n = answers.len()
        ),
    };
    let me = me.ok_or_else(|| missing("cluster self"))?;
    let list = list.ok_or_else(|| missing("cluster node list"))?;
    let ready = ready.ok_or_else(|| missing("readiness"))?;
    if !self_matches(node, &me.ip) {
        return Err(protocol(
            name,
            "cluster self",
            format!(
                "the answering server is {} but this node is {} / {}: wrong node probed?",
                me.ip, node.hostname, node.ip
            ),
        ));
    }
    let my_peer = me.raft_peer();
    let groups = me
        .extend_info
        .and_then(|e| e.raft_meta_data)
        .map(|r| r.meta_data_map)
        .unwrap_or_default();
    let views = groups
        .into_iter()
        .map(|(group, meta)| {
            let named = meta.leader.clone().filter(|l| !l.is_empty());
            let (leader, discarded_leader) = match named {
                None => (None, None),
                Some(l) => match distrust(&l, &my_peer, &meta, &list, &ready) {
                    None => (Some(l), None),
                    Some(why) => (
                        None,
                        Some(format!("{l} (last-known leader discarded: {why})")),
                    ),
                },
            };
            let role = match &leader {
                Some(l) if *l == my_peer => Role::Leader,
                Some(_) => Role::Follower,
                None => Role::Unknown,
            };
            GroupView {
                group,
                role,
                term: meta.term,
                leader,
                members: meta.raft_group_member,
                learners: Vec::new(),
                discarded_leader,
            }
        })
        .collect();
    Ok(views)
}

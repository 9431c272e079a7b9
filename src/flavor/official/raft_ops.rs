//! Official Nacos's Raft operations API: the request an `admin` step sends and how its
//! answer is judged.
//!
//! Read from alibaba/nacos source:
//! - `core/.../controller/CoreOpsController.java` @1.4.1, 2.0.4, 2.4.1, 3.0.3:
//!   `POST /nacos/v1/core/ops/raft` with a JSON body `{groupId?, command, value}` (a
//!   `Map<String, String>`), answering a `RestResult` (`{"code":200,...}` on success,
//!   `RestResultUtils.failed` = `{"code":500,"message":<why>}`, both with HTTP 200).
//!   3.0.3 marks it `@Deprecated` with `@Compatibility(alternatives = "POST
//!   {contextPath:nacos}/v3/admin/core/ops/raft")`, so 3.x answers 410 there by default.
//! - `core/.../controller/v3/CoreOpsControllerV3.java` + `model/form/v3/RaftCommandForm.java`
//!   @3.0.3: `POST /nacos/v3/admin/core/ops/raft`, same three fields, but it answers
//!   `Result.success(execute(..).getData())`: code 0 even when the command failed (the
//!   failure's message is dropped). A 3.x answer therefore cannot show a refusal.
//! - `core/.../distributed/raft/JRaftMaintainService.java` @2.4.1: without `groupId` the
//!   command runs on every Raft group in turn and stops at the first failure.
//! - `core/.../distributed/raft/utils/JRaftConstants.java` + `JRaftOps.java` @1.4.1, 2.0.4,
//!   2.4.1, 3.0.3: commands `transferLeader` (value: the new leader's `ip:raft_port`),
//!   `doSnapshot` (value: the peer that snapshots), `restRaftCluster` — spelled so in every
//!   version; the comments' `resetRaftCluster` is answered "Not support command" — (value:
//!   the new peer list, comma separated; `cliService.changePeers`), `removePeer` (value: one
//!   peer; success when it is already gone), `removePeers`, `changePeers`; `resetPeers`
//!   from 2.2.0.
//!
//! ```
//! use nacos_chaos::flavor::official::raft_ops::{RaftOp, request};
//! let r = request("2.4.1", RaftOp::TransferLeader, Some("n2:7848"), &[]).unwrap();
//! assert_eq!(r.path, "/nacos/v1/core/ops/raft");
//! assert_eq!(r.body, r#"{"command":"transferLeader","value":"n2:7848"}"#);
//! ```

use serde::Deserialize;

use super::version::NacosVersion;
use crate::error::{Error, Result};

/// v1 path (1.4.1 – 2.x; 3.x only with its compatibility switch on).
pub const V1_PATH: &str = "/nacos/v1/core/ops/raft";
/// v3 admin path (3.x).
pub const V3_PATH: &str = "/nacos/v3/admin/core/ops/raft";

/// An operation an `admin` step can ask of official Nacos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaftOp {
    /// `transferLeader`: make the named node lead every group.
    TransferLeader,
    /// `doSnapshot`: the named node (default: the one asked) saves a snapshot of every group.
    Snapshot,
    /// `restRaftCluster`: set every group's peers to the configured nodes (without the named
    /// one, if any).
    ResetRaftCluster,
    /// `removePeer`: remove the named node from every group.
    RemovePeer,
}

impl std::str::FromStr for RaftOp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "transfer_leader" => RaftOp::TransferLeader,
            "snapshot" => RaftOp::Snapshot,
            "reset_raft_cluster" => RaftOp::ResetRaftCluster,
            "remove_peer" => RaftOp::RemovePeer,
            other => {
                return Err(Error::Config(format!(
                    "official admin op '{other}' is unknown\n  fix: use transfer_leader, \
                     snapshot, reset_raft_cluster or remove_peer"
                )));
            }
        })
    }
}

impl RaftOp {
    /// The server's command name (`JRaftConstants`).
    ///
    /// ```
    /// use nacos_chaos::flavor::official::raft_ops::RaftOp;
    /// assert_eq!(RaftOp::ResetRaftCluster.command(), "restRaftCluster");
    /// ```
    pub fn command(self) -> &'static str {
        match self {
            RaftOp::TransferLeader => "transferLeader",
            RaftOp::Snapshot => "doSnapshot",
            RaftOp::ResetRaftCluster => "restRaftCluster",
            RaftOp::RemovePeer => "removePeer",
        }
    }

    /// Does the op need a node named (its value is that node's peer id)?
    pub fn needs_node(self) -> bool {
        matches!(self, RaftOp::TransferLeader | RaftOp::RemovePeer)
    }
}

/// A rendered Raft ops request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsRequest {
    /// Path on the node it is sent to.
    pub path: String,
    /// JSON body.
    pub body: String,
}

/// Render the request for `op` at `version`. `target` is the peer id (`addr:7848`) of the
/// node the op is about; `peers` the configured peer ids (for `reset_raft_cluster`).
/// Every group is addressed (no `groupId`).
///
/// ```
/// use nacos_chaos::flavor::official::raft_ops::{RaftOp, request};
/// let peers = ["a:7848".to_string(), "b:7848".to_string()];
/// let r = request("3.0.3", RaftOp::ResetRaftCluster, None, &peers).unwrap();
/// assert_eq!(r.path, "/nacos/v3/admin/core/ops/raft");
/// assert!(r.body.contains(r#""value":"a:7848,b:7848""#));
/// assert!(request("2.4.1", RaftOp::RemovePeer, None, &peers).is_err());
/// ```
pub fn request(
    version: &str,
    op: RaftOp,
    target: Option<&str>,
    peers: &[String],
) -> Result<OpsRequest> {
    let v = NacosVersion::supported(version)?;
    let value = match (op, target) {
        (RaftOp::ResetRaftCluster, _) if peers.is_empty() => {
            return Err(Error::Config(
                "admin reset_raft_cluster: no configured peers to reset the groups to\n  fix: \
                 run it after `start`"
                    .into(),
            ));
        }
        (RaftOp::ResetRaftCluster, _) => peers.join(","),
        (_, Some(t)) => t.to_string(),
        (_, None) => {
            return Err(Error::Config(format!(
                "admin {}: the op is about one node and none is named\n  fix: add node = \"n2\" \
                 to the step",
                op.command()
            )));
        }
    };
    let body = serde_json::json!({ "command": op.command(), "value": value });
    Ok(OpsRequest {
        path: if v.is_v3() { V3_PATH } else { V1_PATH }.into(),
        body: body.to_string(),
    })
}

/// The `code` of a body shaped like Nacos's `RestResult` (a JSON object with an integer
/// `code`, a `message` or `data` key, and no `success` key); `None` for any other body.
///
/// ```
/// use nacos_chaos::flavor::official::raft_ops::rest_result_code;
/// assert_eq!(rest_result_code(r#"{"code":500,"message":"x"}"#), Some(500));
/// assert_eq!(rest_result_code(r#"{"success":true,"code":500,"data":1}"#), None);
/// assert_eq!(rest_result_code("true"), None);
/// ```
pub fn rest_result_code(body: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let o = v.as_object()?;
    if o.contains_key("success") || !(o.contains_key("message") || o.contains_key("data")) {
        return None;
    }
    o.get("code")?.as_i64()
}

#[derive(Debug, Deserialize)]
struct Answer {
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// How the server answered an ops request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The command ran (`code` 200; 3.x: code 0, which it also answers for a refusal).
    Accepted,
    /// The server refused it, with its reason.
    Refused(String),
}

/// Judge an ops answer (HTTP status and body) at `version`.
///
/// ```
/// use nacos_chaos::flavor::official::raft_ops::{Verdict, judge};
/// assert_eq!(judge("2.4.1", 200, r#"{"code":200,"message":null,"data":null}"#), Verdict::Accepted);
/// assert!(matches!(judge("2.4.1", 200, r#"{"code":500,"message":"Not support command : x","data":null}"#), Verdict::Refused(m) if m.contains("Not support")));
/// assert!(matches!(judge("3.0.3", 410, "gone"), Verdict::Refused(_)));
/// ```
pub fn judge(version: &str, status: u16, body: &str) -> Verdict {
    if !(200..300).contains(&status) {
        return Verdict::Refused(format!("HTTP {status}: {}", body.trim()));
    }
    let v3 = super::version::lenient_is_v3(version);
    match serde_json::from_str::<Answer>(body) {
        Ok(Answer {
            code: Some(200), ..
        }) => Verdict::Accepted,
        Ok(Answer { code: Some(0), .. }) if v3 => Verdict::Accepted,
        Ok(Answer { code, message }) => Verdict::Refused(format!(
            "code {}: {}",
            code.map_or("none".into(), |c| c.to_string()),
            message.unwrap_or_default()
        )),
        Err(_) => Verdict::Refused(format!("not a RestResult: {}", body.trim())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_renders_its_command_and_value() {
        let peers = vec!["10.0.0.11:7848".to_string(), "10.0.0.12:7848".to_string()];
        let t = Some("10.0.0.13:7848");
        let body = |op| request("2.4.1", op, t, &peers).unwrap().body;
        assert_eq!(
            body(RaftOp::TransferLeader),
            r#"{"command":"transferLeader","value":"10.0.0.13:7848"}"#
        );
        assert_eq!(
            body(RaftOp::Snapshot),
            r#"{"command":"doSnapshot","value":"10.0.0.13:7848"}"#
        );
        assert_eq!(
            body(RaftOp::RemovePeer),
            r#"{"command":"removePeer","value":"10.0.0.13:7848"}"#
        );
        assert_eq!(
            body(RaftOp::ResetRaftCluster),
            r#"{"command":"restRaftCluster","value":"10.0.0.11:7848,10.0.0.12:7848"}"#
        );
    }

    #[test]
    fn the_path_follows_the_api_generation_and_unsupported_versions_are_refused() {
        let p = |v| request(v, RaftOp::Snapshot, Some("a:7848"), &[]).map(|r| r.path);
        assert_eq!(p("1.4.1").unwrap(), V1_PATH);
        assert_eq!(p("2.0.4").unwrap(), V1_PATH);
        assert_eq!(p("3.0.3").unwrap(), V3_PATH);
        assert!(p("1.3.0").is_err());
    }

    #[test]
    fn unknown_ops_and_missing_nodes_say_how_to_fix_them() {
        let e = "reset".parse::<RaftOp>().unwrap_err().to_string();
        assert!(
            e.contains("fix:") && e.contains("reset_raft_cluster"),
            "{e}"
        );
        let e = request("2.4.1", RaftOp::TransferLeader, None, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("node = "), "{e}");
        let e = request("2.4.1", RaftOp::ResetRaftCluster, None, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("fix:"), "{e}");
    }

    #[test]
    fn a_v2_code_zero_is_not_success_but_a_v3_one_is() {
        assert!(matches!(
            judge("2.4.1", 200, r#"{"code":0}"#),
            Verdict::Refused(_)
        ));
        assert_eq!(
            judge(
                "3.0.3",
                200,
                r#"{"code":0,"message":"success","data":null}"#
            ),
            Verdict::Accepted
        );
        assert!(matches!(judge("2.4.1", 200, "true"), Verdict::Refused(_)));
    }
}

//! Official Nacos's Raft reset operation, as the rehearsal's `raft-reset` fix sends it.
//!
//! Derived from alibaba/nacos source (not copied):
//! - `core/.../distributed/raft/utils/JRaftConstants.java` @1.3.0, @2.4.1, @3.0.3:
//!   `RESET_RAFT_CLUSTER = "restRaftCluster"` — the wire value really is spelled without
//!   the `e` (comments and docs say "resetRaftCluster", which answers "Not support command").
//! - `core/.../distributed/raft/utils/JRaftOps.java` @2.4.1: `RESET_RAFT_CLUSTER` runs
//!   `cliService.changePeers(group, node.initialConf, parse(value))`, so it needs a leader.
//! - `core/.../distributed/raft/JRaftMaintainService.java` @2.4.1: without `groupId` the
//!   command runs on every group of the node, stopping at the first failure.
//! - `core/.../controller/CoreOpsController.java` @1.3.0..@2.4.1: `POST /nacos/v1/core/ops/raft`
//!   with a JSON `Map<String,String>` body (`command`, `value`, optional `groupId`); the answer
//!   is a RestResult (`code` 200 on success, 500 and the JRaft message otherwise).
//! - `core/.../controller/v3/CoreOpsControllerV3.java` @3.0.3: `POST /nacos/v3/admin/core/ops/raft`
//!   (the v1 path is an ADMIN_API there, refused unless compatibility is switched on).
//!   3.x reports a failed command as `code 0, data null`, so success is judged by the
//!   leader coming back, not by the answer.
//! - Before 1.3.0 there is no JRaft and no such operation.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::flavor::official::NacosVersion;

/// The command's wire value (sic).
pub const COMMAND: &str = "restRaftCluster";

/// One HTTP request of the operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetRequest {
    /// Path on a node's HTTP port.
    pub path: String,
    /// JSON body.
    pub body: String,
}

/// The request that resets every Raft group of a node of `version` to `peers` (`ip:7848`).
///
/// ```
/// use nacos_chaos::rehearse::raft_reset::request;
/// let r = request("2.4.1", &["10.0.0.1:7848".into(), "10.0.0.2:7848".into()]).unwrap();
/// assert_eq!(r.path, "/nacos/v1/core/ops/raft");
/// assert_eq!(r.body, r#"{"command":"restRaftCluster","value":"10.0.0.1:7848,10.0.0.2:7848"}"#);
/// assert!(request("1.2.1", &[]).unwrap_err().to_string().contains("1.3.0"));
/// ```
pub fn request(version: &str, peers: &[String]) -> Result<ResetRequest> {
    let v = NacosVersion::parse(version)?;
    if !v.at_least(1, 3, 0) {
        return Err(Error::Unsupported {
            flavor: "official".into(),
            what: "a Raft reset operation".into(),
            why: format!(
                "Nacos {version} predates JRaft (1.3.0): it has no restRaftCluster operation"
            ),
        });
    }
    let path = if v.is_v3() {
        "/nacos/v3/admin/core/ops/raft"
    } else {
        "/nacos/v1/core/ops/raft"
    };
    let body = serde_json::json!({ "command": COMMAND, "value": peers.join(",") });
    Ok(ResetRequest {
        path: path.into(),
        body: body.to_string(),
    })
}

/// Did a node accept the command? A RestResult with `code` 200 (2.x), or `code` 0 with
/// non-null `data` (3.x `Result`); anything else is a refusal, quoted by the caller.
///
/// ```
/// use nacos_chaos::rehearse::raft_reset::accepted;
/// assert!(accepted(200, r#"{"code":200,"message":null,"data":null}"#));
/// assert!(!accepted(200, r#"{"code":500,"message":"Fail to get leader of group naming_persistent_service_v2","data":null}"#));
/// assert!(!accepted(200, r#"{"code":0,"message":"success","data":null}"#));
/// ```
pub fn accepted(status: u16, body: &str) -> bool {
    let Ok(j) = serde_json::from_str::<serde_json::Value>(body) else {
        return false;
    };
    (200..300).contains(&status)
        && match j["code"].as_i64() {
            Some(200) => true,
            Some(0) => !j["data"].is_null(),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::first_jraft("1.3.0", "/nacos/v1/core/ops/raft")]
    #[case::v1_4("1.4.1", "/nacos/v1/core/ops/raft")]
    #[case::v2_hotfix("2.4.0.1", "/nacos/v1/core/ops/raft")]
    #[case::v3("3.0.3", "/nacos/v3/admin/core/ops/raft")]
    fn path_follows_the_version(#[case] version: &str, #[case] path: &str) {
        let r = request(version, &["a:7848".into()]).unwrap();
        assert_eq!(r.path, path);
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["command"], "restRaftCluster");
        assert_eq!(body["value"], "a:7848");
        assert!(
            body.get("groupId").is_none(),
            "every group, not one: {body}"
        );
    }

    #[test]
    fn before_jraft_it_is_unsupported_with_the_reason() {
        let e = request("1.2.1", &[]).unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
        assert!(request("latest", &[]).is_err());
    }

    #[test]
    fn refusals_are_not_accepted() {
        assert!(!accepted(403, r#"{"code":200}"#));
        assert!(!accepted(200, "<html>"));
        assert!(!accepted(
            200,
            r#"{"code":500,"message":"Not support command : resetRaftCluster"}"#
        ));
        assert!(accepted(
            200,
            r#"{"code":0,"message":"success","data":"ok"}"#
        ));
    }
}

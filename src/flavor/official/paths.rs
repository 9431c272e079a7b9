//! Probe paths per API generation, answer classification, and the status checks (transport
//! failure, 3.x 410 compatibility switches, auth) shared by every probe.

use super::version::{NacosVersion, lenient_is_v3};
use crate::error::{Error, Result};
use crate::flavor::HttpAnswer;

// 2.x uses the v1 controller: it exists unchanged in every 2.x release the contract covers,
// and v1 readiness answers HTTP 500 when not ready (a status the harness can see without
// parsing). The v2 paths are parsed as well, for callers that probe them.
const V1_SELF: &str = "/nacos/v1/core/cluster/self";
const V1_NODES: &str = "/nacos/v1/core/cluster/nodes";
const V1_READY: &str = "/nacos/v1/console/health/readiness";
const V2_SELF: &str = "/nacos/v2/core/cluster/node/self";
const V2_NODES: &str = "/nacos/v2/core/cluster/node/list";
const V2_READY: &str = "/nacos/v2/console/health/readiness";
// 3.x answers 410 on the v1/v2 cluster and console paths by default (compatibility switches).
const V3_SELF: &str = "/nacos/v3/admin/core/cluster/node/self";
const V3_NODES: &str = "/nacos/v3/admin/core/cluster/node/list";
const V3_READY: &str = "/nacos/v3/admin/core/state/readiness";

pub(super) fn raft_paths(version: &str) -> Vec<String> {
    let p: [&str; 3] = if lenient_is_v3(version) {
        [V3_SELF, V3_NODES, V3_READY]
    } else {
        [V1_SELF, V1_NODES, V1_READY]
    };
    p.iter().map(|s| s.to_string()).collect()
}

pub(super) fn readiness_path(version: &str) -> &'static str {
    if lenient_is_v3(version) {
        V3_READY
    } else {
        V1_READY
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    SelfMember,
    NodeList,
    Readiness,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gen {
    V1,
    V2,
    V3,
}

pub(super) fn classify(path: &str) -> Option<(Kind, Gen)> {
    let bare = path.split(['?', '#']).next().unwrap_or(path);
    let bare = bare.trim_end_matches('/');
    Some(match bare {
        V1_SELF => (Kind::SelfMember, Gen::V1),
        V1_NODES => (Kind::NodeList, Gen::V1),
        V1_READY => (Kind::Readiness, Gen::V1),
        V2_SELF => (Kind::SelfMember, Gen::V2),
        V2_NODES => (Kind::NodeList, Gen::V2),
        V2_READY => (Kind::Readiness, Gen::V2),
        V3_SELF => (Kind::SelfMember, Gen::V3),
        V3_NODES => (Kind::NodeList, Gen::V3),
        V3_READY => (Kind::Readiness, Gen::V3),
        _ => return None,
    })
}

pub(super) fn protocol(node: &str, path: &str, detail: impl Into<String>) -> Error {
    Error::Protocol {
        node: node.to_string(),
        what: format!("GET {path}"),
        detail: detail.into(),
    }
}

pub(super) fn snippet(body: &str) -> String {
    let t = body.trim();
    match t.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

/// The 410 a 3.x server gives on a v1/v2 path whose compatibility switch is off.
fn gone(node: &str, a: &HttpAnswer, kind: Kind) -> Error {
    let from_body = a.body.find("nacos.core.api.compatibility.").and_then(|i| {
        let rest = &a.body[i..];
        rest.find(".enabled")
            .map(|j| rest[..j + ".enabled".len()].to_string())
    });
    let switch = from_body.unwrap_or_else(|| {
        // /v1/console/** and /v1/core/cluster/nodes are CONSOLE_API; the rest is ADMIN_API.
        if a.path.starts_with("/nacos/v1/console/") || a.path.starts_with(V1_NODES) {
            "nacos.core.api.compatibility.console.enabled".to_string()
        } else {
            "nacos.core.api.compatibility.admin.enabled".to_string()
        }
    });
    let v3 = match kind {
        Kind::SelfMember => V3_SELF,
        Kind::NodeList => V3_NODES,
        Kind::Readiness => V3_READY,
    };
    protocol(
        node,
        &a.path,
        format!(
            "HTTP 410 Gone: Nacos 3.x disables this v1/v2 API because the compatibility switch \
             `{switch}` is off (its 3.x default is false); probe `{v3}` instead (what the \
             official flavor uses for 3.x) or start the server with `{switch}=true`"
        ),
    )
}

/// Status checks shared by every answer: transport failure, 410, auth.
pub(super) fn check_status(
    node: &str,
    v: NacosVersion,
    a: &HttpAnswer,
    kind: Kind,
    g: Gen,
) -> Result<()> {
    match a.status {
        0 => Err(protocol(
            node,
            &a.path,
            format!("transport failure (no HTTP answer): {}", snippet(&a.body)),
        )),
        410 if v.is_v3() && g != Gen::V3 => Err(gone(node, a, kind)),
        401 | 403 => Err(protocol(
            node,
            &a.path,
            format!(
                "HTTP {} (auth): the flavor renders auth off; on 3.x check \
                 NACOS_AUTH_ADMIN_ENABLE=false. Body: {}",
                a.status,
                snippet(&a.body)
            ),
        )),
        _ => Ok(()),
    }
}

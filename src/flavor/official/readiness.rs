//! Readiness answers (v1 plain text, v2/v3 `Result` JSON), and what they mean.
//!
//! Readiness says whether a node has *started*, never whether a group has a leader *now*:
//!
//! - 2.2.0–2.4.0.1: naming is UP once `PersistentServiceProcessor.hasLeader` is set
//!   (`naming/.../persistent/impl/PersistentServiceProcessor` @2.4.0.1), which is set from
//!   the leader metadata and never cleared;
//! - 2.4.1: UP iff `RouteTable.selectLeader(naming_persistent_service) != null`
//!   (`naming/.../cluster/ServerStatusManager` @2.4.1), and JRaft's
//!   `RouteTable.refreshLeader` (`jraft-core/.../RouteTable.java` @sofa-jraft v1.3.14) only
//!   ever replaces a leader on a successful answer — a failed refresh keeps the old one;
//! - 2.4.2+ and 3.x: `JRaftServer.isReady()` is `isStarted`, or with
//!   `nacos.core.protocol.raft.strictMode` a non-null `RouteTable` leader for every group
//!   (`core/.../raft/JRaftServer` @2.4.2) — the same sticky table.
//!
//! So once a node has seen a leader, readiness stays OK through a later quorum loss. The
//! flavor uses "not ready" to refuse a node's leader claims (it has not started, or never
//! saw a leader), and never uses "ready" as evidence that a leader is alive.

use super::paths::{Gen, Kind, check_status, classify, protocol, snippet};
use super::version::NacosVersion;
use crate::error::Result;
use crate::flavor::HttpAnswer;

/// A node's readiness as its readiness API reports it.
///
/// ```
/// use nacos_chaos::flavor::official::Readiness;
/// assert!(Readiness::Ready.is_ready());
/// assert!(!Readiness::NotReady("naming not in readiness".into()).is_ready());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// 200 `OK` / `{"code":0,"data":"ok"}`.
    Ready,
    /// Not ready, with the server's message (e.g. `naming not in readiness`).
    NotReady(String),
}

impl Readiness {
    /// True when ready.
    ///
    /// ```
    /// assert!(nacos_chaos::flavor::official::Readiness::Ready.is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        matches!(self, Readiness::Ready)
    }
}

/// What a readiness OK tells about raft on a version (module docs: the sources).
///
/// ```
/// use nacos_chaos::flavor::official::{NacosVersion, ReadyMeans, ready_means};
/// assert_eq!(ready_means(NacosVersion::new(2, 4, 1), false), ReadyMeans::StartedAndLeaderSeenOnce);
/// assert_eq!(ready_means(NacosVersion::new(2, 4, 2), false), ReadyMeans::Started);
/// assert!(!ready_means(NacosVersion::new(3, 0, 3), true).leader_now());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyMeans {
    /// The node started (2.4.2+ / 3.x without strict mode).
    Started,
    /// The node started and has seen a leader at least once since (≤2.4.1, or strict mode):
    /// the leader it saw may be long gone.
    StartedAndLeaderSeenOnce,
}

impl ReadyMeans {
    /// Whether a readiness OK shows a leader alive now: never, on any version.
    pub fn leader_now(self) -> bool {
        false
    }
}

/// What readiness OK means on `version`, with or without `strictMode` (2.4.2+ only).
pub fn ready_means(version: NacosVersion, strict_mode: bool) -> ReadyMeans {
    if !version.has_raft_strict_mode() || strict_mode {
        ReadyMeans::StartedAndLeaderSeenOnce
    } else {
        ReadyMeans::Started
    }
}

/// Parse a readiness answer from any of the v1 (`/nacos/v1/console/health/readiness`: 200 `OK`
/// or 500 `<modules> not in readiness`), v2 (200 with `code` 0 or 30000) or 3.x
/// (`/nacos/v3/admin/core/state/readiness`) paths. `node` names the server in errors.
/// Transport failures, 410 (3.x compatibility switch off), auth failures and unexpected
/// statuses are [`crate::Error::Protocol`].
///
/// ```
/// use nacos_chaos::flavor::HttpAnswer;
/// use nacos_chaos::flavor::official::{Readiness, parse_readiness};
/// let a = HttpAnswer {
///     path: "/nacos/v1/console/health/readiness".into(),
///     status: 500,
///     body: "naming not in readiness".into(),
/// };
/// assert_eq!(
///     parse_readiness("2.4.1", "n1", &a).unwrap(),
///     Readiness::NotReady("naming not in readiness".into())
/// );
/// ```
pub fn parse_readiness(version: &str, node: &str, a: &HttpAnswer) -> Result<Readiness> {
    let v = NacosVersion::parse(version)?;
    let g = match classify(&a.path) {
        Some((Kind::Readiness, g)) => g,
        _ => return Err(protocol(node, &a.path, "not a known readiness path")),
    };
    readiness(node, v, a, g)
}

pub(super) fn readiness(node: &str, v: NacosVersion, a: &HttpAnswer, g: Gen) -> Result<Readiness> {
    check_status(node, v, a, Kind::Readiness, g)?;
    if !matches!(a.status, 200 | 500 | 503) {
        return Err(protocol(
            node,
            &a.path,
            format!("HTTP {}: {}", a.status, snippet(&a.body)),
        ));
    }
    let unexpected = || {
        protocol(
            node,
            &a.path,
            format!(
                "HTTP {} with an unexpected readiness body: {}",
                a.status,
                snippet(&a.body)
            ),
        )
    };
    let text = match serde_json::from_str::<serde_json::Value>(&a.body) {
        // v2/v3 `Result`: code 0 (or v1-style 200) on HTTP 200 is ready; any other code is an
        // explicit "not ready" (v2 answers HTTP 200 with code 30000).
        Ok(serde_json::Value::Object(o)) => {
            let code = o
                .get("code")
                .and_then(|c| c.as_i64())
                .ok_or_else(unexpected)?;
            if a.status == 200 && matches!(code, 0 | 200) {
                return Ok(Readiness::Ready);
            }
            let msg = o
                .get("message")
                .and_then(|m| m.as_str())
                .filter(|m| !m.trim().is_empty() && *m != "success");
            return Ok(Readiness::NotReady(msg.map_or_else(
                || format!("HTTP {}, code {code}", a.status),
                str::to_string,
            )));
        }
        Ok(serde_json::Value::String(s)) => s.trim().to_string(),
        _ => snippet(&a.body),
    };
    // v1: plain text `OK`, or `<modules> not in readiness` (HTTP 500).
    match (a.status, text.as_str()) {
        (200, t) if t.eq_ignore_ascii_case("ok") => Ok(Readiness::Ready),
        (200, t) if !t.contains("not in readiness") => Err(unexpected()),
        (status, "") => Ok(Readiness::NotReady(format!("HTTP {status}"))),
        _ => Ok(Readiness::NotReady(text)),
    }
}

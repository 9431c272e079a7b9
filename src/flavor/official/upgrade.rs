//! The 1.x → 2.x upgrade state of a 2.0.x/2.1.x node.
//!
//! Nacos 2.0.x and 2.1.x keep 1.x and 2.x naming data side by side while a cluster still has
//! 1.x members ("double write"): `UpgradeJudgement`
//! (`naming/.../core/v2/upgrade/UpgradeJudgement.java` @2.0.4, 2.1.2) checks every 5 s whether
//! every member reports `readyToUpgrade`, then switches the node to the 2.x features
//! (`useGrpcFeatures`), and switches it back ("Downgrade to 1.X") when a member below 2.0
//! joins. Each node decides on its own, from its own member list: two nodes can disagree.
//! A standalone node starts upgraded. In 2.1.x the machinery runs only with
//! `nacos.core.support.upgrade.from.1x=true` (`EnvUtil.isSupportUpgradeFrom1X`, default
//! false @2.1.2); otherwise the node starts upgraded, like a standalone one.
//!
//! The state is read from `GET /nacos/v1/ns/upgrade/ops/metrics?json=true`
//! (`naming/.../controllers/UpgradeOpsController.metrics` @2.0.4, 2.1.2; not `@Secured`): a
//! bare JSON object (no `RestResult` envelope) with `upgraded`
//! (`UpgradeJudgement.isUseGrpcFeatures`), `isAll20XVersion` and `isDoubleWriteEnabled`
//! (`SwitchDomain.doubleWriteEnabled`, default true) among its counters. Tag 2.2.0 has
//! neither the controller nor the judgement.

use serde::Deserialize;

use super::paths::{protocol, snippet};
use super::version::NacosVersion;
use crate::error::Result;
use crate::flavor::{HttpAnswer, NodeIdentity, UpgradeState};

/// The upgrade-state path of 2.0.x/2.1.x.
///
/// ```
/// assert_eq!(nacos_chaos::flavor::official::upgrade::PATH, "/nacos/v1/ns/upgrade/ops/metrics?json=true");
/// ```
pub const PATH: &str = "/nacos/v1/ns/upgrade/ops/metrics?json=true";

pub(super) fn path(version: &str) -> Option<String> {
    NacosVersion::parse(version)
        .ok()
        .filter(NacosVersion::has_upgrade_ops)
        .map(|_| PATH.to_string())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    upgraded: bool,
    #[serde(rename = "isAll20XVersion")]
    all_20x_version: bool,
    is_double_write_enabled: bool,
}

/// Parse a metrics answer. Anything but HTTP 200 with those three booleans is a
/// [`crate::Error::Protocol`] naming the node and path (a node whose naming status is not UP
/// answers 503 on every `/v1/ns/*` path: `TrafficReviseFilter` @2.0.4).
///
/// ```
/// use nacos_chaos::flavor::{HttpAnswer, NodeIdentity};
/// use nacos_chaos::flavor::official::upgrade;
/// let n = NodeIdentity { index: 1, hostname: "n1".into(), ip: [10, 0, 0, 11].into() };
/// let a = HttpAnswer { path: upgrade::PATH.into(), status: 200,
///     body: r#"{"upgraded":true,"isAll20XVersion":true,"isDoubleWriteEnabled":true}"#.into() };
/// assert!(upgrade::parse("2.0.4", &n, &a).unwrap().upgraded);
/// assert!(upgrade::parse("2.4.1", &n, &a).is_err());
/// ```
pub fn parse(version: &str, node: &NodeIdentity, a: &HttpAnswer) -> Result<UpgradeState> {
    let name = node.hostname.as_str();
    let v = NacosVersion::parse(version)?;
    if !v.has_upgrade_ops() {
        return Err(protocol(
            name,
            &a.path,
            format!("Nacos {v} has no upgrade-state API (only 2.0.x and 2.1.x do)"),
        ));
    }
    if a.status != 200 {
        let what = if a.status == 0 {
            "transport failure (no HTTP answer)".to_string()
        } else {
            format!("HTTP {}", a.status)
        };
        return Err(protocol(
            name,
            &a.path,
            format!("{what}: {}", snippet(&a.body)),
        ));
    }
    let m: Metrics = serde_json::from_str(&a.body).map_err(|e| {
        protocol(
            name,
            &a.path,
            format!("not an upgrade metrics object ({e}): {}", snippet(&a.body)),
        )
    })?;
    Ok(UpgradeState {
        upgraded: m.upgraded,
        all_2x: m.all_20x_version,
        double_write: m.is_double_write_enabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_only_on_2_0_and_2_1() {
        assert_eq!(path("2.0.4").as_deref(), Some(PATH));
        assert_eq!(path("2.1.2").as_deref(), Some(PATH));
        assert_eq!(path("1.4.1"), None);
        assert_eq!(path("2.2.0"), None);
        assert_eq!(path("bogus"), None);
    }
}

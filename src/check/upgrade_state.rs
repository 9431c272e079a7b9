//! Upgrade-state agreement (part of convergence): after heal, every reachable node that
//! reports a 1.x → 2.x upgrade state (official 2.0.x/2.1.x, `UpgradeJudgement`) must report
//! the same one. Each node decides on its own from its own member list
//! (`naming/.../core/v2/upgrade/UpgradeJudgement.java` @2.0.4, 2.1.2), so a node can stay in
//! double write, or fall back to 1.x, while its peers run 2.x: the cluster then serves the
//! same registry two ways.

use std::collections::BTreeMap;

use crate::check::Evidence;
use crate::record::Observation;
use crate::record::UpgradeState;

use super::evidence;

/// Judge one observation: `None` when no node reports a state (nothing to judge),
/// `Some(Ok(evidence))` when every reporting node agrees, `Some(Err((problem, evidence)))`
/// when they differ. Only reachable nodes count.
///
/// ```
/// use std::collections::BTreeMap;
/// use nacos_chaos::check::upgrade_agreement;
/// use nacos_chaos::cluster::observe::Observation;
/// use nacos_chaos::flavor::UpgradeState;
/// let s = |upgraded| UpgradeState { upgraded, all_2x: true, double_write: true };
/// let obs = |states: &[(&str, bool)]| Observation { at_ms: 5, wall: std::time::UNIX_EPOCH,
///     upgrade: states.iter().map(|(n, u)| (n.to_string(), s(*u))).collect::<BTreeMap<_, _>>(),
///     nodes: vec![] };
/// assert!(upgrade_agreement(&obs(&[])).is_none());
/// assert!(upgrade_agreement(&obs(&[("n1", true), ("n2", true)])).unwrap().is_ok());
/// let (why, _) = upgrade_agreement(&obs(&[("n1", true), ("n2", false)])).unwrap().unwrap_err();
/// assert!(why.starts_with("upgrade state differs"), "{why}");
/// ```
#[allow(clippy::type_complexity)]
pub fn upgrade_agreement(
    last: &Observation,
) -> Option<Result<Vec<Evidence>, (String, Vec<Evidence>)>> {
    let unreachable = |name: &str| last.nodes.iter().any(|n| n.node == name && !n.reachable());
    let mut by_state: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (node, state) in &last.upgrade {
        if unreachable(node) {
            continue;
        }
        by_state
            .entry(state_text(state))
            .or_default()
            .push(node.as_str());
    }
    let at = Some(last.at_ms);
    match by_state.len() {
        0 => None,
        1 => {
            let (state, nodes) = by_state.iter().next()?;
            Some(Ok(vec![evidence(
                format!(
                    "upgrade state: all {} reporting node(s) ({}) say {state}",
                    nodes.len(),
                    nodes.join(",")
                ),
                None,
                at,
                None,
            )]))
        }
        k => {
            let desc: Vec<String> = by_state
                .iter()
                .map(|(s, ns)| format!("{} say {s}", ns.join(",")))
                .collect();
            let ev = vec![evidence(
                format!("upgrade state differs: {}", desc.join("; ")),
                None,
                at,
                None,
            )];
            Some(Err((
                format!("upgrade state differs ({k} states among reachable nodes)"),
                ev,
            )))
        }
    }
}

fn state_text(s: &UpgradeState) -> String {
    s.to_string()
}

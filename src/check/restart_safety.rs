//! Part of convergence: would a restart keep the membership the cluster runs with?
//!
//! Compares the membership every node would boot with (read from its data dir, see
//! [`crate::record::BootMembership`]) with the live membership all reachable nodes agree
//! on. r-nacos keeps the two apart, so a cluster can look converged and still lose or regain
//! a member at its next restart.

use std::collections::BTreeSet;

use super::{Evidence, evidence};
use crate::record::{BootMembership, boot_drift};

/// Evidence, and a problem if any node would boot with another membership than `live`.
/// No boot memberships (the flavor keeps membership in its log, or they were not read):
/// one line of evidence saying so, no problem.
///
/// ```
/// use nacos_chaos::check::restart_safety::judge;
/// use nacos_chaos::cluster::BootMembership;
/// let live: Vec<String> = vec!["1".into(), "2".into()];
/// let boot = |m: &[&str]| BootMembership { node: "n1".into(),
///     members: Some(m.iter().map(|s| s.to_string()).collect()) };
/// assert!(judge(&[boot(&["2", "1"])], Some(&live), Some(5)).1.is_none());
/// assert!(judge(&[boot(&["1", "2", "3"])], Some(&live), Some(5)).1.is_some());
/// assert!(judge(&[], Some(&live), Some(5)).1.is_none());
/// ```
pub fn judge(
    boots: &[BootMembership],
    live: Option<&[String]>,
    at: Option<u64>,
) -> (Vec<Evidence>, Option<String>) {
    if boots.is_empty() {
        let text = "boot membership not read (kept in the Raft log, or unreadable): restart safety not judged";
        return (vec![evidence(text, None, at, None)], None);
    }
    let Some(live) = live else {
        let text = "nodes disagree on the live membership: restart safety not judged";
        return (vec![evidence(text, None, at, None)], None);
    };
    let ev: Vec<Evidence> = boots
        .iter()
        .filter_map(|b| {
            let line = boot_drift(std::slice::from_ref(b), live).pop()?;
            Some(evidence(
                format!("{line}: a restart would change the membership"),
                Some(&b.node),
                at,
                None,
            ))
        })
        .collect();
    if ev.is_empty() {
        let ids: BTreeSet<&str> = live.iter().map(String::as_str).collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        let text = format!(
            "all {} node(s) would boot with the live membership [{}]",
            boots.len(),
            ids.join(", ")
        );
        return (vec![evidence(text, None, at, None)], None);
    }
    let problem = format!(
        "{} node(s) would boot with another membership than the live one",
        ev.len()
    );
    (ev, Some(problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(node: &str, members: Option<&[&str]>) -> BootMembership {
        BootMembership {
            node: node.into(),
            members: members.map(|m| m.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn an_uninitialised_node_or_a_missing_member_is_a_problem_naming_the_node() {
        let live: Vec<String> = vec!["1".into(), "2".into(), "3".into()];
        let boots = [
            boot("n1", Some(&["1", "2", "3"])),
            boot("n2", Some(&["1", "3"])),
            boot("n3", None),
        ];
        let (ev, problem) = judge(&boots, Some(&live), Some(7));
        assert_eq!(
            problem.as_deref(),
            Some("2 node(s) would boot with another membership than the live one")
        );
        let nodes: Vec<_> = ev.iter().map(|e| e.node.as_deref()).collect();
        assert_eq!(nodes, [Some("n2"), Some("n3")]);
        assert!(ev[0].text.contains("lacks 2"), "{}", ev[0].text);
        assert!(ev[1].text.contains("uninitialised"), "{}", ev[1].text);
    }

    #[test]
    fn without_an_agreed_live_membership_restart_safety_is_not_judged() {
        let boots = [boot("n1", Some(&["9"]))];
        let (ev, problem) = judge(&boots, None, None);
        assert!(problem.is_none());
        assert!(ev[0].text.contains("not judged"), "{}", ev[0].text);
    }
}

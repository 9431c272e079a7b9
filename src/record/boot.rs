//! The membership each node would boot with after a restart, as read from its data dir.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The membership one node would boot with.
///
/// ```
/// use nacos_chaos::record::BootMembership;
/// let b = BootMembership { node: "n1".into(), members: Some(vec!["1".into()]) };
/// assert_eq!(b.members.as_deref().map(<[String]>::len), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootMembership {
    /// Node name (`n1`..).
    pub node: String,
    /// Peer ids (as in `GroupView::members`); `None` for a node never initialised.
    pub members: Option<Vec<String>>,
}

/// The nodes whose boot membership is not `expected` (peer ids, any order), one readable
/// line each; empty when a restart of every node keeps `expected`.
///
/// ```
/// use nacos_chaos::record::{BootMembership, boot_drift};
/// let ids = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
/// let boots = vec![
///     BootMembership { node: "n1".into(), members: ids(&["1", "2", "3"]) },
///     BootMembership { node: "n2".into(), members: ids(&["1", "2"]) },
/// ];
/// let expected: Vec<String> = vec!["1".into(), "2".into(), "3".into()];
/// assert_eq!(boot_drift(&boots, &expected), vec!["n2 would boot with [1, 2] (lacks 3)"]);
/// assert!(boot_drift(&boots[..1], &expected).is_empty());
/// ```
pub fn boot_drift(boots: &[BootMembership], expected: &[String]) -> Vec<String> {
    let want: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    boots
        .iter()
        .filter_map(|b| {
            let Some(members) = &b.members else {
                return Some(format!("{} would boot uninitialised", b.node));
            };
            let have: BTreeSet<&str> = members.iter().map(String::as_str).collect();
            if have == want {
                return None;
            }
            let mut why = vec![];
            let lacks: Vec<&str> = want.difference(&have).copied().collect();
            if !lacks.is_empty() {
                why.push(format!("lacks {}", lacks.join(", ")));
            }
            let extra: Vec<&str> = have.difference(&want).copied().collect();
            if !extra.is_empty() {
                why.push(format!("has extra {}", extra.join(", ")));
            }
            Some(format!(
                "{} would boot with [{}] ({})",
                b.node,
                members.join(", "),
                why.join("; ")
            ))
        })
        .collect()
}

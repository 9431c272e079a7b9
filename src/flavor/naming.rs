//! How a node is named: by itself (the address it announces as its own) and in its peers'
//! member lists (the address they reach it at). Both default to the cluster's identity mode
//! (IP, or the short hostname); a suite's `[[cluster.node]]` can set either per node, in one
//! of four forms. A node that names itself differently from how its peers list it is a known
//! failure class.
//!
//! Every form resolves on the run network without extra aliases: measured on Docker 20.10.24
//! (embedded DNS, user-defined network `nchaos-<run>`), `getent hosts` from a peer answered
//! for `n2`, `n2.nchaos-<run>`, `n2.nchaos-<run>.` and the container name alike.
//!
//! ```
//! use nacos_chaos::flavor::naming::{NameForm, Naming, NodeNaming};
//! use nacos_chaos::flavor::{IdentityMode, NodeIdentity};
//! let n2 = NodeIdentity { index: 2, hostname: "n2".into(), ip: [10, 0, 0, 12].into() };
//! let naming = Naming {
//!     domain: "nchaos-r1".into(),
//!     nodes: vec![NodeNaming { index: 2, self_name: Some(NameForm::Fqdn), ..NodeNaming::new(2) }],
//! };
//! assert_eq!(naming.self_name(&n2, IdentityMode::Ip), "n2.nchaos-r1");
//! assert_eq!(naming.listed_name(&n2, IdentityMode::Ip), "10.0.0.12");
//! ```

use serde::{Deserialize, Serialize};

use super::{IdentityMode, NodeIdentity};

/// How a node's name is written: by itself, or in its peers' member lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameForm {
    /// Its IP address.
    Ip,
    /// Its short hostname (`n2`).
    Short,
    /// Its fully qualified name (`n2.<run network>`).
    Fqdn,
    /// The fully qualified name with a trailing dot (`n2.<run network>.`).
    FqdnDot,
}

impl NameForm {
    /// The form an identity mode uses: the IP, or the short hostname.
    ///
    /// ```
    /// use nacos_chaos::flavor::{IdentityMode, naming::NameForm};
    /// assert_eq!(NameForm::of_mode(IdentityMode::Hostname), NameForm::Short);
    /// ```
    pub fn of_mode(mode: IdentityMode) -> NameForm {
        match mode {
            IdentityMode::Ip => NameForm::Ip,
            IdentityMode::Hostname => NameForm::Short,
        }
    }

    /// `node`'s name in this form, on the network named `domain`.
    ///
    /// ```
    /// use nacos_chaos::flavor::{NodeIdentity, naming::NameForm};
    /// let n = NodeIdentity { index: 1, hostname: "n1".into(), ip: [10, 0, 0, 11].into() };
    /// assert_eq!(NameForm::FqdnDot.write(&n, "net"), "n1.net.");
    /// ```
    pub fn write(self, node: &NodeIdentity, domain: &str) -> String {
        match self {
            NameForm::Ip => node.ip.to_string(),
            NameForm::Short => node.hostname.clone(),
            NameForm::Fqdn => format!("{}.{domain}", node.hostname),
            NameForm::FqdnDot => format!("{}.{domain}.", node.hostname),
        }
    }

    /// Is this a name rather than an address?
    pub fn is_name(self) -> bool {
        self != NameForm::Ip
    }
}

/// One node's naming settings (a suite's `[[cluster.node]]`); unset parts follow the
/// cluster's identity mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeNaming {
    /// 1-based node index.
    pub index: usize,
    /// This node's identity mode (default: the cluster's).
    #[serde(default)]
    pub identity: Option<IdentityMode>,
    /// How the node names itself (default: its identity mode's form).
    #[serde(default)]
    pub self_name: Option<NameForm>,
    /// How its peers list it (default: its identity mode's form).
    #[serde(default)]
    pub listed_as: Option<NameForm>,
}

impl NodeNaming {
    /// No settings for node `index`: everything follows the cluster.
    pub fn new(index: usize) -> Self {
        NodeNaming {
            index,
            identity: None,
            self_name: None,
            listed_as: None,
        }
    }
}

/// Every node's naming settings and the domain fully qualified names are under (the run
/// network's name). Empty (the default): every node follows the cluster's identity mode.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Naming {
    /// Domain of the fully qualified forms (the run network's name).
    #[serde(default)]
    pub domain: String,
    /// Per-node settings; nodes not listed follow the cluster.
    #[serde(default)]
    pub nodes: Vec<NodeNaming>,
}

impl Naming {
    fn of(&self, index: usize) -> Option<&NodeNaming> {
        self.nodes.iter().find(|n| n.index == index)
    }

    /// Node `index`'s identity mode, given the cluster's.
    pub fn mode_of(&self, index: usize, cluster: IdentityMode) -> IdentityMode {
        self.of(index).and_then(|n| n.identity).unwrap_or(cluster)
    }

    /// The form node `index` names itself in.
    pub fn self_form(&self, index: usize, cluster: IdentityMode) -> NameForm {
        self.of(index)
            .and_then(|n| n.self_name)
            .unwrap_or_else(|| NameForm::of_mode(self.mode_of(index, cluster)))
    }

    /// The form node `index`'s peers list it in.
    pub fn listed_form(&self, index: usize, cluster: IdentityMode) -> NameForm {
        self.of(index)
            .and_then(|n| n.listed_as)
            .unwrap_or_else(|| NameForm::of_mode(self.mode_of(index, cluster)))
    }

    /// The address `node` announces as its own.
    pub fn self_name(&self, node: &NodeIdentity, cluster: IdentityMode) -> String {
        self.self_form(node.index, cluster)
            .write(node, &self.domain)
    }

    /// The address `node`'s peers list it under.
    pub fn listed_name(&self, node: &NodeIdentity, cluster: IdentityMode) -> String {
        self.listed_form(node.index, cluster)
            .write(node, &self.domain)
    }

    /// Does any node name itself differently from how its peers list it?
    ///
    /// ```
    /// use nacos_chaos::flavor::IdentityMode;
    /// use nacos_chaos::flavor::naming::{NameForm, Naming, NodeNaming};
    /// let mut n = Naming::default();
    /// assert!(n.mismatched(IdentityMode::Ip).is_empty());
    /// n.nodes.push(NodeNaming { listed_as: Some(NameForm::Short), ..NodeNaming::new(3) });
    /// assert_eq!(n.mismatched(IdentityMode::Ip), vec![3]);
    /// ```
    pub fn mismatched(&self, cluster: IdentityMode) -> Vec<usize> {
        self.nodes
            .iter()
            .map(|n| n.index)
            .filter(|&i| self.self_form(i, cluster) != self.listed_form(i, cluster))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(i: u8) -> NodeIdentity {
        NodeIdentity {
            index: i as usize,
            hostname: format!("n{i}"),
            ip: [10, 0, 0, 10 + i].into(),
        }
    }

    #[test]
    fn every_form_is_written_from_the_node_and_domain() {
        let n = node(2);
        let got: Vec<String> = [
            NameForm::Ip,
            NameForm::Short,
            NameForm::Fqdn,
            NameForm::FqdnDot,
        ]
        .iter()
        .map(|f| f.write(&n, "nchaos-r1"))
        .collect();
        assert_eq!(
            got,
            ["10.0.0.12", "n2", "n2.nchaos-r1", "n2.nchaos-r1."].map(String::from)
        );
    }

    #[test]
    fn unset_parts_follow_the_node_identity_then_the_cluster() {
        let naming = Naming {
            domain: "d".into(),
            nodes: vec![NodeNaming {
                identity: Some(IdentityMode::Hostname),
                listed_as: Some(NameForm::Ip),
                ..NodeNaming::new(2)
            }],
        };
        assert_eq!(naming.self_name(&node(2), IdentityMode::Ip), "n2");
        assert_eq!(naming.listed_name(&node(2), IdentityMode::Ip), "10.0.0.12");
        assert_eq!(naming.self_name(&node(1), IdentityMode::Ip), "10.0.0.11");
        assert_eq!(naming.listed_name(&node(3), IdentityMode::Hostname), "n3");
        assert_eq!(naming.mismatched(IdentityMode::Ip), vec![2]);
    }
}

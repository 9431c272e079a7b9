//! What a suite would start, without Docker: every node's rendered container (image, env,
//! command, ports, files) at every version the suite names — the same [`Flavor::render`]
//! a run uses, on a placeholder network.

use std::collections::BTreeMap;

use serde::Serialize;

use super::locate::Seg;
use super::suite::Suite;
use crate::cluster::node_ip;
use crate::docker::RunNetwork;
use crate::error::{Error, Result};
use crate::flavor::naming::{Naming, NodeNaming};
use crate::flavor::{self, Flavor, FlavorKind, IdentityMode, Membership, NodeIdentity, RenderCtx};

/// What the rendered addresses are, for readers of the output.
pub const PLACEHOLDER_NOTE: &str = "addresses are on the placeholder subnet 10.231.0.0/24; a run \
     takes a free 10.231.<x>.0/24 and the same host numbers (.11-.15, each ip_change moves nodes \
     to the next block of 20); fully qualified names are under the placeholder domain \
     nchaos-r00000000000 (a run: its network's name, nchaos-<run id>). Specs are as each node \
     first starts at each version; faults may add environment (clock_skew: libfaketime) or \
     change addresses.";

/// The domain fully qualified names are rendered under (a run uses its network's name,
/// `nchaos-<run id>`, which has the same shape).
pub const PLACEHOLDER_DOMAIN: &str = "nchaos-r00000000000";

/// A suite's `[[cluster.node]]` tables as the cluster's per-node naming settings.
///
/// ```
/// use nacos_chaos::scenario::{Suite, node_naming};
/// let s = Suite::parse("x.toml", "name = \"d\"\n[cluster]\nflavor = \"rnacos\"\n\
///     [[cluster.node]]\nname = \"n2\"\nself_name = \"fqdn\"\n\
///     [versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n").unwrap();
/// assert_eq!(node_naming(&s)[0].index, 2);
/// ```
pub fn node_naming(suite: &Suite) -> Vec<NodeNaming> {
    suite
        .cluster
        .node
        .iter()
        .filter_map(|n| {
            let index = crate::fault::Targets::node_index(&n.name).ok()?;
            Some(NodeNaming {
                index,
                identity: n.identity,
                self_name: n.self_name,
                listed_as: n.listed_as,
            })
        })
        .collect()
}

/// The placeholder network: octet 0 is never one a run takes (runs use 1..=254).
fn placeholder() -> RunNetwork {
    RunNetwork {
        name: "<run network>".into(),
        octet: 0,
    }
}

/// A file written into the container before start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedFile {
    /// Absolute path in the container.
    pub path: String,
    /// Content.
    pub content: String,
}

/// One node's container as a run would create it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedNode {
    /// Node name (`n1`), also its hostname and network alias.
    pub node: String,
    /// Static IP on the (placeholder) run network.
    pub ip: String,
    /// How the node names itself (the address it announces).
    pub self_name: String,
    /// How its peers list it.
    pub listed_as: String,
    /// Image reference.
    pub image: String,
    /// Environment.
    pub env: BTreeMap<String, String>,
    /// Command override (null: the image's default).
    pub command: Option<Vec<String>>,
    /// Container ports published on 127.0.0.1.
    pub ports: Vec<u16>,
    /// Where the node's data volume is mounted.
    pub data_path: String,
    /// Files written before start.
    pub files: Vec<RenderedFile>,
    /// Memory limit, bytes.
    pub memory_bytes: Option<i64>,
}

/// Every node at one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedVersion {
    /// Server version.
    pub version: String,
    /// Where the suite names it: `from`, `to`, or both.
    pub roles: Vec<&'static str>,
    /// One entry per node, n1 first.
    pub nodes: Vec<RenderedNode>,
}

/// A suite's rendering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedSuite {
    /// Suite file.
    pub file: Option<String>,
    /// Scenario name.
    pub name: String,
    /// Flavor.
    pub flavor: FlavorKind,
    /// Identity mode.
    pub identity: IdentityMode,
    /// The (placeholder) subnet the addresses are on.
    pub subnet: String,
    /// One entry per version the suite names, in the order it names them.
    pub versions: Vec<RenderedVersion>,
    /// The membership servers are told after each step that changes it (empty: none does).
    pub membership_changes: Vec<super::membership_plan::MembershipChange>,
}

/// Render every node of `suite` at every version it names. `text` is the suite's source,
/// for errors at `file:line:column` (an unsupported version points at that version, a
/// tuning key the flavor rejects at that key). No Docker.
///
/// ```
/// use nacos_chaos::scenario::{Suite, render};
/// let text = "name = \"d\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.7.3\"]\nto = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n";
/// let suite = Suite::parse("d.toml", text).unwrap();
/// let r = render(&suite, text, None).unwrap();
/// assert_eq!(r.versions.len(), 2);
/// assert_eq!(r.versions[1].nodes[2].env["RNACOS_RAFT_NODE_ID"], "3");
/// assert_eq!(r.versions[1].nodes[2].ip, "10.231.0.13");
/// ```
pub fn render(suite: &Suite, text: &str, registry: Option<&str>) -> Result<RenderedSuite> {
    let flavor: Box<dyn Flavor> = flavor::build(suite.cluster.flavor, registry, suite.cluster.mode);
    let net = placeholder();
    let ids: Vec<NodeIdentity> = (1..=suite.cluster.nodes)
        .map(|index| NodeIdentity {
            index,
            hostname: format!("n{index}"),
            ip: node_ip(&net, 0, index),
        })
        .collect();
    let membership = Membership {
        mode: suite.cluster.identity,
        members: ids.clone(),
        naming: Naming {
            domain: PLACEHOLDER_DOMAIN.into(),
            nodes: node_naming(suite),
        },
    };
    let tuning: Vec<(String, String)> = suite
        .cluster
        .tuning
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let joins = flavor.capabilities().joins;
    let mut versions: Vec<RenderedVersion> = Vec::new();
    let named = [("from", &suite.versions.from), ("to", &suite.versions.to)];
    for (role, list) in named {
        for (j, version) in list.iter().enumerate() {
            if let Some(seen) = versions.iter_mut().find(|v| &v.version == version) {
                if !seen.roles.contains(&role) {
                    seen.roles.push(role);
                }
                continue;
            }
            let mut nodes = Vec::new();
            for id in &ids {
                let join = (joins && id.index > 1).then(|| &ids[0]);
                let spec = flavor
                    .render(&RenderCtx {
                        node: id,
                        membership: &membership,
                        version,
                        join,
                        tuning: &tuning,
                    })
                    .map_err(|e| locate_error(suite, text, role, j, e))?;
                nodes.push(RenderedNode {
                    node: id.hostname.clone(),
                    ip: id.ip.to_string(),
                    self_name: membership.self_name(id),
                    listed_as: membership.listed_name(id),
                    image: spec.image,
                    env: spec.env.into_iter().collect(),
                    command: spec.cmd,
                    ports: spec.ports,
                    data_path: spec.data_path,
                    files: spec
                        .files
                        .into_iter()
                        .map(|(path, content)| RenderedFile { path, content })
                        .collect(),
                    memory_bytes: spec.memory_bytes,
                });
            }
            versions.push(RenderedVersion {
                version: version.clone(),
                roles: vec![role],
                nodes,
            });
        }
    }
    Ok(RenderedSuite {
        file: suite.path.as_ref().map(|p| p.display().to_string()),
        name: suite.name.clone(),
        flavor: suite.cluster.flavor,
        identity: suite.cluster.identity,
        subnet: net.subnet(),
        versions,
        membership_changes: super::membership_plan::changes(suite, flavor.as_ref(), &membership)?,
    })
}

/// A render error at what caused it: a tuning key the message names, else the version.
fn locate_error(suite: &Suite, text: &str, role: &'static str, j: usize, e: Error) -> Error {
    let message = e.to_string();
    let key = suite
        .cluster
        .tuning
        .keys()
        .find(|k| message.contains(&format!("'{k}'")) || message.contains(&format!("`{k}`")));
    match key {
        Some(k) => suite.err_at(
            text,
            &[Seg::Key("cluster"), Seg::Key("tuning"), Seg::Key(k)],
            message.clone(),
            "see the flavor's tuning keys in suites/README.md",
        ),
        None => suite.err_at(
            text,
            &[Seg::Key("versions"), Seg::Key(role), Seg::Index(j)],
            format!(
                "versions.{role} {:?}: {message}",
                suite.versions_named(role)[j]
            ),
            "use a version the flavor supports",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "name = \"t\"\n[cluster]\nflavor = \"official\"\nidentity = \"hostname\"\n";

    #[test]
    fn official_nodes_are_told_the_whole_membership_and_versions_are_merged() {
        let text = format!(
            "{HEAD}[versions]\nfrom = [\"2.4.0.1\", \"2.4.1\"]\nto = [\"2.4.1\"]\n[[steps]]\naction = \"start\"\n"
        );
        let suite = Suite::parse("t.toml", &text).unwrap();
        let r = render(&suite, &text, Some("mirror.example")).unwrap();
        assert_eq!(r.subnet, "10.231.0.0/24");
        assert_eq!(r.versions.len(), 2);
        assert_eq!(r.versions[1].roles, ["from", "to"]);
        let n3 = &r.versions[0].nodes[2];
        assert!(n3.image.starts_with("mirror.example/"), "{}", n3.image);
        assert!(n3.image.ends_with(":v2.4.0.1"), "{}", n3.image);
        // A bare name fails InetUtils' check: hostname mode leaves the variable unset.
        assert!(!n3.env.contains_key("NACOS_SERVER_IP"), "{:?}", n3.env);
        assert_eq!(n3.env["PREFER_HOST_MODE"], "hostname");
        let conf = &n3.files[0];
        assert!(conf.path.ends_with("cluster.conf"), "{conf:?}");
        for n in ["n1", "n2", "n3"] {
            assert!(conf.content.contains(n), "{conf:?}");
        }
    }

    #[test]
    fn rnacos_node_one_bootstraps_and_the_others_join_it() {
        let text = "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n";
        let suite = Suite::parse("t.toml", text).unwrap();
        let r = render(&suite, text, None).unwrap();
        let nodes = &r.versions[0].nodes;
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[0].env["RNACOS_RAFT_AUTO_INIT"], "true");
        assert!(!nodes[0].env.contains_key("RNACOS_RAFT_JOIN_ADDR"));
        assert_eq!(nodes[2].env["RNACOS_RAFT_JOIN_ADDR"], "10.231.0.11:9848");
        assert_eq!(nodes[2].command, None);
    }
}

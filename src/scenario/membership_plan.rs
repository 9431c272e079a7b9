//! What servers are told as a suite's membership steps run, without Docker: the member list
//! after each `scale_out`, `scale_in` and `replace` (`keep = "address"`), and the membership
//! files the flavor renders for it (official: cluster.conf, which the run writes into every
//! running node and into the new node, see `src/cluster/member_list.rs`). `start` with a
//! subset lists every node (those started later included), and `start_node` changes nothing:
//! the node it starts was listed from the beginning. Shown by `nacos-chaos validate --render`.

use serde::Serialize;

use super::render::RenderedFile;
use super::suite::{Keep, Step, Suite};
use crate::cluster::node_ip;
use crate::docker::RunNetwork;
use crate::error::Result;
use crate::flavor::{Flavor, Membership, NodeIdentity, RenderCtx};

/// The membership after one step that changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipChange {
    /// 1-based step number.
    pub step: usize,
    /// What the step did, e.g. `scale_in n3`.
    pub change: String,
    /// Members as peers list them, in order.
    pub members: Vec<String>,
    /// The membership files every member is given (official: cluster.conf).
    pub files: Vec<RenderedFile>,
}

/// Walk the suite's steps from `start` (whose membership is `initial`) and render the
/// membership after each change.
///
/// ```
/// use nacos_chaos::scenario::{Suite, render};
/// let text = "name = \"d\"\n[cluster]\nflavor = \"official\"\n[versions]\nfrom = [\"2.4.1\"]\n\
///     [[steps]]\naction = \"start\"\n[[steps]]\naction = \"scale_in\"\nnode = \"n2\"\n";
/// let r = render(&Suite::parse("d.toml", text).unwrap(), text, None).unwrap();
/// let c = &r.membership_changes[0];
/// assert_eq!((c.step, c.change.as_str()), (2, "scale_in n2"));
/// assert_eq!(c.files[0].content, "10.231.0.11:8848\n10.231.0.13:8848\n");
/// ```
pub fn changes(
    suite: &Suite,
    flavor: &dyn Flavor,
    initial: &Membership,
) -> Result<Vec<MembershipChange>> {
    let mut m = initial.clone();
    let mut known = m.members.len();
    let net = RunNetwork {
        name: String::new(),
        octet: 0,
    };
    let mut out = vec![];
    for (i, s) in suite.steps.iter().enumerate() {
        let change = match s.get_ref() {
            Step::ScaleOut { .. } => {
                known += 1;
                m.members.push(identity(&net, known, None));
                format!("scale_out n{known}")
            }
            Step::ScaleIn { node, .. } => {
                m.members.retain(|n| &n.hostname != node);
                format!("scale_in {node}")
            }
            Step::Replace {
                node,
                keep: Keep::Address,
            } => {
                let ip = m.members.iter().find(|n| &n.hostname == node).map(|n| n.ip);
                m.members.retain(|n| &n.hostname != node);
                known += 1;
                m.members.push(identity(&net, known, ip));
                format!("replace {node} by n{known} at its address")
            }
            _ => continue,
        };
        out.push(MembershipChange {
            step: i + 1,
            change,
            members: m.members.iter().map(|n| m.listed_name(n)).collect(),
            files: files(suite, flavor, &m)?,
        });
    }
    Ok(out)
}

fn identity(net: &RunNetwork, index: usize, ip: Option<std::net::Ipv4Addr>) -> NodeIdentity {
    NodeIdentity {
        index,
        hostname: format!("n{index}"),
        ip: ip.unwrap_or_else(|| node_ip(net, 0, index)),
    }
}

/// The files the flavor renders for a member under `m` (the same for every member).
fn files(suite: &Suite, flavor: &dyn Flavor, m: &Membership) -> Result<Vec<RenderedFile>> {
    let Some(first) = m.members.first() else {
        return Ok(vec![]);
    };
    let spec = flavor.render(&RenderCtx {
        node: first,
        membership: m,
        version: &suite.versions.from[0],
        join: None,
        tuning: &[],
    })?;
    Ok(spec
        .files
        .into_iter()
        .map(|(path, content)| RenderedFile { path, content })
        .collect())
}

//! `dns`: a node's name stops resolving for some or all peers, resolves slowly, or resolves
//! to a stale address.
//!
//! Mechanism (`unresolvable`): in each peer's network namespace (a tools helper, NET_ADMIN
//! only) an iptables chain `NCHAOS_DNS` refuses UDP queries to Docker's embedded DNS
//! (127.0.0.11) whose name starts with the node's label (`-m string`, matched after the
//! embedded DNS's own DNAT, so on the destination address, not port 53). Read back by
//! resolving the name from inside the peer's namespace (the helper shares its
//! `/etc/resolv.conf`); healed by flushing the chain and resolving again. It only matters
//! where nodes address each other by name (`[cluster] identity = "hostname"`).

use serde::{Deserialize, Serialize};

use futures_util::future::BoxFuture;

use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::fault::inject::{Applied, ApplyCtx, Heal, Inject, Rule, resolve_opt};
use crate::fault::network;
use crate::fault::{NetOptions, Targets};

/// How a `dns` fault's name misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsMode {
    /// The name does not resolve.
    #[default]
    Unresolvable,
    /// The name resolves after `delay_ms`.
    Slow,
    /// The name resolves to an address the node no longer has.
    Stale,
}

/// Parameters of a `dns` fault.
///
/// ```
/// use nacos_chaos::fault::{DnsMode, Fault, Targets};
/// let f = Fault::dns(Targets::Nodes(vec![3]), DnsMode::Unresolvable);
/// assert_eq!(f.kind().as_str(), "dns");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Whose name.
    pub nodes: Targets,
    /// For which peers (default: all).
    #[serde(default)]
    pub peers: Option<Targets>,
    /// How the name misbehaves.
    #[serde(default)]
    pub mode: DnsMode,
    /// Extra resolution delay (`mode = "slow"` only).
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

impl Inject for Dns {
    fn boot_targets(&self) -> Option<Vec<usize>> {
        match &self.nodes {
            Targets::Nodes(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        let mut r = vec![Rule::Targets(vec!["nodes"], &self.nodes)];
        if let Some(p) = &self.peers {
            r.push(Rule::Targets(vec!["peers"], p));
        }
        let slow = self.mode == DnsMode::Slow;
        r.extend(Rule::require(
            slow == self.delay_ms.is_some(),
            if slow { "mode" } else { "delay_ms" },
            "dns: delay_ms goes with mode = \"slow\", and only with it".into(),
            "e.g. fault = { kind = \"dns\", nodes = \"n3\", mode = \"slow\", delay_ms = 3000 }",
        ));
        r
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let names = self.nodes.resolve(cx.cluster).await?;
        let peers = match resolve_opt(&self.peers, cx.cluster).await? {
            Some(p) => p,
            None => (1..=cx.cluster.nodes().len()).collect(),
        };
        let pairs = pairs(&peers, &names);
        if pairs.is_empty() {
            return Err(Error::Config(format!(
                "dns: no peer other than {names:?} resolves their names (peers {peers:?})"
            )));
        }
        let proof = match self.mode {
            DnsMode::Unresolvable => unresolvable(cx, &pairs).await?,
            DnsMode::Slow | DnsMode::Stale => {
                return Err(Error::NotImplemented {
                    flavor: cx.cluster.spec().flavor.to_string(),
                    what: format!("the dns fault with mode = {:?}", self.mode),
                    fix: "use mode = \"unresolvable\" (the only dns mode applied so far)".into(),
                });
            }
        };
        let holders = holders(&pairs);
        let desc = format!("{:?}: names {names:?} for peers {holders:?}", self.mode);
        let heal = DnsHeal {
            pairs: pairs.clone(),
        };
        Ok(Applied::lasting(names, desc, proof, heal))
    }
}

/// Chain holding a dns fault's rules in a peer's namespace (its own, so that healing a
/// partition does not heal a dns fault, nor the reverse).
const CHAIN: &str = "NCHAOS_DNS";
/// Docker's embedded DNS server, as every container on a user network sees it.
const EMBEDDED_DNS: &str = "127.0.0.11";

/// (peer resolving, node whose name it resolves), the peer never the node itself.
fn pairs(peers: &[usize], names: &[usize]) -> Vec<(usize, usize)> {
    peers
        .iter()
        .flat_map(|p| names.iter().filter(move |n| *n != p).map(move |n| (*p, *n)))
        .collect()
}

fn holders(pairs: &[(usize, usize)]) -> Vec<usize> {
    let mut h: Vec<usize> = pairs.iter().map(|(p, _)| *p).collect();
    h.dedup();
    h
}

/// The query name's first label as DNS sends it (`|02|n3`): a length byte, then the
/// label. Matching the first label catches the bare name and every search-domain
/// expansion of it, and no other name (`n30` is `|03|n30`).
///
/// ```ignore
/// assert_eq!(first_label("n3"), "|02|n3");
/// ```
fn first_label(host: &str) -> String {
    let label = host.split('.').next().unwrap_or(host);
    format!("|{:02x}|{label}", label.len())
}

/// The iptables rule (after `-A CHAIN`) refusing the DNS query for `host` at once: the
/// resolver gets ICMP port-unreachable, as from a resolver that refuses the name. Offsets
/// are from the IP header: 20 (IP) + 8 (UDP) + 12 (DNS header) = 40, where the name begins.
fn refuse_rule(host: &str) -> String {
    format!(
        "-d {EMBEDDED_DNS} -p udp -m string --algo bm --from 40 --to 64 --hex-string '{}' -j REJECT",
        first_label(host)
    )
}

/// The script resolving `host` from inside a namespace (ping resolves through the same
/// libc resolver and `/etc/resolv.conf` as the node) and printing one line.
fn resolve_script(host: &str) -> String {
    format!(
        "if out=$(ping -c1 -W1 {host} 2>&1); then echo \"resolves {host}: $(echo \"$out\" | head -1)\"; \
         else echo \"fails {host}: $(echo \"$out\" | head -1)\"; fi"
    )
}

/// Install the refusals, then read back from each peer: the refused names fail, and
/// a name the fault leaves alone (the peer's own) still resolves.
async fn unresolvable(cx: &mut ApplyCtx<'_>, pairs: &[(usize, usize)]) -> Result<Vec<String>> {
    let mut proof = vec![];
    for peer in holders(pairs) {
        let hosts = hostnames(cx, pairs, peer)?;
        let mut script = format!(
            "iptables -N {CHAIN} 2>/dev/null || true; \
             iptables -C OUTPUT -j {CHAIN} 2>/dev/null || iptables -I OUTPUT -j {CHAIN};"
        );
        for h in &hosts {
            script.push_str(&format!(" iptables -A {CHAIN} {};", refuse_rule(h)));
        }
        for h in &hosts {
            script.push_str(&format!(" {};", resolve_script(h)));
        }
        // A name the fault leaves alone (the peer's own) must still resolve: only the
        // chosen names are refused, not the resolver.
        let own = cx.cluster.node(peer)?.identity.hostname.clone();
        script.push_str(&format!(" {};", resolve_script(&own)));
        let out = network::run(cx.cluster, peer, "dns", script, cx.net).await?;
        proof.push(read_back(peer, &hosts, &out, "fails", "dns")?);
        proof.push(read_back(peer, &[own], &out, "resolves", "dns")?);
    }
    Ok(proof)
}

fn hostnames(cx: &ApplyCtx<'_>, pairs: &[(usize, usize)], peer: usize) -> Result<Vec<String>> {
    pairs
        .iter()
        .filter(|(p, _)| *p == peer)
        .map(|(_, n)| Ok(cx.cluster.node(*n)?.identity.hostname.clone()))
        .collect()
}

/// Every `host` must read back as `want` (`fails`/`resolves`) in `peer`'s output.
fn read_back(peer: usize, hosts: &[String], out: &str, want: &str, fault: &str) -> Result<String> {
    let mut lines = vec![];
    for h in hosts {
        let prefix = format!("{want} {h}:");
        match out.lines().find(|l| l.starts_with(&prefix)) {
            Some(l) => lines.push(l.trim().to_string()),
            None => {
                return Err(Error::Fault {
                    fault: fault.into(),
                    detail: format!(
                        "read-back: n{peer} does not report '{prefix}' (wanted the name to {want}): {}",
                        out.trim()
                    ),
                });
            }
        }
    }
    Ok(format!("n{peer}: {}", lines.join("; ")))
}

/// Heals a dns fault: removes the rules and reads back that every name resolves again.
#[derive(Debug)]
struct DnsHeal {
    pairs: Vec<(usize, usize)>,
}

impl DnsHeal {
    async fn restore(&self, cluster: &mut Cluster, net: &NetOptions) -> Result<Vec<String>> {
        let mut proof = vec![];
        for peer in holders(&self.pairs) {
            if cluster.node(peer)?.container_id.is_none() {
                proof.push(format!("n{peer}: no container, nothing to heal"));
                continue;
            }
            let hosts: Vec<String> = self
                .pairs
                .iter()
                .filter(|(p, _)| *p == peer)
                .map(|(_, n)| Ok(cluster.node(*n)?.identity.hostname.clone()))
                .collect::<Result<_>>()?;
            let mut script = format!("iptables -F {CHAIN} 2>/dev/null || true;");
            for h in &hosts {
                script.push_str(&format!(" {};", resolve_script(h)));
            }
            let out = network::run(cluster, peer, "dns-heal", script, net).await?;
            proof.push(read_back(peer, &hosts, &out, "resolves", "dns heal")?);
        }
        Ok(proof)
    }
}

impl Heal for DnsHeal {
    fn heal<'a>(
        &'a self,
        cluster: &'a mut Cluster,
        net: &'a NetOptions,
    ) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(self.restore(cluster, net))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_matched_by_its_first_label_only() {
        assert_eq!(first_label("n3"), "|02|n3");
        assert_eq!(first_label("node-10.corp"), "|07|node-10");
        assert!(refuse_rule("n3").contains("--hex-string '|02|n3' -j REJECT"));
    }

    #[test]
    fn a_peer_never_loses_its_own_name() {
        assert_eq!(pairs(&[1, 2, 3], &[3]), [(1, 3), (2, 3)]);
        assert_eq!(pairs(&[3], &[3]), []);
        assert_eq!(holders(&pairs(&[1, 2, 3], &[2, 3])), [1, 2, 3]);
    }

    #[test]
    fn read_back_requires_every_name_in_the_wanted_state() {
        let out = "fails n3: ping: n3: Temporary failure in name resolution\nresolves n2: PING n2 (10.0.0.2)";
        let ok = read_back(1, &["n3".into()], out, "fails", "dns").unwrap();
        assert!(ok.starts_with("n1: fails n3:"), "{ok}");
        // Known-bad: a name that still resolves is not an applied fault.
        let err = read_back(1, &["n2".into()], out, "fails", "dns").unwrap_err();
        assert!(
            err.to_string().contains("n1 does not report 'fails n2:'"),
            "{err}"
        );
    }
}

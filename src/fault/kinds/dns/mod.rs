//! `dns`: a node's name stops resolving for some or all peers, resolves slowly, or resolves
//! to a stale address. It only matters where nodes address each other by name
//! (`[cluster] identity = "hostname"`).
//!
//! Every mode acts in each peer's network namespace through a tools helper (NET_ADMIN
//! only). Such a helper shares the peer's `/etc/resolv.conf` *and* `/etc/hosts` (Docker
//! gives a `container:` network mode the networked container's files), so resolving from
//! the helper is resolving as the peer does, and the read-back of every mode is exactly that:
//!
//! - `unresolvable` (`refuse.rs`): an iptables chain `NCHAOS_DNS` rejects UDP queries to
//!   Docker's embedded DNS (127.0.0.11) whose name starts with the node's label
//!   (`-m string`, matched after the embedded DNS's own DNAT, so on the destination address,
//!   not port 53). Healed by flushing the chain.
//! - `slow` (`refuse.rs`): the same match steers those queries into an NFQUEUE where the
//!   project's `nchaos-netem` releases them after `delay_ms`; nothing else is queued. Read
//!   back by timing the name against a name the fault leaves alone. Healed by removing the
//!   helper and flushing the chain.
//! - `stale` (`hosts.rs`): a line `<stale address> <name>` appended to the peer's
//!   `/etc/hosts` (in place: Docker bind-mounts the file, so it cannot be replaced), which
//!   the images' `/etc/nsswitch.conf` (`hosts: files dns`) consults before DNS. Healed by
//!   removing the harness's lines.

mod hosts;
mod refuse;

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

/// The shortest `slow` delay: the read-back tells a delayed name from an untouched one
/// by time, which needs a margin above a resolution's own few milliseconds.
const MIN_DELAY_MS: u64 = 100;
/// The longest `slow` delay: below glibc's 5 s resolver timeout, so the name still resolves.
const MAX_DELAY_MS: u64 = 4000;

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
    /// Extra resolution delay (`mode = "slow"` only; 100..=4000 ms).
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
        let d = self.delay_ms.unwrap_or(MIN_DELAY_MS);
        r.extend(Rule::require(
            (MIN_DELAY_MS..=MAX_DELAY_MS).contains(&d),
            "delay_ms",
            format!(
                "dns: delay_ms = {d} is outside {MIN_DELAY_MS}..={MAX_DELAY_MS}: the resolver \
                 gives up after 5 s (glibc's default timeout, which Docker's resolv.conf keeps)"
            ),
            "for a name that does not resolve at all, use mode = \"unresolvable\"",
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
        let (proof, helpers, detail) = match self.mode {
            DnsMode::Unresolvable => (
                refuse::unresolvable(cx, &pairs).await?,
                vec![],
                String::new(),
            ),
            DnsMode::Slow => {
                let delay = self.delay_ms.unwrap_or_default();
                let (proof, helpers) = refuse::slow(cx, &pairs, delay).await?;
                (proof, helpers, format!(" by {delay} ms"))
            }
            DnsMode::Stale => {
                let stale = hosts::stale_addresses(cx.cluster, &names)?;
                let detail = format!(" -> {stale:?}");
                (hosts::stale(cx, &pairs, &stale).await?, vec![], detail)
            }
        };
        let holders = holders(&pairs);
        let desc = format!(
            "{:?}{detail}: names {names:?} for peers {holders:?}",
            self.mode
        );
        let heal = DnsHeal {
            mode: self.mode,
            pairs: pairs.clone(),
            helpers,
        };
        Ok(Applied::lasting(names, desc, proof, heal))
    }
}

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

/// The nodes whose names `peer` has misbehaving.
fn names_for(pairs: &[(usize, usize)], peer: usize) -> Vec<usize> {
    pairs
        .iter()
        .filter(|(p, _)| *p == peer)
        .map(|(_, n)| *n)
        .collect()
}

fn hostname(cluster: &Cluster, node: usize) -> Result<String> {
    Ok(cluster.node(node)?.identity.hostname.clone())
}

/// A name the fault leaves alone for `peer`, resolved through DNS like the chosen ones: the
/// first other node whose name it keeps, else the peer's own (from its hosts file).
fn control(cluster: &Cluster, pairs: &[(usize, usize)], peer: usize) -> Result<String> {
    let touched = names_for(pairs, peer);
    let other = (1..=cluster.nodes().len()).find(|n| *n != peer && !touched.contains(n));
    hostname(cluster, other.unwrap_or(peer))
}

/// The script resolving `host` from inside a namespace (ping resolves through the same
/// libc resolver, `/etc/resolv.conf` and `/etc/hosts` as the node) and printing one line:
/// `resolves HOST in MS ms: PING HOST (ADDR) ...` or `fails HOST in MS ms: <error>`. Whether
/// the name resolved is read from ping's first line, not its exit status, so a node that
/// does not answer pings still reads as resolving.
fn resolve_script(host: &str) -> String {
    format!(
        "t0=$(date +%s%N); out=$(ping -c1 -W1 {host} 2>&1 || true); t1=$(date +%s%N); \
         first=$(echo \"$out\" | head -1); ms=$(( (t1 - t0) / 1000000 )); \
         case \"$first\" in \"PING {host} (\"*) echo \"resolves {host} in $ms ms: $first\";; \
         *) echo \"fails {host} in $ms ms: $first\";; esac"
    )
}

/// One resolution as read back from a helper's output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resolved {
    /// The line as printed (the proof).
    line: String,
    /// The address, when it resolved.
    addr: Option<String>,
    /// How long resolving (plus one ping) took.
    ms: u64,
}

/// `host`'s line in a helper's output (see [`resolve_script`]).
fn parse_resolved(out: &str, host: &str) -> Option<Resolved> {
    out.lines().find_map(|l| {
        let l = l.trim();
        let (rest, ok) = match (l.strip_prefix("resolves "), l.strip_prefix("fails ")) {
            (Some(r), _) => (r, true),
            (_, Some(r)) => (r, false),
            _ => return None,
        };
        let ms = rest.strip_prefix(host)?.strip_prefix(" in ")?;
        let (ms, tail) = ms.split_once(" ms: ")?;
        let addr = tail
            .strip_prefix(&format!("PING {host} ("))
            .and_then(|t| t.split_once(')'))
            .map(|(a, _)| a.to_string());
        Some(Resolved {
            line: l.to_string(),
            addr: if ok { addr } else { None },
            ms: ms.parse().ok()?,
        })
    })
}

/// What a name must read back as.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Want {
    /// Does not resolve.
    Fails,
    /// Resolves (to anything).
    Resolves,
    /// Resolves to this address.
    Address(String),
    /// Resolves, taking at least this many ms.
    Slower(u64),
    /// Resolves, taking less than this many ms.
    Faster(u64),
}

impl Want {
    fn holds(&self, r: &Resolved) -> bool {
        match self {
            Want::Fails => r.addr.is_none(),
            Want::Resolves => r.addr.is_some(),
            Want::Address(a) => r.addr.as_deref() == Some(a.as_str()),
            Want::Slower(ms) => r.addr.is_some() && r.ms >= *ms,
            Want::Faster(ms) => r.addr.is_some() && r.ms < *ms,
        }
    }
}

/// Every `(host, want)` must hold in `peer`'s output; the proof line quotes each.
fn read_back(peer: usize, wants: &[(String, Want)], out: &str, fault: &str) -> Result<String> {
    let mut lines = vec![];
    for (h, want) in wants {
        match parse_resolved(out, h) {
            Some(r) if want.holds(&r) => lines.push(r.line),
            found => {
                return Err(Error::Fault {
                    fault: fault.into(),
                    detail: format!(
                        "read-back: n{peer} resolving {h} wanted {want:?}, got {}: {}",
                        found.map_or("no line".into(), |r| format!("'{}'", r.line)),
                        out.trim()
                    ),
                });
            }
        }
    }
    Ok(format!("n{peer}: {}", lines.join("; ")))
}

/// Heals a dns fault: removes its helpers, undoes what it did in each peer (flushes the
/// chain, or removes the hosts lines) and reads back that every name resolves again, to
/// the node's current address.
#[derive(Debug)]
struct DnsHeal {
    mode: DnsMode,
    pairs: Vec<(usize, usize)>,
    helpers: Vec<String>,
}

impl DnsHeal {
    async fn restore(&self, cluster: &mut Cluster, net: &NetOptions) -> Result<Vec<String>> {
        for h in &self.helpers {
            cluster.engine().remove_container(h).await?;
        }
        let mut proof = vec![];
        for peer in holders(&self.pairs) {
            if cluster.node(peer)?.container_id.is_none() {
                proof.push(format!("n{peer}: no container, nothing to heal"));
                continue;
            }
            let mut script = match self.mode {
                DnsMode::Stale => hosts::RESTORE.to_string(),
                DnsMode::Unresolvable | DnsMode::Slow => refuse::FLUSH.to_string(),
            };
            let mut wants = vec![];
            for n in names_for(&self.pairs, peer) {
                let h = hostname(cluster, n)?;
                script.push_str(&format!(" {};", resolve_script(&h)));
                wants.push((h, Want::Address(cluster.node(n)?.identity.ip.to_string())));
            }
            let out = network::run(cluster, peer, "dns-heal", script, net).await?;
            proof.push(read_back(peer, &wants, &out, "dns heal")?);
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

    const OUT: &str = "fails n3 in 2 ms: ping: n3: Temporary failure in name resolution\n\
        resolves n2 in 3003 ms: PING n2 (10.231.7.12) 56(84) bytes of data.\n\
        resolves n1 in 1 ms: PING n1 (10.231.7.11) 56(84) bytes of data.";

    #[test]
    fn a_peer_never_loses_its_own_name() {
        assert_eq!(pairs(&[1, 2, 3], &[3]), [(1, 3), (2, 3)]);
        assert_eq!(pairs(&[3], &[3]), []);
        assert_eq!(holders(&pairs(&[1, 2, 3], &[2, 3])), [1, 2, 3]);
        assert_eq!(names_for(&pairs(&[1, 2, 3], &[2, 3]), 2), [3]);
    }

    #[test]
    fn a_resolution_line_gives_the_address_and_the_time() {
        let r = parse_resolved(OUT, "n2").unwrap();
        assert_eq!((r.addr.as_deref(), r.ms), (Some("10.231.7.12"), 3003));
        let f = parse_resolved(OUT, "n3").unwrap();
        assert_eq!((f.addr, f.ms), (None, 2));
        // `n1` is not `n10`'s line, nor the reverse.
        assert!(parse_resolved(OUT, "n10").is_none());
        // A name that resolves but whose node does not answer pings still resolves.
        let down = "resolves n3 in 1004 ms: PING n3 (10.231.7.13) 56(84) bytes of data.";
        assert!(Want::Resolves.holds(&parse_resolved(down, "n3").unwrap()));
    }

    #[test]
    fn read_back_requires_every_name_in_the_wanted_state() {
        let ok = read_back(1, &[("n3".into(), Want::Fails)], OUT, "dns").unwrap();
        assert!(ok.starts_with("n1: fails n3 in 2 ms:"), "{ok}");
        let wants = [
            ("n2".into(), Want::Slower(2700)),
            ("n1".into(), Want::Faster(1500)),
            ("n2".into(), Want::Address("10.231.7.12".into())),
        ];
        read_back(1, &wants, OUT, "dns").unwrap();
        // Known-bad: a name that still resolves is not an applied fault.
        let err = read_back(1, &[("n2".into(), Want::Fails)], OUT, "dns").unwrap_err();
        assert!(
            err.to_string().contains("n1 resolving n2 wanted Fails"),
            "{err}"
        );
    }

    #[test]
    fn read_back_rejects_a_fast_slow_name_and_a_fresh_stale_one() {
        // Known-bad (slow): the name resolved at once, so nothing delays it.
        let err = read_back(1, &[("n1".into(), Want::Slower(2700))], OUT, "dns").unwrap_err();
        assert!(err.to_string().contains("wanted Slower(2700)"), "{err}");
        // Known-bad (slow): the untouched name was delayed too, so the resolver is.
        let err = read_back(1, &[("n2".into(), Want::Faster(1500))], OUT, "dns").unwrap_err();
        assert!(err.to_string().contains("'resolves n2 in 3003 ms"), "{err}");
        // Known-bad (stale): the name resolves to the node's real address, not the stale one.
        let stale = Want::Address("10.231.7.242".into());
        let err = read_back(1, &[("n2".into(), stale)], OUT, "dns").unwrap_err();
        assert!(err.to_string().contains("10.231.7.242"), "{err}");
        // Known-bad: the name has no line at all.
        let err = read_back(1, &[("n4".into(), Want::Resolves)], OUT, "dns").unwrap_err();
        assert!(err.to_string().contains("got no line"), "{err}");
    }
}

//! `unresolvable` and `slow`: a peer's DNS queries for a name, matched in its namespace's
//! `NCHAOS_DNS` chain, are rejected or queued for `nchaos-netem` to delay.

use std::time::Duration;

use super::{Want, control, holders, hostname, names_for, read_back, resolve_script};
use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::fault::inject::ApplyCtx;
use crate::fault::network;
use crate::poll::Poll;

/// Chain holding a dns fault's rules in a peer's namespace (its own, so that healing a
/// partition does not heal a dns fault, nor the reverse).
const CHAIN: &str = "NCHAOS_DNS";
/// Docker's embedded DNS server, as every container on a user network sees it.
const EMBEDDED_DNS: &str = "127.0.0.11";
/// The NFQUEUE a slow name's queries wait in (the latency fault uses 7: both may coexist).
const QUEUE: u16 = 8;
/// Create the chain and hook it into OUTPUT, once.
const CHAIN_UP: &str = "iptables -N NCHAOS_DNS 2>/dev/null || true; \
     iptables -C OUTPUT -j NCHAOS_DNS 2>/dev/null || iptables -I OUTPUT -j NCHAOS_DNS;";
/// Heal: empty the chain (left hooked, empty, like the network faults' chains).
pub(super) const FLUSH: &str = "iptables -F NCHAOS_DNS 2>/dev/null || true;";

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

/// The iptables rule (after `-A CHAIN`) matching the DNS query for `host`, then `target`.
/// Offsets are from the IP header: 20 (IP) + 8 (UDP) + 12 (DNS header) = 40, where the
/// name begins. Only queries match: answers come from 127.0.0.11, not to it.
fn query_rule(host: &str, target: &str) -> String {
    format!(
        "-d {EMBEDDED_DNS} -p udp -m string --algo bm --from 40 --to 64 --hex-string '{}' -j {target}",
        first_label(host)
    )
}

/// Rejected at once: the resolver gets ICMP port-unreachable, as from a resolver that
/// refuses the name.
fn refuse_rule(host: &str) -> String {
    query_rule(host, "REJECT")
}

/// Queued for `nchaos-netem`; `--queue-bypass` lets queries through if the helper is gone.
fn queue_rule(host: &str) -> String {
    query_rule(host, &format!("NFQUEUE --queue-num {QUEUE} --queue-bypass"))
}

fn rules_script(hosts: &[String], rule: fn(&str) -> String) -> String {
    let mut script = String::from(CHAIN_UP);
    for h in hosts {
        script.push_str(&format!(" iptables -A {CHAIN} {};", rule(h)));
    }
    script
}

fn resolve_all(hosts: &[String]) -> String {
    hosts
        .iter()
        .map(|h| format!(" {};", resolve_script(h)))
        .collect()
}

/// Install the refusals, then read back from each peer: the refused names fail, and a name
/// the fault leaves alone still resolves (only the chosen names are refused, not the
/// resolver).
pub(super) async fn unresolvable(
    cx: &mut ApplyCtx<'_>,
    pairs: &[(usize, usize)],
) -> Result<Vec<String>> {
    let mut proof = vec![];
    for peer in holders(pairs) {
        let hosts = peer_hosts(cx.cluster, pairs, peer)?;
        let own = control(cx.cluster, pairs, peer)?;
        let mut script = rules_script(&hosts, refuse_rule);
        script.push_str(&resolve_all(&hosts));
        script.push_str(&format!(" {};", resolve_script(&own)));
        let out = network::run(cx.cluster, peer, "dns", script, cx.net).await?;
        let mut wants: Vec<(String, Want)> = hosts.into_iter().map(|h| (h, Want::Fails)).collect();
        wants.push((own, Want::Resolves));
        proof.push(read_back(peer, &wants, &out, "dns")?);
    }
    Ok(proof)
}

fn peer_hosts(cluster: &Cluster, pairs: &[(usize, usize)], peer: usize) -> Result<Vec<String>> {
    names_for(pairs, peer)
        .into_iter()
        .map(|n| hostname(cluster, n))
        .collect()
}

/// Slow names: per peer, a helper queues the names' queries and releases them after
/// `delay_ms`. Read back from the peer: each name resolves, taking at least 90% of the
/// delay, while a name the fault leaves alone resolves in under half of it (only the
/// chosen names' queries are delayed). Returns the proof and the helpers to remove.
pub(super) async fn slow(
    cx: &mut ApplyCtx<'_>,
    pairs: &[(usize, usize)],
    delay_ms: u64,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut helpers = vec![];
    match queue_in_peers(cx, pairs, delay_ms, &mut helpers).await {
        Ok(proof) => Ok((proof, helpers)),
        Err(e) => {
            // Leave nothing half-applied: the helpers go, the chains are emptied.
            for h in &helpers {
                let _ = cx.cluster.engine().remove_container(h).await;
            }
            for peer in holders(pairs) {
                let _ = network::run(cx.cluster, peer, "dns-undo", FLUSH.into(), cx.net).await;
            }
            Err(e)
        }
    }
}

async fn queue_in_peers(
    cx: &mut ApplyCtx<'_>,
    pairs: &[(usize, usize)],
    delay_ms: u64,
    helpers: &mut Vec<String>,
) -> Result<Vec<String>> {
    let mut proof = vec![];
    for peer in holders(pairs) {
        let hosts = peer_hosts(cx.cluster, pairs, peer)?;
        let script = format!(
            "{} exec nchaos-netem --queue {QUEUE} --delay-ms {delay_ms} --jitter-ms 0 --loss 0 --seed {peer}",
            rules_script(&hosts, queue_rule)
        );
        let name = format!("{}-dns-n{peer}", cx.id);
        let id = network::spawn(cx.cluster, peer, &name, script, cx.net).await?;
        helpers.push(id.clone());
        wait_queueing(cx.cluster, peer, &id).await?;
        let own = control(cx.cluster, pairs, peer)?;
        let mut script = resolve_all(&hosts);
        script.push_str(&format!(" {};", resolve_script(&own)));
        let out = network::run(cx.cluster, peer, "dns", script, cx.net).await?;
        let mut wants: Vec<(String, Want)> = hosts
            .into_iter()
            .map(|h| (h, Want::Slower(delay_ms * 9 / 10)))
            .collect();
        wants.push((own, Want::Faster(delay_ms / 2)));
        proof.push(read_back(peer, &wants, &out, "dns")?);
    }
    Ok(proof)
}

/// Poll until the peer's helper runs and `nchaos-netem` announced its queue.
async fn wait_queueing(cluster: &Cluster, peer: usize, id: &str) -> Result<()> {
    let mut poll = Poll::new(format!("dns queue for n{peer}"), Duration::from_secs(10));
    loop {
        let state = cluster.engine().state(id).await?.unwrap_or_default();
        let logs = cluster.engine().logs(id).await.unwrap_or_default();
        if state == "running" && logs.contains("nchaos-netem: queue") {
            return Ok(());
        }
        if state != "running" || poll.expired() {
            return Err(Error::Fault {
                fault: "dns".into(),
                detail: format!(
                    "helper delaying n{peer}'s queries is {state:?}, not queueing: {}",
                    logs.trim()
                ),
            });
        }
        // A deadline passing here is reported by the check above.
        let _ = poll.next(state).await;
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
    fn a_slow_name_is_queued_apart_from_the_latency_fault() {
        let r = queue_rule("n3");
        assert!(r.starts_with("-d 127.0.0.11 -p udp"), "{r}");
        assert!(
            r.ends_with("-j NFQUEUE --queue-num 8 --queue-bypass"),
            "{r}"
        );
        let s = rules_script(&["n2".into(), "n3".into()], queue_rule);
        assert_eq!(s.matches("iptables -A NCHAOS_DNS").count(), 2, "{s}");
    }
}

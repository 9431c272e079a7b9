//! Network faults inside a node's namespace, applied by a tools-image helper that shares it
//! with NET_ADMIN only (never privileged): iptables chains `NCHAOS_OUT`/`NCHAOS_IN` for
//! partitions and loss, NFQUEUE + `nchaos-netem` for delay, `tc tbf` for bandwidth.

use std::time::Duration;

use tracing::info;

use super::Partition;
use super::rtt::{measure_rtt_ms, parse_ping_loss, ping};
use crate::cluster::Cluster;
use crate::docker::ContainerRequest;
use crate::error::{Error, Result};
use crate::poll::Poll;

/// Options for network helpers.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// Capabilities given to helpers (default: NET_ADMIN only).
    pub cap_add: Vec<String>,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            cap_add: vec!["NET_ADMIN".into()],
        }
    }
}

const CHAINS: &str = "iptables -N NCHAOS_OUT 2>/dev/null || true; iptables -N NCHAOS_IN 2>/dev/null || true; \
    iptables -C OUTPUT -j NCHAOS_OUT 2>/dev/null || iptables -A OUTPUT -j NCHAOS_OUT; \
    iptables -C INPUT -j NCHAOS_IN 2>/dev/null || iptables -A INPUT -j NCHAOS_IN;";
const SHOW: &str =
    "iptables -S NCHAOS_OUT 2>/dev/null || true; iptables -S NCHAOS_IN 2>/dev/null || true";
const QUEUE: u16 = 7;

fn fault_err(fault: &str, detail: String) -> Error {
    Error::Fault {
        fault: fault.into(),
        detail,
    }
}

fn container(cluster: &Cluster, node: usize) -> Result<String> {
    cluster.node(node)?.container_id.clone().ok_or_else(|| {
        fault_err(
            "network",
            format!("n{node} has no container; start it before a network fault"),
        )
    })
}

fn helper_req(
    cluster: &Cluster,
    image: String,
    node: usize,
    name: &str,
    script: String,
    opts: &NetOptions,
) -> Result<ContainerRequest> {
    Ok(ContainerRequest {
        name: format!("nchaos-{}-{name}-n{node}", cluster.run_id()),
        image,
        cmd: Some(vec!["sh".into(), "-ec".into(), script]),
        role: "helper".into(),
        network_mode: Some(format!("container:{}", container(cluster, node)?)),
        cap_add: opts.cap_add.clone(),
        ..Default::default()
    })
}

/// Run a one-shot script in node's namespace; error with its output if it fails.
pub(super) async fn run(
    cluster: &Cluster,
    node: usize,
    what: &str,
    script: String,
    opts: &NetOptions,
) -> Result<String> {
    let image = crate::image::ensure_tools(cluster.engine()).await?;
    let req = helper_req(
        cluster,
        image,
        node,
        &format!("{what}-{}", cluster.now_ms()),
        script,
        opts,
    )?;
    let out = cluster
        .engine()
        .run_helper(&req, Duration::from_secs(30))
        .await?;
    if out.exit_code != 0 {
        return Err(fault_err(
            what,
            format!(
                "helper in n{node}'s namespace failed (exit {}): {}",
                out.exit_code,
                out.output.trim()
            ),
        ));
    }
    Ok(out.output)
}

/// Start a long-running helper in `node`'s namespace (e.g. an `nchaos-netem` queue);
/// returns its container id. The caller reads it back and removes it when healing.
pub(super) async fn spawn(
    cluster: &Cluster,
    node: usize,
    name: &str,
    script: String,
    opts: &NetOptions,
) -> Result<String> {
    let image = crate::image::ensure_tools(cluster.engine()).await?;
    let req = helper_req(cluster, image, node, name, script, opts)?;
    let id = cluster.engine().create_container(&req).await?;
    cluster.engine().start(&id).await?;
    Ok(id)
}

fn ips(cluster: &Cluster, nodes: &[usize]) -> Result<Vec<String>> {
    nodes
        .iter()
        .map(|i| Ok(cluster.node(*i)?.identity.ip.to_string()))
        .collect()
}

fn require_rules(node: usize, listing: &str, needle: &str, fault: &str) -> Result<String> {
    if listing
        .lines()
        .any(|l| l.starts_with("-A NCHAOS") && l.contains(needle))
    {
        Ok(format!(
            "n{node} iptables: {}",
            listing
                .lines()
                .filter(|l| l.starts_with("-A NCHAOS"))
                .collect::<Vec<_>>()
                .join(" | ")
        ))
    } else {
        Err(fault_err(
            fault,
            format!("read-back: no '{needle}' rule in n{node}'s namespace: {listing}"),
        ))
    }
}

/// Delay (and drop) the targets' outgoing packets via NFQUEUE and a long-running helper.
#[allow(clippy::too_many_arguments)]
pub(super) async fn latency(
    cluster: &mut Cluster,
    id: &str,
    targets: &[usize],
    delay_ms: u64,
    jitter_ms: u64,
    loss: f64,
    peers: Option<&[usize]>,
    opts: &NetOptions,
) -> Result<(Vec<String>, Vec<String>)> {
    if jitter_ms > delay_ms {
        return Err(Error::Config(format!(
            "jitter {jitter_ms}ms exceeds delay {delay_ms}ms"
        )));
    }
    let image = crate::image::ensure_tools(cluster.engine()).await?;
    let dests = match peers {
        Some(p) => ips(cluster, p)?
            .into_iter()
            .map(|ip| format!("-d {ip} "))
            .collect(),
        None => vec![String::new()],
    };
    let mut helpers = vec![];
    let mut proof = vec![];
    for &t in targets {
        let rules: String = dests
            .iter()
            .map(|d| {
                format!("iptables -A NCHAOS_OUT {d}-j NFQUEUE --queue-num {QUEUE} --queue-bypass; ")
            })
            .collect();
        let script = format!(
            "{CHAINS} {rules} exec nchaos-netem --queue {QUEUE} --delay-ms {delay_ms} --jitter-ms {jitter_ms} --loss {loss} --seed {t}"
        );
        let req = helper_req(
            cluster,
            image.clone(),
            t,
            &format!("{id}-netem"),
            script,
            opts,
        )?;
        let hid = cluster.engine().create_container(&req).await?;
        helpers.push(hid.clone());
        cluster.engine().start(&hid).await?;
        // Read back: the helper is running, its rule is installed, and it announced itself.
        let mut poll = Poll::new(format!("netem helper for n{t}"), Duration::from_secs(10));
        loop {
            let state = cluster.engine().state(&hid).await?.unwrap_or_default();
            let logs = cluster.engine().logs(&hid).await.unwrap_or_default();
            if state == "running" && logs.contains("nchaos-netem: queue") {
                let listing = cluster
                    .engine()
                    .exec(&hid, &["sh", "-c", SHOW])
                    .await?
                    .output;
                proof.push(require_rules(t, &listing, "NFQUEUE", "latency")?);
                break;
            }
            if state != "running" || poll.expired() {
                for h in &helpers {
                    let _ = cluster.engine().remove_container(h).await;
                }
                let _ = heal(cluster, targets, &[], opts).await;
                return Err(fault_err(
                    "latency",
                    format!(
                        "helper for n{t} is {state:?}, not delaying packets: {}",
                        logs.trim()
                    ),
                ));
            }
            // A deadline passing here is handled (with the heal) by the check above.
            let _ = poll.next(state).await;
        }
    }
    // Read back by measurement: RTT from a peer to each target.
    let n = cluster.nodes().len();
    let floor = (delay_ms.saturating_sub(jitter_ms)) as f64 * 0.9;
    for &t in targets {
        let Some(from) = (1..=n)
            .find(|i| !targets.contains(i))
            .or((1..=n).find(|i| *i != t))
        else {
            proof.push("single node: RTT not measurable".into());
            continue;
        };
        if peers.is_some_and(|p| !p.contains(&from)) {
            continue;
        }
        let rtt = measure_rtt_ms(cluster, from, t, 10).await?;
        info!(from, to = t, rtt, "rtt under latency");
        if loss < 1.0 && rtt < floor {
            return Err(fault_err(
                "latency",
                format!(
                    "read-back: RTT n{from}→n{t} is {rtt:.1} ms, below {floor:.0} ms: delay not in place"
                ),
            ));
        }
        proof.push(format!("rtt n{from}->n{t} {rtt:.1} ms"));
    }
    Ok((proof, helpers))
}

/// Drop a fraction of the targets' outgoing packets.
pub(super) async fn loss(
    cluster: &mut Cluster,
    targets: &[usize],
    p: f64,
    opts: &NetOptions,
) -> Result<Vec<String>> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::Config(format!(
            "loss probability {p} is not within 0..1"
        )));
    }
    let mut proof = vec![];
    for &t in targets {
        let out = run(cluster, t, "loss", format!("{CHAINS} iptables -A NCHAOS_OUT -m statistic --mode random --probability {p} -j DROP; {SHOW}"), opts).await?;
        proof.push(require_rules(t, &out, "statistic", "loss")?);
    }
    Ok(proof)
}

/// Limit egress bandwidth with a token bucket.
pub(super) async fn bandwidth(
    cluster: &mut Cluster,
    targets: &[usize],
    kbit: u32,
    opts: &NetOptions,
) -> Result<Vec<String>> {
    let mut proof = vec![];
    for &t in targets {
        let out = run(cluster, t, "bandwidth", format!("tc qdisc replace dev eth0 root tbf rate {kbit}kbit burst 32kbit latency 400ms; tc qdisc show dev eth0"), opts).await?;
        if !out.contains("tbf") {
            return Err(fault_err(
                "bandwidth",
                format!("read-back: no tbf qdisc on n{t}: {out}"),
            ));
        }
        proof.push(format!(
            "n{t}: {}",
            out.lines().find(|l| l.contains("tbf")).unwrap_or("").trim()
        ));
    }
    Ok(proof)
}

/// Install a partition; returns (nodes holding rules, description, proof).
pub(super) async fn partition(
    cluster: &mut Cluster,
    p: &Partition,
    opts: &NetOptions,
) -> Result<(Vec<usize>, String, Vec<String>)> {
    let n = cluster.nodes().len();
    let (pairs, desc): (Vec<(usize, usize, bool)>, String) = match p {
        Partition::Isolate(t) => {
            let t = t.resolve(cluster).await?;
            let others: Vec<usize> = (1..=n).filter(|i| !t.contains(i)).collect();
            (
                t.iter()
                    .flat_map(|a| others.iter().map(move |b| (*a, *b, true)))
                    .collect(),
                format!("isolate {t:?}"),
            )
        }
        Partition::Split { a, b } => {
            let a = a.resolve(cluster).await?;
            let b = b.resolve(cluster).await?;
            (
                a.iter()
                    .flat_map(|x| b.iter().map(move |y| (*x, *y, true)))
                    .collect(),
                format!("split {a:?} | {b:?}"),
            )
        }
        Partition::OneWay { from, to } => {
            let f = from.resolve(cluster).await?;
            let t = to.resolve(cluster).await?;
            (
                f.iter()
                    .flat_map(|x| t.iter().map(move |y| (*x, *y, false)))
                    .collect(),
                format!("one-way {f:?} -> {t:?}"),
            )
        }
    };
    if pairs.iter().any(|(a, b, _)| a == b) {
        return Err(Error::Config(format!(
            "partition {desc} puts a node on both sides"
        )));
    }
    let mut holders: Vec<usize> = pairs.iter().map(|(a, _, _)| *a).collect();
    holders.sort_unstable();
    holders.dedup();
    let mut proof = vec![];
    for &h in &holders {
        let mut script = String::from(CHAINS);
        for (_, b, both) in pairs.iter().filter(|(a, _, _)| *a == h) {
            let ip = cluster.node(*b)?.identity.ip;
            script.push_str(&format!(" iptables -A NCHAOS_OUT -d {ip} -j DROP;"));
            if *both {
                script.push_str(&format!(" iptables -A NCHAOS_IN -s {ip} -j DROP;"));
            }
        }
        script.push_str(&format!(" {SHOW}"));
        let out = run(cluster, h, "partition", script, opts).await?;
        proof.push(require_rules(h, &out, "DROP", "partition")?);
    }
    // Read back by measurement: the first cut pair cannot ping.
    if let Some((a, b, _)) = pairs.first() {
        let ip = cluster.node(*b)?.identity.ip.to_string();
        let out = ping(cluster, *a, &ip, 2).await?;
        match parse_ping_loss(&out) {
            Some(l) if l >= 100.0 => proof.push(format!("ping n{a}->n{b}: 100% loss")),
            other => {
                return Err(fault_err(
                    "partition",
                    format!(
                        "read-back: n{a} still reaches n{b} (loss {other:?}): {}",
                        out.trim()
                    ),
                ));
            }
        }
    }
    Ok((holders, desc, proof))
}

/// Remove helpers and every rule/qdisc the harness put in the nodes' namespaces.
pub(super) async fn heal(
    cluster: &mut Cluster,
    nodes: &[usize],
    helpers: &[String],
    opts: &NetOptions,
) -> Result<Vec<String>> {
    for h in helpers {
        cluster.engine().remove_container(h).await?;
    }
    let mut proof = vec![];
    for &n in nodes {
        if cluster.node(n)?.container_id.is_none() {
            proof.push(format!("n{n}: no container, nothing to heal"));
            continue;
        }
        let out = run(cluster, n, "heal", format!("iptables -F NCHAOS_OUT 2>/dev/null || true; iptables -F NCHAOS_IN 2>/dev/null || true; tc qdisc del dev eth0 root 2>/dev/null || true; {SHOW}"), opts).await?;
        if out.lines().any(|l| l.starts_with("-A NCHAOS")) {
            return Err(fault_err(
                "heal",
                format!("rules remain in n{n}'s namespace: {out}"),
            ));
        }
        proof.push(format!("n{n}: no harness rules left"));
    }
    Ok(proof)
}

/// Heals a network fault: removes its helpers and every harness rule/qdisc in `nodes`.
#[derive(Debug)]
pub(super) struct NetHeal {
    nodes: Vec<usize>,
    helpers: Vec<String>,
}

impl NetHeal {
    pub(super) fn new(nodes: Vec<usize>, helpers: Vec<String>) -> Self {
        NetHeal { nodes, helpers }
    }
}

impl super::inject::Heal for NetHeal {
    fn heal<'a>(
        &'a self,
        cluster: &'a mut Cluster,
        net: &'a NetOptions,
    ) -> futures_util::future::BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(heal(cluster, &self.nodes, &self.helpers, net))
    }
}

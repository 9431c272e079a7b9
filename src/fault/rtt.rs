//! Round-trip time between nodes, measured with `ping` from inside a node's namespace.

use std::time::Duration;

use crate::cluster::Cluster;
use crate::docker::ContainerRequest;
use crate::error::{Error, Result};

/// Parse the average from ping's summary line (`rtt min/avg/max/mdev = a/b/c/d ms`).
///
/// ```
/// use nacos_chaos::fault::measure_rtt_ms;
/// # let _ = measure_rtt_ms;
/// assert_eq!(nacos_chaos::fault::parse_ping_avg("rtt min/avg/max/mdev = 0.1/200.5/230.0/9.1 ms"), Some(200.5));
/// assert_eq!(nacos_chaos::fault::parse_ping_avg("100% packet loss"), None);
/// ```
pub fn parse_ping_avg(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.contains("min/avg/max"))?;
    let values = line.split('=').nth(1)?.trim();
    values.split('/').nth(1)?.trim().parse().ok()
}

/// Packet loss percentage from ping's statistics line.
pub fn parse_ping_loss(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.contains("packet loss"))?;
    let pct = line.split(',').find(|p| p.contains("packet loss"))?;
    pct.trim().split('%').next()?.trim().parse().ok()
}

/// Run ping from node `from` to `to_ip` inside `from`'s network namespace; the output text.
pub async fn ping(cluster: &Cluster, from: usize, to_ip: &str, count: u32) -> Result<String> {
    let node = cluster.node(from)?;
    let id = node.container_id.clone().ok_or_else(|| Error::Fault {
        fault: "rtt".into(),
        detail: format!("n{from} has no running container to measure from"),
    })?;
    let image = crate::image::ensure_tools(cluster.engine()).await?;
    let req = ContainerRequest {
        name: format!(
            "nchaos-{}-ping-n{from}-{}",
            cluster.run_id(),
            cluster.now_ms()
        ),
        image,
        cmd: Some(vec![
            "ping".into(),
            "-c".into(),
            count.to_string(),
            "-i".into(),
            "0.2".into(),
            "-W".into(),
            "2".into(),
            to_ip.into(),
        ]),
        role: "helper".into(),
        network_mode: Some(format!("container:{id}")),
        ..Default::default()
    };
    let out = cluster
        .engine()
        .run_helper(&req, Duration::from_secs(10 + u64::from(count)))
        .await?;
    Ok(out.output)
}

/// Average RTT in ms from node `from` to node `to`.
pub async fn measure_rtt_ms(cluster: &Cluster, from: usize, to: usize, count: u32) -> Result<f64> {
    let ip = cluster.node(to)?.identity.ip.to_string();
    let out = ping(cluster, from, &ip, count).await?;
    parse_ping_avg(&out).ok_or_else(|| Error::Fault {
        fault: "rtt".into(),
        detail: format!("no RTT from n{from} to n{to}: {}", out.trim()),
    })
}

//! Clock skew: recreate the node (same IP, same data) with libfaketime preloaded into the
//! server process (`FAKETIME=±Ns`, realtime only — monotonic clocks, which Raft timers use,
//! stay true, as with a badly synchronised NTP clock). Proven by the offset of the node's
//! HTTP `Date` header against the harness's clock; healed by recreating it without.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cluster::{Cluster, MembershipPolicy, Recreate};
use crate::error::{Error, Result};
use crate::image::FAKETIME_LIB;
use crate::poll::Poll;

/// Parse an IMF-fixdate (`Fri, 27 Nov 2026 16:39:59 GMT`) into Unix seconds.
///
/// ```
/// use nacos_chaos::fault::parse_http_date;
/// assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:10 GMT"), Some(10));
/// assert_eq!(parse_http_date("Fri, 27 Nov 2026 16:39:59 GMT"), Some(1_795_797_599));
/// assert_eq!(parse_http_date("yesterday"), None);
/// ```
pub fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months.iter().position(|x| x == mon)? as i64 + 1;
    let (d, y): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, se] = hms.as_slice() else {
        return None;
    };
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm); shared
/// with the signatures check, which places log lines in time.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The node's clock offset in seconds (its `Date` header minus the harness's clock), polled
/// until the node answers or the deadline passes.
pub async fn clock_offset_s(cluster: &Cluster, node: usize, timeout: Duration) -> Result<f64> {
    let mut poll = Poll::new(format!("n{node} to answer with a Date header"), timeout);
    loop {
        if let Some(base) = cluster.node(node)?.base_url() {
            let sent = SystemTime::now();
            if let Ok(r) = cluster.http().get(format!("{base}/")).send().await {
                let back = SystemTime::now();
                let date = r
                    .headers()
                    .get("date")
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_http_date);
                if let Some(d) = date {
                    let mid = sent + back.duration_since(sent).unwrap_or_default() / 2;
                    let now = mid
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_secs_f64();
                    // The header has whole seconds: compare against the truncated second + 0.5.
                    return Ok(d as f64 + 0.5 - now);
                }
            }
        }
        if poll.next(String::new()).await.is_err() {
            return Err(Error::Fault {
                fault: "clock_skew".into(),
                detail: format!("n{node} never answered with a Date header"),
            });
        }
    }
}

async fn has_faketime(cluster: &Cluster, node: usize) -> Result<bool> {
    let Some(id) = cluster.node(node)?.container_id.clone() else {
        return Ok(false);
    };
    Ok(cluster.download(&id, FAKETIME_LIB).await.is_ok())
}

fn recreate() -> Recreate {
    Recreate {
        new_ip: false,
        version: None,
        policy: MembershipPolicy::Follow,
    }
}

/// Skew the nodes' clocks by `offset_s` and prove it.
pub(super) async fn skew(
    cluster: &mut Cluster,
    nodes: &[usize],
    offset_s: i64,
    caveat: Option<&str>,
) -> Result<Vec<String>> {
    for &n in nodes {
        if !has_faketime(cluster, n).await? {
            return Err(Error::Unsupported {
                flavor: cluster.flavor().kind().to_string(),
                what: "clock_skew".into(),
                why: caveat
                    .unwrap_or("the node's image has no libfaketime (install libfaketime on the host and rebuild with `nacos-chaos image`)")
                    .into(),
            });
        }
    }
    let mut proof = vec![];
    for &n in nodes {
        cluster.set_extra_env(
            n,
            vec![
                ("LD_PRELOAD".into(), FAKETIME_LIB.into()),
                ("FAKETIME".into(), format!("{offset_s:+}")),
                ("FAKETIME_DONT_FAKE_MONOTONIC".into(), "1".into()),
            ],
        )?;
        cluster.stop_node(n, 10).await.ok();
        cluster.recreate_node(n, &recreate()).await?;
        let seen = clock_offset_s(cluster, n, Duration::from_secs(30)).await?;
        if (seen - offset_s as f64).abs() > 3.0 {
            return Err(Error::Fault {
                fault: "clock_skew".into(),
                detail: format!(
                    "read-back: n{n} clock is off by {seen:+.1} s, asked {offset_s:+} s"
                ),
            });
        }
        proof.push(format!(
            "n{n} clock offset {seen:+.1} s (Date header vs harness clock)"
        ));
    }
    Ok(proof)
}

/// Restore true clocks and prove it.
pub(super) async fn reset(cluster: &mut Cluster, nodes: &[usize]) -> Result<Vec<String>> {
    let mut proof = vec![];
    for &n in nodes {
        cluster.set_extra_env(n, vec![])?;
        cluster.stop_node(n, 10).await.ok();
        cluster.recreate_node(n, &recreate()).await?;
        let seen = clock_offset_s(cluster, n, Duration::from_secs(30)).await?;
        if seen.abs() > 3.0 {
            return Err(Error::Fault {
                fault: "clock_skew".into(),
                detail: format!("heal: n{n} clock still off by {seen:+.1} s"),
            });
        }
        proof.push(format!("n{n} clock offset {seen:+.1} s"));
    }
    Ok(proof)
}

/// Heals `clock_skew`: resets the nodes' clocks.
#[derive(Debug)]
pub(super) struct ClockReset(pub Vec<usize>);

impl super::inject::Heal for ClockReset {
    fn heal<'a>(
        &'a self,
        cluster: &'a mut Cluster,
        _: &'a super::NetOptions,
    ) -> futures_util::future::BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(reset(cluster, &self.0))
    }
}

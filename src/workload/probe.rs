//! HTTP open-API probes (Nacos v1, which r-nacos and official 2.x/3.x serve): one function
//! per operation, each bounded by a timeout and turned into an [`Op`].

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::flavor::ApiPaths;
use crate::record::{Op, OpKind, Outcome};

/// Config group used by probes.
pub const GROUP: &str = "NACOS_CHAOS";
/// Service used by probes.
pub const SERVICE: &str = "nacos-chaos-probe";

/// One request to make.
#[derive(Debug, Clone)]
pub struct Request {
    /// Operation.
    pub kind: OpKind,
    /// dataId or service name.
    pub key: String,
    /// Value written (config content or `ip:port`).
    pub value: Option<String>,
}

#[derive(Deserialize)]
struct InstanceList {
    #[serde(default)]
    hosts: Vec<Host>,
}

#[derive(Deserialize)]
struct Host {
    ip: String,
    port: u16,
}

/// Classify an answer: (outcome, read values, error text).
///
/// A write answered with a server error (HTTP 5xx) is `Unknown`: a write a follower
/// forwarded can commit and still be answered 500 (the forward timed out, the answer was
/// lost), so it may or may not have happened. Any other refusal of a write (4xx, or 200
/// without the success body) is `Fail`. A read that is not answered with content is `Fail`
/// whatever the status: it returned nothing.
///
/// ```
/// use nacos_chaos::workload::{classify, OpKind, Outcome};
/// assert_eq!(classify(OpKind::PublishConfig, 200, "true").0, Outcome::Ok);
/// let (o, _, e) = classify(OpKind::PublishConfig, 500, "unknown the raft leader addr!");
/// assert_eq!(o, Outcome::Unknown);
/// assert!(e.unwrap().contains("raft leader"));
/// assert_eq!(classify(OpKind::PublishConfig, 400, "dataId invalid").0, Outcome::Fail);
/// assert_eq!(classify(OpKind::GetConfig, 500, "boom").0, Outcome::Fail);
/// assert_eq!(classify(OpKind::GetConfig, 404, "config data not exist").1, Some(vec![]));
/// ```
pub fn classify(
    kind: OpKind,
    status: u16,
    body: &str,
) -> (Outcome, Option<Vec<String>>, Option<String>) {
    // A server error may come after a write committed; a read that failed returned nothing.
    let refused = if kind.is_write() && (500..600).contains(&status) {
        Outcome::Unknown
    } else {
        Outcome::Fail
    };
    let fail = |b: &str| {
        (
            refused,
            None,
            Some(format!(
                "HTTP {status}: {}",
                b.trim().chars().take(400).collect::<String>()
            )),
        )
    };
    match kind {
        OpKind::PublishConfig => {
            if status == 200 && body.trim() == "true" {
                (Outcome::Ok, None, None)
            } else {
                fail(body)
            }
        }
        OpKind::RegisterPersistent | OpKind::RegisterEphemeral | OpKind::Deregister => {
            if status == 200 && body.trim() == "ok" {
                (Outcome::Ok, None, None)
            } else {
                fail(body)
            }
        }
        OpKind::GetConfig => match status {
            200 => (Outcome::Ok, Some(vec![body.to_string()]), None),
            404 => (Outcome::Ok, Some(vec![]), None),
            _ => fail(body),
        },
        OpKind::ListInstances => {
            if status != 200 {
                return fail(body);
            }
            match serde_json::from_str::<InstanceList>(body) {
                Ok(l) => {
                    let mut v: Vec<String> = l
                        .hosts
                        .iter()
                        .map(|h| format!("{}:{}", h.ip, h.port))
                        .collect();
                    v.sort();
                    (Outcome::Ok, Some(v), None)
                }
                Err(e) => (
                    Outcome::Fail,
                    None,
                    Some(format!(
                        "unparseable instance list ({e}): {}",
                        body.chars().take(200).collect::<String>()
                    )),
                ),
            }
        }
    }
}

/// Send one request to a node and record it as an [`Op`] (times relative to `epoch`).
#[allow(clippy::too_many_arguments)]
pub async fn send(
    http: &reqwest::Client,
    base: &str,
    api: &ApiPaths,
    node: &str,
    req: &Request,
    epoch: Instant,
    timeout: Duration,
) -> Op {
    let start_ms = epoch.elapsed().as_millis() as u64;
    let builder = request(http, base, api, req);
    let result = tokio::time::timeout(timeout, async {
        let r = builder.timeout(timeout).send().await?;
        let status = r.status().as_u16();
        let body = r.text().await?;
        Ok::<_, reqwest::Error>((status, body))
    })
    .await;
    let (outcome, status, read, error) = match result {
        Ok(Ok((status, body))) => {
            let (o, read, err) = classify(req.kind, status, &body);
            (o, Some(status), read, err)
        }
        Ok(Err(e)) => (
            Outcome::Unknown,
            None,
            None,
            Some(format!("transport: {e}")),
        ),
        Err(_) => (
            Outcome::Unknown,
            None,
            None,
            Some(format!("timeout after {timeout:?}")),
        ),
    };
    Op {
        id: 0,
        node: node.into(),
        client: "http".into(),
        kind: req.kind,
        key: req.key.clone(),
        value: req.value.clone(),
        start_ms,
        end_ms: epoch.elapsed().as_millis() as u64,
        outcome,
        status,
        error,
        read,
    }
}

/// The HTTP request for one operation, over the flavor's API paths.
fn request(
    http: &reqwest::Client,
    base: &str,
    api: &ApiPaths,
    req: &Request,
) -> reqwest::RequestBuilder {
    let value = req.value.clone().unwrap_or_default();
    match req.kind {
        OpKind::PublishConfig => http.post(format!("{base}{}", api.config)).form(&[
            ("dataId", req.key.as_str()),
            ("group", GROUP),
            ("content", value.as_str()),
        ]),
        OpKind::GetConfig => http
            .get(format!("{base}{}", api.config))
            .query(&[("dataId", req.key.as_str()), ("group", GROUP)]),
        OpKind::RegisterPersistent | OpKind::RegisterEphemeral | OpKind::Deregister => {
            let (ip, port) = value.split_once(':').unwrap_or((value.as_str(), "0"));
            let ephemeral = if req.kind == OpKind::RegisterEphemeral {
                "true"
            } else {
                "false"
            };
            let params = [
                ("serviceName", req.key.as_str()),
                ("ip", ip),
                ("port", port),
                ("ephemeral", ephemeral),
            ];
            let url = format!("{base}{}", api.instance);
            if req.kind == OpKind::Deregister {
                http.delete(url).query(&params)
            } else {
                http.post(url).query(&params)
            }
        }
        OpKind::ListInstances => http
            .get(format!("{base}{}", api.instance_list))
            // r-nacos defaults healthyOnly to true; probes must see unhealthy instances too.
            .query(&[("serviceName", req.key.as_str()), ("healthyOnly", "false")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_instance_lists_and_failures() {
        let body =
            r#"{"name":"s","hosts":[{"ip":"10.0.0.9","port":2},{"ip":"10.0.0.8","port":1}]}"#;
        let (o, read, _) = classify(OpKind::ListInstances, 200, body);
        assert_eq!(o, Outcome::Ok);
        assert_eq!(read.unwrap(), vec!["10.0.0.8:1", "10.0.0.9:2"]);
        assert_eq!(
            classify(OpKind::ListInstances, 200, "<html>").0,
            Outcome::Fail
        );
        assert_eq!(
            classify(OpKind::RegisterPersistent, 200, "ok").0,
            Outcome::Ok
        );
        // A write answered 5xx may have happened (see `classify`).
        assert_eq!(
            classify(OpKind::RegisterPersistent, 503, "server is DOWNnow").0,
            Outcome::Unknown
        );
        assert_eq!(
            classify(OpKind::PublishConfig, 200, "false").0,
            Outcome::Fail
        );
    }

    #[test]
    fn a_5xx_answer_to_a_write_is_unknown_4xx_stays_fail_reads_unaffected() {
        use OpKind::*;
        for kind in [
            PublishConfig,
            RegisterPersistent,
            RegisterEphemeral,
            Deregister,
        ] {
            for status in [500, 502, 503, 504] {
                // A forwarded write can commit and still answer 500.
                let (o, read, e) = classify(kind, status, "forward to leader failed");
                assert_eq!(o, Outcome::Unknown, "{kind:?} {status}");
                assert_eq!(read, None);
                assert!(e.unwrap().starts_with(&format!("HTTP {status}: ")));
            }
            for status in [400, 403, 404] {
                assert_eq!(classify(kind, status, "bad").0, Outcome::Fail, "{kind:?}");
            }
        }
        assert_eq!(classify(PublishConfig, 200, "false").0, Outcome::Fail);
        assert_eq!(classify(GetConfig, 500, "boom").0, Outcome::Fail);
        assert_eq!(classify(ListInstances, 503, "boom").0, Outcome::Fail);
    }
}

/// How a probe names what it writes, so HTTP and SDK probes never collide.
#[derive(Debug, Clone, Copy)]
pub struct KeySpace<'a> {
    /// dataId prefix (`chaos-`).
    pub key_prefix: &'a str,
    /// Config content prefix (`v`).
    pub value_prefix: &'a str,
    /// Service for instance operations.
    pub service: &'a str,
    /// First instance port.
    pub port_base: u64,
    /// Port offset between nodes.
    pub port_stride: u64,
    /// Ports used in all.
    pub port_span: u64,
}

/// Who writes: one probe of one node in one workload session of one run.
///
/// Every value a probe writes names its writer, so a write is unique for the whole run: a
/// later session (after a restart, say) never writes an earlier session's key or value
/// again, and a write lost across the restart cannot be "found" by being rewritten.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    /// Node name (`n1`).
    pub node: &'a str,
    /// Node index, 0-based.
    pub index: usize,
    /// Third octet of the run's subnet (instance addresses stay inside it).
    pub octet: u8,
    /// Run and session (`r0ea79cc370f.s2`): part of every config key and value.
    pub tag: &'a str,
}

/// The request for tick `seq` of `writer`: config keys and values unique for the run (they
/// carry the writer's tag), instance addresses inside the run's own subnet
/// (`10.231.<octet>.200-249`) with ports that differ for every tick of the run (ticks count
/// on across sessions, see [`History::ticks`](super::History::ticks)).
///
/// ```
/// use nacos_chaos::workload::{next_request, KeySpace, OpKind, Writer};
/// let ks = KeySpace { key_prefix: "chaos-", value_prefix: "v", service: "s", port_base: 20000, port_stride: 10000, port_span: 40000 };
/// let w = Writer { node: "n1", index: 0, octet: 7, tag: "r1.s2" };
/// let mut last = None;
/// let r = next_request(&ks, &w, OpKind::PublishConfig, 3, &mut last);
/// assert_eq!((r.key.as_str(), r.value.as_deref()), ("chaos-r1.s2-n1-3", Some("v3@n1.r1.s2")));
/// let r = next_request(&ks, &w, OpKind::GetConfig, 4, &mut last);
/// assert_eq!(r.key, "chaos-r1.s2-n1-3");
/// let r = next_request(&ks, &w, OpKind::RegisterPersistent, 5, &mut last);
/// assert!(r.value.unwrap().starts_with("10.231.7.2"));
/// ```
pub fn next_request(
    ks: &KeySpace<'_>,
    w: &Writer<'_>,
    kind: OpKind,
    seq: u64,
    last_key: &mut Option<String>,
) -> Request {
    let (node, index, octet, tag) = (w.node, w.index, w.octet, w.tag);
    match kind {
        OpKind::PublishConfig => {
            let key = format!("{}{tag}-{node}-{seq}", ks.key_prefix);
            *last_key = Some(key.clone());
            Request {
                kind,
                key,
                value: Some(format!("{}{seq}@{node}.{tag}", ks.value_prefix)),
            }
        }
        OpKind::GetConfig => Request {
            kind,
            key: last_key
                .clone()
                .unwrap_or_else(|| format!("{}{tag}-{node}-0", ks.key_prefix)),
            value: None,
        },
        OpKind::RegisterPersistent | OpKind::RegisterEphemeral | OpKind::Deregister => {
            let ip = format!("10.231.{octet}.{}", 200 + (index as u64 * 17 + seq) % 50);
            let port = ks.port_base + (index as u64 * ks.port_stride + seq) % ks.port_span;
            Request {
                kind,
                key: ks.service.to_string(),
                value: Some(format!("{ip}:{port}")),
            }
        }
        OpKind::ListInstances => Request {
            kind,
            key: ks.service.to_string(),
            value: None,
        },
    }
}

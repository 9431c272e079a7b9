//! The user's data as the server itself serves it: namespaces, configs (with content
//! hashes), services and their persistent instances, read over the open API on a node's
//! published port; and the comparison that says which baseline entries are gone or changed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::flavor::FlavorKind;

const PAGE: usize = 200;

/// One entry of the user's data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A namespace.
    Namespace {
        /// Namespace id (`""` = public).
        id: String,
    },
    /// A config and the sha256 of its content.
    Config {
        /// Namespace id.
        namespace: String,
        /// Group.
        group: String,
        /// Data id.
        data_id: String,
        /// sha256 of the content.
        sha256: String,
    },
    /// A service.
    Service {
        /// Namespace id.
        namespace: String,
        /// Group.
        group: String,
        /// Service name.
        name: String,
    },
    /// A persistent (non-ephemeral) instance.
    Instance {
        /// Namespace id.
        namespace: String,
        /// Group.
        group: String,
        /// Service name.
        service: String,
        /// `ip:port`.
        addr: String,
    },
}

impl Entry {
    /// Identity of the entry without its content hash.
    pub fn key(&self) -> String {
        let ns = |n: &str| {
            if n.is_empty() {
                "public".to_string()
            } else {
                n.to_string()
            }
        };
        match self {
            Entry::Namespace { id } => format!("namespace {}", ns(id)),
            Entry::Config {
                namespace,
                group,
                data_id,
                ..
            } => format!("config {}/{group}/{data_id}", ns(namespace)),
            Entry::Service {
                namespace,
                group,
                name,
            } => format!("service {}/{group}/{name}", ns(namespace)),
            Entry::Instance {
                namespace,
                group,
                service,
                addr,
            } => format!("instance {}/{group}/{service} {addr}", ns(namespace)),
        }
    }
}

/// What a node served.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Entries, sorted.
    pub entries: Vec<Entry>,
}

impl Snapshot {
    /// Count by kind: (namespaces, configs, services, instances).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for e in &self.entries {
            match e {
                Entry::Namespace { .. } => c.0 += 1,
                Entry::Config { .. } => c.1 += 1,
                Entry::Service { .. } => c.2 += 1,
                Entry::Instance { .. } => c.3 += 1,
            }
        }
        c
    }
}

/// A baseline entry that is gone or changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Lost {
    /// The entry as the baseline holds it.
    pub entry: String,
    /// `gone` or `changed`.
    pub how: String,
}

/// Baseline entries absent from `now` (`gone`) or present with another content hash
/// (`changed`). Entries only in `now` are not losses.
///
/// ```
/// use nacos_chaos::rehearse::baseline::{diff, Entry, Snapshot};
/// let c = |h: &str| Entry::Config { namespace: "".into(), group: "G".into(), data_id: "a".into(), sha256: h.into() };
/// let base = Snapshot { entries: vec![c("1"), Entry::Namespace { id: "x".into() }] };
/// let now = Snapshot { entries: vec![c("2")] };
/// let lost = diff(&base, &now);
/// assert_eq!(lost.len(), 2);
/// assert_eq!(lost.iter().find(|l| l.entry.starts_with("config")).unwrap().how, "changed");
/// ```
pub fn diff(base: &Snapshot, now: &Snapshot) -> Vec<Lost> {
    let have: BTreeMap<String, &Entry> = now.entries.iter().map(|e| (e.key(), e)).collect();
    let mut out: Vec<Lost> = base
        .entries
        .iter()
        .filter_map(|e| match have.get(&e.key()) {
            None => Some(Lost {
                entry: e.key(),
                how: "gone".into(),
            }),
            Some(n) if *n != e => Some(Lost {
                entry: e.key(),
                how: "changed".into(),
            }),
            Some(_) => None,
        })
        .collect();
    out.sort();
    out
}

async fn get_json(http: &reqwest::Client, base: &str, path: &str) -> Result<Value> {
    let url = format!("{base}{path}");
    let r = http
        .get(&url)
        .send()
        .await
        .map_err(|e| Error::http(format!("GET {url}"), e))?;
    let status = r.status();
    let body = r
        .text()
        .await
        .map_err(|e| Error::http(format!("GET {url}"), e))?;
    if !status.is_success() {
        return Err(Error::Protocol {
            node: base.into(),
            what: path.into(),
            detail: format!(
                "HTTP {status}: {}",
                body.chars().take(200).collect::<String>()
            ),
        });
    }
    serde_json::from_str(&body).map_err(|e| Error::Protocol {
        node: base.into(),
        what: path.into(),
        detail: format!(
            "not JSON ({e}): {}",
            body.chars().take(200).collect::<String>()
        ),
    })
}

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Read everything a node at `base` (`http://127.0.0.1:port`) serves.
pub async fn read(http: &reqwest::Client, base: &str, flavor: FlavorKind) -> Result<Snapshot> {
    let mut entries = BTreeSet::new();
    let ns_json = get_json(http, base, "/nacos/v1/console/namespaces").await?;
    let mut namespaces = vec![];
    for n in ns_json["data"].as_array().cloned().unwrap_or_default() {
        let id = s(&n, "namespace");
        namespaces.push(id.clone());
        entries.insert(Entry::Namespace { id });
    }
    if namespaces.is_empty() {
        namespaces.push(String::new());
    }
    for ns in &namespaces {
        let mut groups = BTreeSet::from(["DEFAULT_GROUP".to_string()]);
        let mut page = 1;
        loop {
            let p = format!(
                "/nacos/v1/cs/configs?search=blur&dataId=&group=&pageNo={page}&pageSize={PAGE}&tenant={}",
                enc(ns)
            );
            let j = get_json(http, base, &p).await?;
            let items = j["pageItems"].as_array().cloned().unwrap_or_default();
            for c in &items {
                let group = s(c, "group");
                groups.insert(group.clone());
                entries.insert(Entry::Config {
                    namespace: ns.clone(),
                    group,
                    data_id: s(c, "dataId"),
                    sha256: hex::encode(Sha256::digest(s(c, "content").as_bytes())),
                });
            }
            let pages = j["pagesAvailable"].as_u64().unwrap_or(1) as usize;
            if items.is_empty() || page >= pages {
                break;
            }
            page += 1;
        }
        let mut services: Vec<(String, String)> = vec![];
        match flavor {
            FlavorKind::RNacos => {
                let mut page = 1;
                loop {
                    let p = format!(
                        "/rnacos/api/console/ns/services?pageNo={page}&pageSize={PAGE}&namespaceId={}",
                        enc(ns)
                    );
                    let j = get_json(http, base, &p).await?;
                    let list = j["serviceList"].as_array().cloned().unwrap_or_default();
                    for v in &list {
                        services.push((s(v, "groupName"), s(v, "name")));
                    }
                    let total = j["count"].as_u64().unwrap_or(0) as usize;
                    if list.is_empty() || page * PAGE >= total {
                        break;
                    }
                    page += 1;
                }
            }
            FlavorKind::Official => {
                for g in &groups {
                    let p = format!(
                        "/nacos/v1/ns/service/list?pageNo=1&pageSize=10000&namespaceId={}&groupName={}",
                        enc(ns),
                        enc(g)
                    );
                    let j = get_json(http, base, &p).await?;
                    for d in j["doms"].as_array().cloned().unwrap_or_default() {
                        if let Some(name) = d.as_str() {
                            services.push((g.clone(), name.to_string()));
                        }
                    }
                }
            }
        }
        for (group, name) in services {
            let p = format!(
                "/nacos/v1/ns/instance/list?serviceName={}&groupName={}&namespaceId={}",
                enc(&name),
                enc(&group),
                enc(ns)
            );
            let j = get_json(http, base, &p).await?;
            for h in j["hosts"].as_array().cloned().unwrap_or_default() {
                if h["ephemeral"].as_bool() == Some(false) {
                    entries.insert(Entry::Instance {
                        namespace: ns.clone(),
                        group: group.clone(),
                        service: name.clone(),
                        addr: format!("{}:{}", s(&h, "ip"), s(&h, "port")),
                    });
                }
            }
            entries.insert(Entry::Service {
                namespace: ns.clone(),
                group,
                name,
            });
        }
    }
    Ok(Snapshot {
        entries: entries.into_iter().collect(),
    })
}

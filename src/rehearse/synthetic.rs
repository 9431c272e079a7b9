//! Synthetic user data for a rehearsal inside a suite: configs and persistent instances
//! written through the open API, then read back on every node before the backup is taken
//! (followers apply asynchronously; a backup of a lagging follower would not be the data).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::poll::Poll;

/// How much data to write.
///
/// ```
/// let d = nacos_chaos::rehearse::synthetic::SyntheticData::default();
/// assert_eq!((d.configs, d.instances), (4, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticData {
    /// Configs (`rehearse-<i>`, alternating DEFAULT_GROUP and G2).
    #[serde(default = "four")]
    pub configs: usize,
    /// Persistent instances of service `svc-rehearse` (127.0.0.1:9001, ...).
    #[serde(default = "three")]
    pub instances: usize,
}

fn four() -> usize {
    4
}
fn three() -> usize {
    3
}

impl Default for SyntheticData {
    fn default() -> Self {
        SyntheticData {
            configs: 4,
            instances: 3,
        }
    }
}

impl SyntheticData {
    fn config(i: usize) -> (&'static str, String, String) {
        let group = if i.is_multiple_of(2) {
            "DEFAULT_GROUP"
        } else {
            "G2"
        };
        (
            group,
            format!("rehearse-{i}"),
            format!("synthetic content {i}\n"),
        )
    }

    /// Write everything through node `via` and wait until every node serves every config.
    /// Returns the evidence line.
    pub async fn write(&self, c: &Cluster, via: usize) -> Result<String> {
        let base = c
            .node(via)?
            .base_url()
            .ok_or_else(|| Error::Config(format!("n{via} has no published HTTP port")))?;
        for i in 0..self.configs {
            let (group, id, content) = Self::config(i);
            let form = [
                ("dataId", id.as_str()),
                ("group", group),
                ("content", &content),
            ];
            expect_answer(c, &format!("{base}/nacos/v1/cs/configs"), &form, "true").await?;
        }
        for i in 0..self.instances {
            let port = (9001 + i).to_string();
            let form = [
                ("serviceName", "svc-rehearse"),
                ("ip", "127.0.0.1"),
                ("port", port.as_str()),
                ("ephemeral", "false"),
            ];
            expect_answer(c, &format!("{base}/nacos/v1/ns/instance"), &form, "ok").await?;
        }
        self.wait_everywhere(c).await?;
        Ok(format!(
            "{} ms: {} config(s) and {} persistent instance(s) written through n{via}, every config served by every node",
            c.now_ms(),
            self.configs,
            self.instances
        ))
    }

    async fn wait_everywhere(&self, c: &Cluster) -> Result<()> {
        let mut poll = Poll::new("every config on every node", Duration::from_secs(30));
        'wait: loop {
            for n in c.nodes() {
                let Some(b) = n.base_url() else { continue };
                for i in 0..self.configs {
                    let (group, id, content) = Self::config(i);
                    let got = c
                        .http()
                        .get(format!("{b}/nacos/v1/cs/configs"))
                        .query(&[("dataId", id.as_str()), ("group", group)])
                        .send()
                        .await;
                    let ok = match got {
                        Ok(r) => r.text().await.ok() == Some(content),
                        Err(_) => false,
                    };
                    if !ok {
                        poll.next(format!("{} lacks {id}", n.name())).await?;
                        continue 'wait;
                    }
                }
            }
            return Ok(());
        }
    }
}

async fn expect_answer(c: &Cluster, url: &str, form: &[(&str, &str)], want: &str) -> Result<()> {
    let r = c
        .http()
        .post(url)
        .form(form)
        .send()
        .await
        .map_err(|e| Error::http(format!("POST {url}"), e))?;
    let body = r.text().await.unwrap_or_default();
    if body.trim() != want {
        return Err(Error::Protocol {
            node: url.into(),
            what: format!("write {form:?}"),
            detail: format!("answered {body:?}, not {want:?}"),
        });
    }
    Ok(())
}

//! Garbage collection: find and remove resources carrying the harness's labels — only
//! those, never anything else.

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, ListVolumesOptions, RemoveVolumeOptions,
};
use serde::Serialize;

use super::{Engine, LABEL_MANAGED, LABEL_RUN};
use crate::error::{Error, Result};
use crate::poll::Poll;

/// Resources found (or removed) for a label selection.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// Container names.
    pub containers: Vec<String>,
    /// Network names.
    pub networks: Vec<String>,
    /// Volume names.
    pub volumes: Vec<String>,
}

impl Inventory {
    /// Nothing at all?
    ///
    /// ```
    /// assert!(nacos_chaos::docker::gc::Inventory::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty()
    }

    /// Total count.
    pub fn len(&self) -> usize {
        self.containers.len() + self.networks.len() + self.volumes.len()
    }
}

fn filters(run: Option<&str>) -> HashMap<String, Vec<String>> {
    let mut labels = vec![format!("{LABEL_MANAGED}=true")];
    if let Some(r) = run {
        labels.push(format!("{LABEL_RUN}={r}"));
    }
    HashMap::from([("label".to_string(), labels)])
}

impl Engine {
    /// List managed resources, all runs (`run = None`) or one run.
    pub async fn inventory(&self, run: Option<&str>) -> Result<Inventory> {
        let f = filters(run);
        let containers = self
            .client()
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(f.clone()),
                ..Default::default()
            }))
            .await
            .map_err(|e| Error::docker("list containers", e))?
            .into_iter()
            .filter_map(|c| {
                c.names
                    .and_then(|n| n.first().cloned())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .or(c.id)
            })
            .collect();
        let networks = self
            .client()
            .list_networks(Some(ListNetworksOptions {
                filters: Some(f.clone()),
            }))
            .await
            .map_err(|e| Error::docker("list networks", e))?
            .into_iter()
            .filter_map(|n| n.name)
            .collect();
        let volumes = self
            .client()
            .list_volumes(Some(ListVolumesOptions { filters: Some(f) }))
            .await
            .map_err(|e| Error::docker("list volumes", e))?
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect();
        let mut inv = Inventory {
            containers,
            networks,
            volumes,
        };
        inv.containers.sort();
        inv.networks.sort();
        inv.volumes.sort();
        Ok(inv)
    }

    /// Remove managed resources (containers first, then networks and volumes), all runs
    /// (`run = None`) or one run. Returns what was removed.
    ///
    /// Removal repeats until a fresh inventory is empty: a create request that was in flight
    /// when its run was interrupted can still land after the first listing, and the volume it
    /// mounts is then "in use". Such conflicts are retried for up to [`GC_SETTLE`]; any other
    /// error, or a conflict that outlives it, is returned naming the resource.
    pub async fn gc(&self, run: Option<&str>) -> Result<Inventory> {
        let mut removed = Inventory::default();
        let mut poll = Poll::new("labelled resources to be removed", GC_SETTLE);
        // Why the previous pass did not finish the job (None before the first pass).
        let mut again: Option<(String, Option<Error>)> = None;
        loop {
            let inv = self.inventory(run).await?;
            if inv.is_empty() {
                return Ok(removed);
            }
            if let Some((why, conflict)) = again.take()
                && let Err(timeout) = poll.next(why).await
            {
                return Err(conflict.unwrap_or(timeout));
            }
            again = match self.gc_pass(&inv, &mut removed).await {
                Ok(()) => Some((format!("still listed after a removal pass: {inv:?}"), None)),
                Err(Removal::Conflict(e)) => Some((e.to_string(), Some(e))),
                Err(Removal::Failed(e)) => return Err(e),
            };
        }
    }

    /// One removal pass over `inv`, recording what went into `removed`.
    async fn gc_pass(
        &self,
        inv: &Inventory,
        removed: &mut Inventory,
    ) -> std::result::Result<(), Removal> {
        for c in &inv.containers {
            self.remove_container(c).await.map_err(Removal::from)?;
            push_new(&mut removed.containers, c);
        }
        for n in &inv.networks {
            self.remove_network(n).await.map_err(Removal::from)?;
            push_new(&mut removed.networks, n);
        }
        for v in &inv.volumes {
            match self
                .client()
                .remove_volume(v, Some(RemoveVolumeOptions { force: true }))
                .await
            {
                Ok(()) => {}
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => return Err(Error::docker(format!("remove volume {v}"), e).into()),
            }
            push_new(&mut removed.volumes, v);
        }
        Ok(())
    }
}

/// How long [`Engine::gc`] keeps retrying a resource that is still in use.
pub const GC_SETTLE: Duration = Duration::from_secs(30);

/// Why a removal pass stopped.
enum Removal {
    /// Still in use by something a later pass may remove (HTTP 409, or 403 for a network
    /// with endpoints on old engines).
    Conflict(Error),
    /// Anything else.
    Failed(Error),
}

impl From<Error> for Removal {
    fn from(e: Error) -> Self {
        if is_conflict(&e) {
            Removal::Conflict(e)
        } else {
            Removal::Failed(e)
        }
    }
}

/// Is `e` an engine refusal that a later pass can clear (the resource is still in use)?
fn is_conflict(e: &Error) -> bool {
    matches!(
        e,
        Error::Docker {
            source: bollard::errors::Error::DockerResponseServerError {
                status_code: 409 | 403,
                ..
            },
            ..
        }
    )
}

fn push_new(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}

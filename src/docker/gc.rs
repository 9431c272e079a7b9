//! Garbage collection: find and remove resources carrying the harness's labels — only
//! those, never anything else.

use std::collections::HashMap;

use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, ListVolumesOptions, RemoveVolumeOptions,
};
use serde::Serialize;

use super::{Engine, LABEL_MANAGED, LABEL_RUN};
use crate::error::{Error, Result};

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

    /// Remove managed resources (containers first, then networks and volumes). Returns what
    /// was removed.
    pub async fn gc(&self, run: Option<&str>) -> Result<Inventory> {
        let inv = self.inventory(run).await?;
        for c in &inv.containers {
            self.remove_container(c).await?;
        }
        for n in &inv.networks {
            self.remove_network(n).await?;
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
                Err(e) => return Err(Error::docker(format!("remove volume {v}"), e)),
            }
        }
        Ok(inv)
    }
}

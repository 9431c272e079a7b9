//! One Docker network per run, with an explicit /24 subnet that collides neither with
//! existing networks nor with concurrent runs.

use std::net::Ipv4Addr;

use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest};
use bollard::query_parameters::ListNetworksOptions;

use super::Engine;
use crate::error::{Error, Result};

/// The run's network: name and /24 subnet `10.231.<octet>.0/24`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunNetwork {
    /// Docker network name.
    pub name: String,
    /// Third octet of `10.231.x.0/24`.
    pub octet: u8,
}

impl RunNetwork {
    /// Address `.host` inside the subnet.
    ///
    /// ```
    /// let n = nacos_chaos::docker::RunNetwork { name: "n".into(), octet: 7 };
    /// assert_eq!(n.ip(11).to_string(), "10.231.7.11");
    /// ```
    pub fn ip(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 231, self.octet, host)
    }

    /// Subnet in CIDR form.
    pub fn subnet(&self) -> String {
        format!("10.231.{}.0/24", self.octet)
    }
}

fn parse_octet(subnet: &str) -> Option<u8> {
    let base = subnet.split('/').next()?;
    let parts: Vec<&str> = base.split('.').collect();
    if parts.len() == 4 && parts[0] == "10" && parts[1] == "231" {
        parts[2].parse().ok()
    } else {
        None
    }
}

fn overlaps_ours(subnet: &str) -> bool {
    // Any subnet covering 10.231.0.0/16 wholesale (e.g. 10.0.0.0/8) blocks us entirely.
    let Some((base, bits)) = subnet.split_once('/') else {
        return false;
    };
    let bits: u8 = bits.parse().unwrap_or(32);
    let Ok(ip) = base.parse::<Ipv4Addr>() else {
        return false;
    };
    if bits > 16 {
        return false;
    }
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::new(10, 231, 0, 0)) & mask)
}

impl Engine {
    /// Create the run network, choosing a free subnet. Retries on overlap (a concurrent run
    /// may take the same subnet between our listing and our create).
    pub async fn create_run_network(&self) -> Result<RunNetwork> {
        self.create_run_network_preferring(None).await
    }

    /// As [`Engine::create_run_network`], trying `10.231.<prefer>.0/24` first (a rehearsal
    /// reproduces a backup's own addresses when their subnet is free).
    pub async fn create_run_network_preferring(&self, prefer: Option<u8>) -> Result<RunNetwork> {
        let name = format!("nchaos-{}", self.run_id());
        let start = self
            .run_id()
            .bytes()
            .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32));
        let mut last_err = String::new();
        for attempt in 0..256u32 {
            let used = self.used_octets().await?;
            let octet = match prefer.filter(|p| (1..=254).contains(p)) {
                Some(p) if attempt == 0 => p,
                _ => ((start + attempt * 37) % 254 + 1) as u8,
            };
            if used.contains(&octet) {
                continue;
            }
            let net = RunNetwork {
                name: name.clone(),
                octet,
            };
            let req = NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".into()),
                ipam: Some(Ipam {
                    driver: Some("default".into()),
                    config: Some(vec![IpamConfig {
                        subnet: Some(net.subnet()),
                        gateway: Some(net.ip(1).to_string()),
                        ..Default::default()
                    }]),
                    options: None,
                }),
                labels: Some(self.labels(&[])),
                ..Default::default()
            };
            match self.client().create_network(req).await {
                Ok(_) => return Ok(net),
                Err(e) => {
                    let text = e.to_string();
                    if text.contains("overlap") || text.contains("already") {
                        last_err = text;
                        continue;
                    }
                    return Err(Error::docker(format!("create network {name}"), e));
                }
            }
        }
        Err(Error::Engine(format!(
            "no free /24 in 10.231.0.0/16 for network {name} (last error: {last_err}); \
             run `nacos-chaos gc` to remove networks left by crashed runs"
        )))
    }

    async fn used_octets(&self) -> Result<Vec<u8>> {
        let nets = self
            .client()
            .list_networks(None::<ListNetworksOptions>)
            .await
            .map_err(|e| Error::docker("list networks", e))?;
        let mut used = vec![];
        for n in nets {
            for c in n.ipam.and_then(|i| i.config).unwrap_or_default() {
                if let Some(s) = c.subnet {
                    if overlaps_ours(&s) {
                        return Err(Error::Engine(format!(
                            "network {} uses {s}, which covers 10.231.0.0/16 reserved for test runs",
                            n.name.unwrap_or_default()
                        )));
                    }
                    if let Some(o) = parse_octet(&s) {
                        used.push(o);
                    }
                }
            }
        }
        Ok(used)
    }

    /// Remove a network (missing is fine).
    pub async fn remove_network(&self, name: &str) -> Result<()> {
        match self.client().remove_network(name).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(Error::docker(format!("remove network {name}"), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_parsing_and_overlap() {
        assert_eq!(parse_octet("10.231.9.0/24"), Some(9));
        assert_eq!(parse_octet("172.17.0.0/16"), None);
        assert!(overlaps_ours("10.0.0.0/8"));
        assert!(!overlaps_ours("10.232.0.0/16"));
        assert!(!overlaps_ours("10.231.4.0/24"));
    }
}

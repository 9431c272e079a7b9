//! Production addresses → addresses on the run's network. When every production address
//! lies in one `10.231.x.0/24` and that subnet is free, the run reproduces them exactly;
//! otherwise each is mapped to a run address and the mapping is part of the rehearsal.

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::docker::RunNetwork;
use crate::error::{Error, Result};
use crate::preflight::Member;

/// The planned change of identities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Same addresses (a version upgrade only).
    SameAddresses,
    /// Every listed production address moves: `old → new`.
    NewAddresses(Vec<(String, String)>),
    /// Peers named by hostname instead of address.
    Hostnames,
}

impl Change {
    /// Parse `--new-addresses old=new,...`.
    ///
    /// ```
    /// use nacos_chaos::rehearse::Change;
    /// let c = Change::parse_new_addresses("10.0.0.1=10.0.1.1, 10.0.0.2=10.0.1.2").unwrap();
    /// assert!(matches!(c, Change::NewAddresses(ref v) if v.len() == 2));
    /// assert!(Change::parse_new_addresses("10.0.0.1").is_err());
    /// ```
    pub fn parse_new_addresses(text: &str) -> Result<Change> {
        let mut v = vec![];
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = pair.split_once('=').ok_or_else(|| {
                Error::Config(format!(
                    "--new-addresses: '{pair}' is not old=new\n  fix: write each change as old_ip=new_ip, comma-separated"
                ))
            })?;
            v.push((host(a.trim()), host(b.trim())));
        }
        Ok(Change::NewAddresses(v))
    }
}

fn host(addr: &str) -> String {
    Member::parse(addr)
        .map(|m| m.host)
        .unwrap_or_else(|_| addr.to_string())
}

/// One node's addresses in production and in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeAddresses {
    /// Node index (1-based).
    pub node: usize,
    /// Production address the backup was taken at.
    pub prod_old: String,
    /// Run address the restored node first runs at.
    pub run_old: Ipv4Addr,
    /// Production address after the planned change.
    pub prod_new: String,
    /// Run address after the planned change.
    pub run_new: Ipv4Addr,
}

/// The whole mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressMap {
    /// True when the run uses the production addresses themselves.
    pub reproduced: bool,
    /// True when the planned change is to hostname identity: every node keeps its address,
    /// and peers name each other `n1`, `n2`, ... instead.
    pub hostnames: bool,
    /// Per node.
    pub nodes: Vec<NodeAddresses>,
}

/// `old=new` pairs moving every address up by `by` in its last octet, the form
/// `--new-addresses` and [`Change::parse_new_addresses`] take.
///
/// ```
/// use std::net::Ipv4Addr;
/// let moves = nacos_chaos::rehearse::addresses::moved_up(&[Ipv4Addr::new(10, 0, 0, 11)], 20);
/// assert_eq!(moves, vec!["10.0.0.11=10.0.0.31"]);
/// ```
pub fn moved_up(ips: &[Ipv4Addr], by: u8) -> Vec<String> {
    ips.iter()
        .map(|ip| {
            let o = ip.octets();
            format!(
                "{ip}={}",
                Ipv4Addr::new(o[0], o[1], o[2], o[3].wrapping_add(by))
            )
        })
        .collect()
}

/// The `10.231.x` subnet octet to ask for: the one every production address lies in, if any.
pub fn preferred_octet(members: &[Member]) -> Option<u8> {
    let ips: Vec<Ipv4Addr> = members
        .iter()
        .map(|m| m.host.parse().ok())
        .collect::<Option<_>>()?;
    let o = ips.first()?.octets();
    let same = ips.iter().all(|ip| {
        let p = ip.octets();
        p[0] == 10 && p[1] == 231 && p[2] == o[2] && (2..=254).contains(&p[3])
    });
    same.then_some(o[2])
}

/// Map production addresses onto `net`.
pub fn map(members: &[Member], change: &Change, net: &RunNetwork) -> Result<AddressMap> {
    let reproduced = preferred_octet(members) == Some(net.octet);
    let mut nodes = vec![];
    for (i, m) in members.iter().enumerate() {
        let index = i + 1;
        let prod_old = m.host.clone();
        let run_old = if reproduced {
            m.host.parse().expect("checked by preferred_octet")
        } else {
            crate::cluster::node_ip(net, 0, index)
        };
        let prod_new = match change {
            Change::NewAddresses(pairs) => pairs
                .iter()
                .find(|(a, _)| *a == prod_old)
                .map(|(_, b)| b.clone())
                .unwrap_or_else(|| prod_old.clone()),
            Change::Hostnames => format!("n{index}"),
            Change::SameAddresses => prod_old.clone(),
        };
        nodes.push(NodeAddresses {
            node: index,
            prod_old,
            run_old,
            prod_new,
            run_new: run_old,
        });
    }
    // New run addresses: the production ones when reproduced and inside the subnet, else
    // free hosts from .100 (.200 when those collide).
    let olds: Vec<Ipv4Addr> = nodes.iter().map(|n| n.run_old).collect();
    let hostnames = *change == Change::Hostnames;
    for n in &mut nodes {
        if n.prod_new == n.prod_old || hostnames {
            continue;
        }
        let exact = n
            .prod_new
            .parse::<Ipv4Addr>()
            .ok()
            .filter(|ip| reproduced && ip.octets()[0..3] == net.ip(0).octets()[0..3])
            .filter(|ip| (2..=254).contains(&ip.octets()[3]) && !olds.contains(ip));
        n.run_new = exact.unwrap_or_else(|| {
            let a = net.ip(100 + n.node as u8);
            if olds.contains(&a) {
                net.ip(200 + n.node as u8)
            } else {
                a
            }
        });
    }
    Ok(AddressMap {
        reproduced,
        hostnames,
        nodes,
    })
}

impl AddressMap {
    /// One line per node for the report.
    pub fn lines(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| {
                let moved = if self.hostnames {
                    format!(
                        "; after the change named {} (hostname identity, same address)",
                        n.prod_new
                    )
                } else if n.prod_new != n.prod_old {
                    format!("; after the change {} (run {})", n.prod_new, n.run_new)
                } else {
                    String::new()
                };
                format!(
                    "n{}: production {} = run {}{moved}",
                    n.node, n.prod_old, n.run_old
                )
            })
            .collect()
    }

    /// True when the planned change moves any address.
    pub fn moves(&self) -> bool {
        self.nodes.iter().any(|n| n.run_new != n.run_old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(t: &str) -> Vec<Member> {
        crate::preflight::parse_members(t).unwrap()
    }

    #[test]
    fn reproduced_when_the_subnet_is_the_runs() {
        let m = members("10.231.7.11:8848,10.231.7.12:8848,10.231.7.13:8848");
        assert_eq!(preferred_octet(&m), Some(7));
        let net = RunNetwork {
            name: "n".into(),
            octet: 7,
        };
        let c = Change::parse_new_addresses(
            "10.231.7.11=10.231.7.31,10.231.7.12=10.231.7.32,10.231.7.13=10.231.7.33",
        )
        .unwrap();
        let a = map(&m, &c, &net).unwrap();
        assert!(a.reproduced && a.moves());
        assert_eq!(a.nodes[1].run_new.to_string(), "10.231.7.32");
    }

    #[test]
    fn mapped_elsewhere() {
        let m = members("192.168.1.5:8848,192.168.1.6:8848,192.168.1.7:8848");
        assert_eq!(preferred_octet(&m), None);
        let net = RunNetwork {
            name: "n".into(),
            octet: 9,
        };
        let a = map(&m, &Change::SameAddresses, &net).unwrap();
        assert!(!a.reproduced && !a.moves());
        assert_eq!(a.nodes[0].run_old.to_string(), "10.231.9.11");
        assert!(a.lines()[0].contains("production 192.168.1.5 = run 10.231.9.11"));
    }

    #[test]
    fn hostnames_keep_every_address_and_name_the_nodes() {
        let m = members("192.168.1.5:8848,192.168.1.6:8848,192.168.1.7:8848");
        let net = RunNetwork {
            name: "n".into(),
            octet: 9,
        };
        let a = map(&m, &Change::Hostnames, &net).unwrap();
        assert!(a.hostnames && !a.moves());
        assert_eq!(a.nodes[2].prod_new, "n3");
        assert_eq!(a.nodes[2].run_new, a.nodes[2].run_old);
        assert!(
            a.lines()[2].contains("named n3 (hostname identity"),
            "{:?}",
            a.lines()
        );
    }
}

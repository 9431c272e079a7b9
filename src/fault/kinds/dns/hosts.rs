//! `stale`: a name maps, in a peer's `/etc/hosts`, to an address its node no longer has.
//!
//! Docker bind-mounts each container's `/etc/hosts` from a file on the daemon's host, so
//! the file cannot be replaced (`docker cp` fails with "device or resource busy") but can
//! be rewritten in place (same inode). A tools helper in the peer's network namespace
//! shares that very file, so it appends `<address> <name> # nchaos-dns` and reads it back
//! by resolving; the images consult files before DNS (`/etc/nsswitch.conf`: `hosts: files
//! dns`, as in Debian-based production images and the r-nacos image recipe). Docker builds
//! the file anew when the peer's container starts (not exercised here), which would end the
//! fault for that peer; the heal's read-back holds either way.

use std::net::Ipv4Addr;

use super::{Want, control, holders, hostname, names_for, read_back, resolve_script};
use crate::cluster::Cluster;
use crate::error::{Error, Result};
use crate::fault::inject::ApplyCtx;
use crate::fault::network;

/// Marks the harness's lines in a hosts file.
const MARK: &str = "# nchaos-dns";
/// Host part of the unused address a node's name goes stale to when it never had another
/// (node `i` gets `.240 + i`; node addresses are `.11`-`.15`, `.31`-`.35`, ...; a phantom
/// peer is `.250`).
const STALE_BASE: u8 = 240;

/// Heal: keep every line but the harness's, rewriting the file in place (`>` truncates the
/// same inode; a rename would not reach the bind mount), then show it.
pub(super) const RESTORE: &str = "kept=$(grep -v '# nchaos-dns$' /etc/hosts || true); \
     printf '%s\\n' \"$kept\" > /etc/hosts;";

/// The address each named node's name goes stale to (see [`stale_address`]).
pub(super) fn stale_addresses(
    cluster: &Cluster,
    names: &[usize],
) -> Result<Vec<(usize, Ipv4Addr)>> {
    let taken: Vec<Ipv4Addr> = cluster.nodes().iter().map(|n| n.identity.ip).collect();
    names
        .iter()
        .map(|&n| {
            let node = cluster.node(n)?;
            let unused = cluster.network().ip(STALE_BASE.saturating_add(n as u8));
            let addr = stale_address(node.original.ip, node.identity.ip, unused, &taken).map_err(
                |detail| Error::Fault {
                    fault: "dns".into(),
                    detail: format!("n{n}: {detail}"),
                },
            )?;
            Ok((n, addr))
        })
        .collect()
}

/// A node's stale address: its original address after an IP change, else `unused`; never
/// an address a node has now (`taken`).
fn stale_address(
    original: Ipv4Addr,
    current: Ipv4Addr,
    unused: Ipv4Addr,
    taken: &[Ipv4Addr],
) -> std::result::Result<Ipv4Addr, String> {
    let addr = if original != current {
        original
    } else {
        unused
    };
    if taken.contains(&addr) {
        return Err(format!(
            "the stale address {addr} belongs to a node now; fix: move that node off it or drop the fault"
        ));
    }
    Ok(addr)
}

/// The line mapping `host` to `addr`, marked as the harness's.
fn entry(addr: Ipv4Addr, host: &str) -> String {
    format!("{addr} {host} {MARK}")
}

/// Append the stale lines to each peer's hosts file, then read back from the peer: each
/// name resolves to its stale address, the file is the peer's own (it lists the peer's
/// name), and a name the fault leaves alone still resolves.
pub(super) async fn stale(
    cx: &mut ApplyCtx<'_>,
    pairs: &[(usize, usize)],
    stale: &[(usize, Ipv4Addr)],
) -> Result<Vec<String>> {
    let mut proof = vec![];
    for peer in holders(pairs) {
        let mut script = String::new();
        let mut wants = vec![];
        for n in names_for(pairs, peer) {
            let host = hostname(cx.cluster, n)?;
            let addr = stale
                .iter()
                .find(|(s, _)| *s == n)
                .map(|(_, a)| *a)
                .ok_or_else(|| Error::Config(format!("dns: no stale address for n{n}")))?;
            script.push_str(&format!(
                " printf '%s\\n' '{}' >> /etc/hosts;",
                entry(addr, &host)
            ));
            wants.push((host, Want::Address(addr.to_string())));
        }
        let own = hostname(cx.cluster, peer)?;
        let other = control(cx.cluster, pairs, peer)?;
        for (h, _) in &wants {
            script.push_str(&format!(" {};", resolve_script(h)));
        }
        script.push_str(&format!(" {};", resolve_script(&other)));
        script.push_str(&format!(
            " echo \"hosts: $(grep -c . /etc/hosts) lines, own: $(grep -cw {own} /etc/hosts)\";"
        ));
        wants.push((other, Want::Resolves));
        let out = network::run(cx.cluster, peer, "dns", script, cx.net).await?;
        let mut line = read_back(peer, &wants, &out, "dns")?;
        line.push_str(&format!("; {}", peers_file(peer, &own, &out)?));
        proof.push(line);
    }
    Ok(proof)
}

/// The file the helper rewrote is the peer's: it lists the peer's own name.
fn peers_file(peer: usize, own: &str, out: &str) -> Result<String> {
    let line = out
        .lines()
        .find(|l| l.starts_with("hosts: "))
        .unwrap_or("")
        .trim();
    if line.ends_with("own: 0") || line.is_empty() {
        return Err(Error::Fault {
            fault: "dns".into(),
            detail: format!(
                "read-back: the hosts file rewritten in n{peer}'s namespace does not list {own}, \
                 so it is not n{peer}'s own: {}",
                out.trim()
            ),
        });
    }
    Ok(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_marked_so_the_heal_removes_only_them() {
        let e = entry(Ipv4Addr::new(10, 231, 7, 243), "n3");
        assert_eq!(e, "10.231.7.243 n3 # nchaos-dns");
        assert!(RESTORE.contains("grep -v '# nchaos-dns$'"));
        assert!(e.ends_with(MARK));
    }

    #[test]
    fn a_stale_address_is_one_no_node_has() {
        let ip = |h| Ipv4Addr::new(10, 231, 7, h);
        let taken = [ip(11), ip(12), ip(33)];
        // Never moved: an unused address of the run's subnet.
        assert_eq!(stale_address(ip(13), ip(13), ip(243), &taken), Ok(ip(243)));
        // Moved by an ip_change: the address it had first.
        assert_eq!(stale_address(ip(13), ip(33), ip(243), &taken), Ok(ip(13)));
        // Known-bad: an address a node has now is not stale.
        let err = stale_address(ip(13), ip(13), ip(12), &taken).unwrap_err();
        assert!(err.contains("10.231.7.12 belongs to a node now"), "{err}");
    }

    #[test]
    fn the_rewritten_file_must_be_the_peers_own() {
        assert!(peers_file(1, "n1", "x\nhosts: 4 lines, own: 1\n").is_ok());
        // Known-bad: the helper's own hosts file (without the peer's name) proves nothing.
        let err = peers_file(1, "n1", "hosts: 3 lines, own: 0").unwrap_err();
        assert!(err.to_string().contains("not n1's own"), "{err}");
        assert!(peers_file(1, "n1", "nothing").is_err());
    }
}

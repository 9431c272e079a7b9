//! The `dns` fault on r-nacos in hostname mode: a node's name stops resolving for its
//! peers, resolves slowly, or resolves to a stale address, each proven by resolving it from
//! inside each peer's namespace, and healed.

mod common;

use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::fault::{Dns, DnsMode, Fault, Nemesis, Targets};
use nacos_chaos::flavor::IdentityMode;

#[tokio::test]
async fn a_name_stops_resolving_for_its_peers_only_and_resolves_again_once_healed() {
    let Some(_e) = common::engine_or_skip("dns_unresolvable").await else {
        return;
    };
    let mut spec = ClusterSpec::rnacos(common::RNACOS_TO, 3);
    spec.identity = IdentityMode::Hostname;
    let mut c = Cluster::launch(spec).await.expect("hostname-mode bring-up");
    let mut nemesis = Nemesis::default();
    let id = nemesis
        .apply(
            &mut c,
            &Fault::dns(Targets::Nodes(vec![3]), DnsMode::Unresolvable),
        )
        .await
        .expect("dns fault applied and read back");
    let proof = nemesis.proof_of(&id);
    eprintln!("dns proof: {proof}");
    assert!(
        proof.contains("n1: fails n3 in ") && proof.contains("n2: fails n3 in "),
        "{proof}"
    );
    nemesis.heal(&mut c, &id).await.expect("healed");
    let w = nemesis.windows().into_iter().find(|w| w.id == id).unwrap();
    eprintln!("dns heal proof: {:?}", w.heal_proof);
    assert!(
        w.heal_proof
            .iter()
            .any(|l| l.starts_with("n1: resolves n3 in ") && l.contains("PING n3 (")),
        "{:?}",
        w.heal_proof
    );
    c.teardown().await.expect("teardown");
}

/// A 3-node r-nacos cluster addressing its peers by name.
async fn hostname_cluster() -> Cluster {
    let mut spec = ClusterSpec::rnacos(common::RNACOS_TO, 3);
    spec.identity = IdentityMode::Hostname;
    Cluster::launch(spec).await.expect("hostname-mode bring-up")
}

/// Apply `fault`, heal it, and return (and print) the proof of both, a line per peer.
async fn apply_and_heal(c: &mut Cluster, fault: &Fault) -> (Vec<String>, Vec<String>) {
    let mut nemesis = Nemesis::default();
    let id = nemesis
        .apply(c, fault)
        .await
        .expect("dns fault applied and read back");
    nemesis.heal(c, &id).await.expect("healed");
    let w = nemesis.windows().into_iter().find(|w| w.id == id).unwrap();
    eprintln!(
        "dns proof: {:?}\ndns heal proof: {:?}",
        w.proof, w.heal_proof
    );
    (w.proof, w.heal_proof)
}

/// `slow`: only n3's name is delayed for n1 and n2 (a name the fault leaves alone resolves
/// at once), and resolves at once again after the heal.
#[tokio::test]
async fn a_slow_name_resolves_after_the_delay_and_promptly_once_healed() {
    let Some(_e) = common::engine_or_skip("dns_slow").await else {
        return;
    };
    let mut c = hostname_cluster().await;
    let slow: Fault = Dns {
        nodes: Targets::Nodes(vec![3]),
        peers: None,
        mode: DnsMode::Slow,
        delay_ms: Some(1500),
    }
    .into();
    let (proof, heal) = apply_and_heal(&mut c, &slow).await;
    for peer in ["n1", "n2"] {
        let line = proof.iter().find(|l| l.starts_with(peer)).expect(peer);
        let ms = |host: &str| -> u64 {
            let at = line.find(&format!("resolves {host} in ")).expect(host);
            let rest = &line[at + host.len() + 13..];
            rest.split(' ').next().unwrap().parse().unwrap()
        };
        let other = if peer == "n1" { "n2" } else { "n1" };
        assert!(ms("n3") >= 1350 && ms(other) < 750, "{peer}: {line}");
    }
    let ip3 = c.node(3).unwrap().identity.ip.to_string();
    assert!(
        heal.iter()
            .any(|l| l.contains("resolves n3 in") && l.contains(&ip3)),
        "{heal:?}"
    );
    c.teardown().await.expect("teardown");
}

/// `stale`: n3's name maps, for n1 and n2, to an unused address of the run's subnet, read
/// from their own hosts files; the heal brings back n3's real address.
#[tokio::test]
async fn a_stale_name_resolves_to_an_unused_address_until_healed() {
    let Some(_e) = common::engine_or_skip("dns_stale").await else {
        return;
    };
    let mut c = hostname_cluster().await;
    let ip3 = c.node(3).unwrap().identity.ip;
    let o = ip3.octets();
    let stale = format!("{}.{}.{}.243", o[0], o[1], o[2]);
    let fault = Fault::dns(Targets::Nodes(vec![3]), DnsMode::Stale);
    let (proof, heal) = apply_and_heal(&mut c, &fault).await;
    for peer in ["n1", "n2"] {
        let line = proof.iter().find(|l| l.starts_with(peer)).expect(peer);
        assert!(
            line.starts_with(&format!("{peer}: resolves n3 in"))
                && line.contains(&format!("PING n3 ({stale})"))
                && line.contains("own: 1"),
            "{line}"
        );
    }
    assert!(
        heal.iter()
            .filter(|l| l.contains(&format!("PING n3 ({ip3})")))
            .count()
            == 2,
        "{heal:?}"
    );
    c.teardown().await.expect("teardown");
}

/// The shipped dns suites: an unresolvable or stale name bites across a restart of the named
/// node and provably does not while connections stay open; a slow name only delays the
/// redial; each fault's read-back is in the step record.
#[tokio::test]
async fn shipped_dns_suites_bite_across_a_restart_and_not_without() {
    use nacos_chaos::scenario::{RunOptions, Suite, run};
    for (file, read_back) in [
        ("rnacos-dns-unresolvable-control.toml", "n1: fails n3"),
        ("rnacos-dns-unresolvable-restart.toml", "n1: fails n3"),
        ("rnacos-dns-stale-control.toml", ".243) "),
        ("rnacos-dns-stale-restart.toml", ".243) "),
        ("rnacos-dns-slow-restart.toml", "n1: resolves n3 in "),
    ] {
        if common::engine_or_skip(file).await.is_none() {
            return;
        }
        let suite = Suite::load(format!("suites/{file}")).expect("suite");
        let results = tempfile::tempdir().unwrap().keep();
        let opts = RunOptions {
            results,
            ..Default::default()
        };
        let r = run(&suite, &suite.versions.from[0].clone(), None, &opts).await;
        assert!(r.error.is_none(), "{file}: runner error: {:?}", r.error);
        let w = r
            .faults
            .iter()
            .find(|w| w.kind == "dns")
            .expect("dns window");
        assert!(
            w.proof.iter().any(|l| l.contains(read_back)),
            "{file}: {:?}",
            w.proof
        );
        assert!(r.as_expected(), "{file}: {:?}", r.unmet_expectations());
    }
}

//! The `dns` fault on r-nacos in hostname mode: a node's name stops resolving for its
//! peers, proven by resolving it from inside each peer's namespace, and healed.

mod common;

use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::fault::{DnsMode, Fault, Nemesis, Targets};
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
        proof.contains("n1: fails n3:") && proof.contains("n2: fails n3:"),
        "{proof}"
    );
    nemesis.heal(&mut c, &id).await.expect("healed");
    let w = nemesis.windows().into_iter().find(|w| w.id == id).unwrap();
    eprintln!("dns heal proof: {:?}", w.heal_proof);
    assert!(
        w.heal_proof
            .iter()
            .any(|l| l.contains("n1: resolves n3: PING n3")),
        "{:?}",
        w.heal_proof
    );
    c.teardown().await.expect("teardown");
}

/// The shipped dns suites: the fault bites across a restart of the named node and provably
/// does not while connections stay open; the fault's read-back is in the step record.
#[tokio::test]
async fn shipped_dns_suites_bite_across_a_restart_and_not_without() {
    use nacos_chaos::scenario::{RunOptions, Suite, run};
    for file in [
        "rnacos-dns-unresolvable-control.toml",
        "rnacos-dns-unresolvable-restart.toml",
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
            w.proof.iter().any(|l| l.contains("fails n3")),
            "{:?}",
            w.proof
        );
        assert!(r.as_expected(), "{file}: {:?}", r.unmet_expectations());
    }
}

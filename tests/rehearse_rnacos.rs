//! Rehearsing a whole-cluster address change on a real r-nacos backup: a 3-node 0.8.8
//! cluster is given configs and persistent instances through the API, stopped, and each
//! node's data dir copied out as the "backup"; the rehearsal then shows the planned change
//! unsafe, "delete the Raft dir" recovering a leader and losing exactly what the baseline
//! lists, and "keep the old addresses" recovering with nothing lost. The backup is
//! byte-identical afterwards and nothing is left in Docker.

mod common;

use std::time::Duration;

use nacos_chaos::cluster::{Cluster, ClusterSpec};
use nacos_chaos::poll::Poll;
use nacos_chaos::rehearse::{self, Change, Fix, Plan, input, restore};

const CONFIGS: [(&str, &str, &str, &str); 4] = [
    ("", "DEFAULT_GROUP", "app.yaml", "port: 8080\n"),
    ("", "DEFAULT_GROUP", "db.properties", "url=jdbc:x\n"),
    ("", "G2", "feature-flags", "{\"a\":true}"),
    ("rehearse", "DEFAULT_GROUP", "tenant.yaml", "tenant: yes\n"),
];
const INSTANCES: [(&str, &str, &str, u16); 3] = [
    ("DEFAULT_GROUP", "svc-a", "127.0.0.1", 9001),
    ("DEFAULT_GROUP", "svc-a", "127.0.0.1", 9002),
    ("G2", "svc-b", "127.0.0.2", 9003),
];

async fn write_data(c: &mut Cluster) {
    let leader = c.wait_for_leader(Duration::from_secs(30)).await.unwrap();
    let _ = leader;
    let base = c.node(1).unwrap().base_url().unwrap();
    let http = c.http().clone();
    for (ns, group, id, content) in CONFIGS {
        let r = http
            .post(format!("{base}/nacos/v1/cs/configs"))
            .form(&[
                ("dataId", id),
                ("group", group),
                ("content", content),
                ("tenant", ns),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.text().await.unwrap(), "true", "publish {id}");
    }
    for (group, svc, ip, port) in INSTANCES {
        let port = port.to_string();
        let r = http
            .post(format!("{base}/nacos/v1/ns/instance"))
            .form(&[
                ("serviceName", svc),
                ("groupName", group),
                ("ip", ip),
                ("port", port.as_str()),
                ("ephemeral", "false"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.text().await.unwrap(), "ok", "register {svc} {ip}:{port}");
    }
    // Every node serves every config before the stop (followers apply asynchronously).
    let mut poll = Poll::new("every config on every node", Duration::from_secs(30));
    'wait: loop {
        for n in c.nodes() {
            let b = n.base_url().unwrap();
            for (ns, group, id, content) in CONFIGS {
                let got = http
                    .get(format!("{b}/nacos/v1/cs/configs"))
                    .query(&[("dataId", id), ("group", group), ("tenant", ns)])
                    .send()
                    .await;
                let ok = match got {
                    Ok(r) => r.text().await.ok().as_deref() == Some(content),
                    Err(_) => false,
                };
                if !ok {
                    poll.next(format!("{} lacks {id}", n.name())).await.unwrap();
                    continue 'wait;
                }
            }
        }
        break;
    }
}

#[tokio::test]
async fn rehearsing_a_whole_cluster_address_change_on_a_real_backup() {
    let Some(engine) = common::engine_or_skip("rehearse_rnacos").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Cluster::launch(ClusterSpec::rnacos(common::RNACOS_TO, 3))
        .await
        .expect("launch");
    write_data(&mut c).await;
    for i in 1..=3 {
        c.stop_node(i, 10).await.unwrap();
    }
    let mut backups = vec![];
    for i in 1..=3 {
        let d = tmp.path().join(format!("n{i}"));
        restore::save_node_data(&c, i, &d)
            .await
            .expect("copy data out");
        backups.push(d);
    }
    let members: Vec<String> = c
        .nodes()
        .iter()
        .map(|n| format!("{}:8848", n.identity.ip))
        .collect();
    let ips: Vec<_> = c.nodes().iter().map(|n| n.identity.ip).collect();
    let moves = nacos_chaos::rehearse::addresses::moved_up(&ips, 20);
    c.teardown().await.unwrap();
    // NACOS_CHAOS_REHEARSE_KEEP=DIR keeps a copy of the backup and its members (to try the
    // CLI on a real backup by hand).
    if let Ok(keep) = std::env::var("NACOS_CHAOS_REHEARSE_KEEP") {
        let keep = std::path::Path::new(&keep);
        std::fs::create_dir_all(keep).unwrap();
        for (i, b) in backups.iter().enumerate() {
            let to = std::fs::File::create(keep.join(format!("n{}.tar.gz", i + 1))).unwrap();
            let gz = flate2::write::GzEncoder::new(to, Default::default());
            let mut t = tar::Builder::new(gz);
            t.append_dir_all(".", b).unwrap();
            t.into_inner().unwrap().finish().unwrap();
        }
        std::fs::write(keep.join("cluster.conf"), members.join("\n")).unwrap();
        std::fs::write(keep.join("new-addresses"), moves.join(",")).unwrap();
    }
    let digests: Vec<String> = backups
        .iter()
        .map(|b| input::tree_digest(b).unwrap())
        .collect();

    let mut plan = Plan::new(
        nacos_chaos::flavor::FlavorKind::RNacos,
        common::RNACOS_TO,
        backups.clone(),
        &members.join(","),
        Change::parse_new_addresses(&moves.join(",")).unwrap(),
    )
    .unwrap();
    // CI rehearses the two fixes it asserts; NACOS_CHAOS_REHEARSE_ALL_FIXES=1 runs every fix
    // (about two minutes more) with the same assertions.
    plan.fixes = if std::env::var("NACOS_CHAOS_REHEARSE_ALL_FIXES").as_deref() == Ok("1") {
        rehearse::ALL_FIXES.to_vec()
    } else {
        vec![Fix::DeleteRaftDir, Fix::KeepOldAddresses]
    };
    plan.leader_timeout = Duration::from_secs(30);
    let report = rehearse::rehearse(&plan).await.expect("rehearsal");
    let out = tmp.path().join("report");
    report.write(&out).unwrap();
    let md = report.markdown();
    eprintln!("{md}");

    // The baseline holds what was written.
    let (_, configs, services, instances) = report.baseline.counts();
    assert_eq!(
        (configs, services, instances),
        (4, 2, 3),
        "{:?}",
        report.baseline
    );

    // The planned change: unsafe, no leader.
    assert!(!report.safe && report.exit_code() == 1, "{md}");
    assert_eq!(report.planned.leader_ms, None, "{md}");
    assert!(md.contains("The planned upgrade is UNSAFE"), "{md}");

    // Delete the Raft dir: a leader, and exactly the baseline's configs, services and
    // instances (and the namespace only configs created) lost — each listed.
    let del = report.fix("delete-raft-dir").unwrap();
    assert!(del.leader_ms.is_some(), "{md}");
    let lost: Vec<&str> = del.lost.iter().map(|l| l.entry.as_str()).collect();
    for e in &report.baseline.entries {
        if !matches!(e, rehearse::baseline::Entry::Namespace { .. }) {
            assert!(
                lost.contains(&e.key().as_str()),
                "{} not listed lost: {md}",
                e.key()
            );
            assert!(md.contains(&e.key()), "{} not in the report", e.key());
        }
    }
    let base_keys: Vec<String> = report.baseline.entries.iter().map(|e| e.key()).collect();
    assert!(
        lost.iter().all(|l| base_keys.iter().any(|k| k == l)),
        "{md}"
    );

    // Keep the old addresses: leader, nothing lost; ranked above deleting the Raft dir.
    let keep = report.fix("keep-old-addresses").unwrap();
    assert!(keep.recovered_whole(), "{md}");
    let rank = |name: &str| report.fixes.iter().position(|f| f.fix == name).unwrap();
    assert!(rank("keep-old-addresses") < rank("delete-raft-dir"), "{md}");
    assert!(report.fixes[0].recovered_whole(), "{md}");

    // Preflight predicted it from every copy.
    assert_eq!(report.preflight.len(), 3);

    // Backups untouched; nothing left in Docker.
    for (b, d) in backups.iter().zip(&digests) {
        assert_eq!(
            &input::tree_digest(b).unwrap(),
            d,
            "{} changed",
            b.display()
        );
    }
    for run in std::iter::once(&report.planned)
        .chain(&report.fixes)
        .map(|f| f.run_id.as_str())
        .chain([c.run_id()])
    {
        let inv = engine.inventory(Some(run)).await.unwrap();
        assert!(inv.is_empty(), "run {run} left {inv:?}");
    }
    for f in [
        rehearse::report::JSON_FILE,
        rehearse::report::MD_FILE,
        rehearse::report::HTML_FILE,
    ] {
        assert!(out.join(f).is_file());
    }
}

//! The official flavor's rehearsal inputs by fixtures: synthetic JRaft data dirs (this
//! file's parent encoder) loaded as backups — one as a `.tar.gz` — and preflighted against
//! the planned membership, as `rehearse` does before it starts any copy.

use super::*;
use nacos_chaos::rehearse::{self, Change, Plan, input};

const MEMBERS: &str = "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848";

fn homes(root: &Path) -> Vec<std::path::PathBuf> {
    (1..=3)
        .map(|i| {
            let home = root.join(format!("node{i}"));
            for g in ["naming_persistent_service_v2", "nacos_config"] {
                group(
                    &home,
                    g,
                    Some(stable_meta(3, ABC[0])),
                    Some((12, snapshot_meta(12, 3, &ABC, &[]))),
                );
            }
            home
        })
        .collect()
}

fn tgz(dir: &Path, to: &Path) {
    let f = std::fs::File::create(to).unwrap();
    let gz = flate2::write::GzEncoder::new(f, Default::default());
    let mut b = tar::Builder::new(gz);
    b.append_dir_all("data", dir.join("data")).unwrap();
    b.into_inner().unwrap().finish().unwrap();
}

#[test]
fn official_backups_are_loaded_and_preflighted_against_the_planned_change() {
    let t = tempfile::tempdir().unwrap();
    let mut h = homes(t.path());
    let archive = t.path().join("node3.tar.gz");
    tgz(&h[2], &archive);
    h[2] = archive.clone();
    let before = std::fs::read(&archive).unwrap();
    let backups = input::load_backups(&h, FlavorKind::Official).unwrap();
    assert!(backups.iter().all(|b| b.dir.ends_with("data")));

    let moved =
        Change::parse_new_addresses("10.0.0.1=10.0.1.1,10.0.0.2=10.0.1.2,10.0.0.3=10.0.1.3")
            .unwrap();
    let plan = Plan::new(FlavorKind::Official, "2.4.1", h.clone(), MEMBERS, moved).unwrap();
    let lines = rehearse::preflight_copies(&plan, &backups);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("(exit 3)")), "{lines:?}");
    assert!(
        lines[2].contains("node3.tar.gz"),
        "the line names the file: {lines:?}"
    );

    let same = Plan::new(
        FlavorKind::Official,
        "2.4.1",
        h,
        MEMBERS,
        Change::SameAddresses,
    )
    .unwrap();
    let lines = rehearse::preflight_copies(&same, &backups);
    assert!(lines.iter().all(|l| l.contains("(exit 0)")), "{lines:?}");
    assert_eq!(
        std::fs::read(&archive).unwrap(),
        before,
        "backups are read-only inputs"
    );
}

#[test]
fn an_official_backup_without_protocol_is_partial_and_named() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("node1/data");
    std::fs::create_dir_all(d.join("derby-data")).unwrap();
    let e = input::load_backups(std::slice::from_ref(&d), FlavorKind::Official)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&d.display().to_string()) && e.contains("partial"),
        "{e}"
    );
    assert!(e.contains("fix:"), "{e}");
}

#[test]
fn a_move_to_hostname_identity_is_preflighted_against_the_names() {
    let t = tempfile::tempdir().unwrap();
    let h = homes(t.path());
    let backups = input::load_backups(&h, FlavorKind::Official).unwrap();
    let plan = Plan::new(FlavorKind::Official, "2.4.1", h, MEMBERS, Change::Hostnames).unwrap();
    let lines = rehearse::preflight_copies(&plan, &backups);
    // The data names 10.0.0.x:7848; after the move the members are n1..n3: every group is
    // stale on every copy, as an address change of every node would be.
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("(exit 3)")), "{lines:?}");
}

//! Per-node name forms as `nacos-chaos validate --render` shows them, for both flavors,
//! against hand-written expectations in `tests/fixtures/naming/`: how each node names itself
//! (r-nacos `RNACOS_RAFT_NODE_ADDR`; official `NACOS_SERVER_IP` / `PREFER_HOST_MODE`) and how
//! its peers list it (r-nacos `RNACOS_RAFT_JOIN_ADDR`; official cluster.conf and
//! `NACOS_SERVERS`).

use nacos_chaos::scenario::{RenderedNode, Suite, render};
use rstest::rstest;
use serde_json::Value;

const DIR: &str = "tests/fixtures/naming";

fn rendered(name: &str) -> (Vec<RenderedNode>, Value) {
    let text = std::fs::read_to_string(format!("{DIR}/{name}.toml")).unwrap();
    let suite = Suite::parse(format!("{name}.toml"), &text).unwrap();
    let r = render(&suite, &text, None).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DIR}/{name}.expected.json")).unwrap(),
    )
    .unwrap();
    (r.versions[0].nodes.clone(), expected)
}

/// Each node's names and the env keys the fixture lists (`null`: the key must be absent).
fn assert_nodes(nodes: &[RenderedNode], expected: &Value) {
    for n in nodes {
        let want = &expected[&n.node];
        assert_eq!(n.self_name, want["self_name"], "{} self_name", n.node);
        assert_eq!(n.listed_as, want["listed_as"], "{} listed_as", n.node);
        for (k, v) in want["env"].as_object().unwrap() {
            assert_eq!(
                n.env
                    .get(k)
                    .map(|s| Value::String(s.clone()))
                    .unwrap_or(Value::Null),
                *v,
                "{} {k}: {:?}",
                n.node,
                n.env
            );
        }
    }
}

#[test]
fn rnacos_announces_the_self_name_and_joins_at_the_listed_name() {
    let (nodes, expected) = rendered("rnacos-forms");
    assert_eq!(nodes.len(), 5);
    assert_nodes(&nodes, &expected);
}

#[test]
fn official_writes_self_names_to_env_and_listed_names_to_cluster_conf() {
    let (nodes, expected) = rendered("official-forms");
    assert_nodes(&nodes, &expected);
    for n in &nodes {
        let conf = n.files.iter().find(|f| f.path.ends_with("cluster.conf"));
        assert_eq!(
            conf.unwrap().content,
            expected["cluster_conf"],
            "{}",
            n.node
        );
        assert_eq!(
            n.env["NACOS_SERVERS"], expected["NACOS_SERVERS"],
            "{}",
            n.node
        );
    }
    // The known-bad row: n3 calls itself by a name its peers do not list.
    let n3 = &nodes[2];
    assert!(
        !expected["cluster_conf"]
            .as_str()
            .unwrap()
            .contains(&n3.self_name)
    );
}

/// The join address follows n1's listed form, whatever n1 calls itself.
#[rstest]
#[case("ip", "10.231.0.11:9848")]
#[case("short", "n1:9848")]
#[case("fqdn", "n1.nchaos-r00000000000:9848")]
#[case("fqdn_dot", "n1.nchaos-r00000000000.:9848")]
fn rnacos_join_address_is_written_in_each_listed_form(#[case] form: &str, #[case] join: &str) {
    let text = format!(
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[[cluster.node]]\nname = \"n1\"\n\
         self_name = \"short\"\nlisted_as = \"{form}\"\n[versions]\nfrom = [\"0.8.8\"]\n\
         [[steps]]\naction = \"start\"\n"
    );
    let suite = Suite::parse("t.toml", &text).unwrap();
    let r = render(&suite, &text, None).unwrap();
    let nodes = &r.versions[0].nodes;
    assert_eq!(nodes[0].env["RNACOS_RAFT_NODE_ADDR"], "n1:9848");
    for n in &nodes[1..] {
        assert_eq!(n.env["RNACOS_RAFT_JOIN_ADDR"], join, "{}", n.node);
    }
}

/// Without `[[cluster.node]]` nothing changes: both names follow the identity mode.
#[rstest]
#[case("ip", "10.231.0.12")]
#[case("hostname", "n2")]
fn without_per_node_settings_names_follow_the_identity_mode(#[case] mode: &str, #[case] n2: &str) {
    let text = format!(
        "name = \"t\"\n[cluster]\nflavor = \"official\"\nidentity = \"{mode}\"\n\
         [versions]\nfrom = [\"2.4.1\"]\n[[steps]]\naction = \"start\"\n"
    );
    let suite = Suite::parse("t.toml", &text).unwrap();
    let r = render(&suite, &text, None).unwrap();
    let node = &r.versions[0].nodes[1];
    assert_eq!((node.self_name.as_str(), node.listed_as.as_str()), (n2, n2));
    assert!(node.files[0].content.contains(&format!("{n2}:8848")));
}

/// Official membership steps: every node of `cluster.nodes` is listed from the start (n3,
/// started later, too), and each change gives every member a new cluster.conf.
#[test]
fn official_cluster_conf_follows_every_membership_step() {
    let text = std::fs::read_to_string(format!("{DIR}/official-membership.toml")).unwrap();
    let suite = Suite::parse("official-membership.toml", &text).unwrap();
    assert_eq!(suite.not_implemented(), None);
    let r = render(&suite, &text, None).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DIR}/official-membership.expected.json")).unwrap(),
    )
    .unwrap();
    for n in &r.versions[0].nodes {
        assert_eq!(n.files[0].content, expected["at_start"], "{}", n.node);
    }
    let want = expected["changes"].as_array().unwrap();
    assert_eq!(
        r.membership_changes.len(),
        want.len(),
        "{:?}",
        r.membership_changes
    );
    for (got, want) in r.membership_changes.iter().zip(want) {
        assert_eq!(got.step as u64, want["step"].as_u64().unwrap());
        assert_eq!(got.change, want["change"]);
        assert_eq!(got.files[0].content, want["cluster_conf"], "{}", got.change);
    }
}

/// In IP mode a node that takes another's address keeps its cluster.conf entry: to JRaft it
/// is the old peer with empty data.
#[test]
fn official_replace_at_an_address_keeps_the_ip_entry() {
    let text = "name = \"t\"\n[cluster]\nflavor = \"official\"\n[versions]\nfrom = [\"2.4.1\"]\n\
        [[steps]]\naction = \"start\"\n[[steps]]\naction = \"replace\"\nnode = \"n3\"\nkeep = \"address\"\n";
    let suite = Suite::parse("t.toml", text).unwrap();
    let r = render(&suite, text, None).unwrap();
    let c = &r.membership_changes[0];
    assert_eq!(c.members, ["10.231.0.11", "10.231.0.12", "10.231.0.13"]);
    assert_eq!(
        c.files[0].content, r.versions[0].nodes[0].files[0].content,
        "the file is unchanged"
    );
}

/// r-nacos has no membership file: changes list members only.
#[test]
fn rnacos_changes_list_members_without_files() {
    let text = "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n\
        [[steps]]\naction = \"start\"\n[[steps]]\naction = \"scale_out\"\n";
    let suite = Suite::parse("t.toml", text).unwrap();
    let r = render(&suite, text, None).unwrap();
    let c = &r.membership_changes[0];
    assert_eq!(c.members.len(), 4);
    assert!(c.files.is_empty());
}

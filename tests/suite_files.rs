//! Every shipped suite parses and validates; bad suites get file:line:column, what was
//! expected, and a hint — never a panic.

use nacos_chaos::Error;
use nacos_chaos::scenario::{Step, Suite};
use rstest::rstest;

#[test]
fn every_shipped_suite_parses() {
    let mut n = 0;
    for entry in std::fs::read_dir("suites").unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let s = Suite::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        // Only faults (active while the nodes boot) may come before `start`.
        let first = s
            .steps
            .iter()
            .find(|st| !matches!(st.get_ref(), Step::Fault { .. }))
            .map(|st| st.get_ref());
        assert!(matches!(first, Some(Step::Start { .. })), "{}", p.display());
        assert!(!s.pairs().is_empty());
        n += 1;
    }
    assert!(n >= 6, "expected the shipped suites, found {n}");
}

const GOOD: &str = r#"name = "t"
[cluster]
flavor = "rnacos"
[versions]
from = ["0.8.8"]
[[steps]]
action = "start"
"#;

#[rstest]
#[case::unknown_step_key(
    "[[steps]]\naction = \"hold\"\nduration = \"1s\"\ncolour = \"red\"\n",
    8,
    "unknown field `colour`"
)]
#[case::unknown_action("[[steps]]\naction = \"explode\"\n", 8, "unknown variant `explode`")]
#[case::bad_duration("[[steps]]\naction = \"hold\"\nduration = \"soon\"\n", 8, "soon")]
#[case::bad_target(
    "[[steps]]\naction = \"fault\"\nfault = { kind = \"kill\", nodes = \"n0\" }\n",
    8,
    "not a node name"
)]
#[case::unknown_fault(
    "[[steps]]\naction = \"fault\"\nfault = { kind = \"meteor\", nodes = \"all\" }\n",
    8,
    "unknown variant `meteor`"
)]
fn bad_suites_point_at_the_line(#[case] extra: &str, #[case] line: usize, #[case] what: &str) {
    let text = format!("{GOOD}{extra}");
    let err = Suite::parse("suites/bad.toml", &text).unwrap_err();
    let msg = err.to_string();
    match &err {
        Error::Suite { line: l, hint, .. } => {
            assert!(*l >= line, "{msg}");
            assert!(*l <= text.lines().count(), "{msg}");
            assert!(!hint.is_empty());
        }
        other => panic!("not a suite error: {other}"),
    }
    assert!(msg.starts_with("suites/bad.toml:"), "{msg}");
    assert!(msg.contains(what), "{msg}");
    assert!(msg.contains("hint:"), "{msg}");
}

#[test]
fn an_unknown_top_level_key_is_an_error_at_its_line() {
    let text = format!("{GOOD}[workload]\nrate_per_node = 2\nburst = 9\n");
    let err = Suite::parse("s.toml", &text).unwrap_err().to_string();
    assert!(err.starts_with("s.toml:10:"), "{err}");
    assert!(err.contains("unknown field `burst`"), "{err}");
}

#[rstest]
#[case::even_nodes(
    "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\nnodes = 4\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n",
    "expected 1, 3 or 5"
)]
#[case::no_start(
    "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"heal\"\n",
    "first step must be"
)]
#[case::upgrade_without_to(concat!("name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n", "[[steps]]\naction = \"upgrade\"\n"), "needs versions.to")]
#[case::unknown_check(
    "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[expect]\nspeed = \"pass\"\n[[steps]]\naction = \"start\"\n",
    "unknown check"
)]
#[case::duration_on_instant_fault(concat!("name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n", "[[steps]]\naction = \"fault\"\nduration = \"5s\"\nfault = { kind = \"restart\", nodes = \"all\" }\n"), "happens at once")]
#[case::jitter_over_delay(concat!("name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n", "[[steps]]\naction = \"fault\"\nfault = { kind = \"latency\", nodes = \"all\", delay_ms = 10, jitter_ms = 20 }\n"), "exceeds delay_ms")]
fn semantic_errors_are_explained(#[case] text: &str, #[case] what: &str) {
    let err = Suite::parse("s.toml", text).unwrap_err().to_string();
    assert!(err.contains(what), "{err}");
    assert!(err.starts_with("s.toml:"), "{err}");
}

#[test]
fn semantic_errors_in_a_step_point_at_that_step() {
    let text = concat!(
        "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n",
        "[[steps]]\naction = \"start\"\n",
        "[[steps]]\naction = \"upgrade\"\n"
    );
    match Suite::parse("s.toml", text).unwrap_err() {
        Error::Suite { line, .. } => assert!(line >= 8, "line {line}"),
        other => panic!("{other}"),
    }
}

#[test]
fn a_missing_suite_file_names_the_path() {
    let err = Suite::load("suites/does-not-exist.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("suites/does-not-exist.toml"), "{err}");
}

/// `(line, column)` of `marker` on 1-based `line` of `text`.
fn at(text: &str, line: usize, marker: &str) -> (usize, usize) {
    let l = text.lines().nth(line - 1).expect("line");
    let col = l
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not on {l:?}"));
    (line, l[..col].chars().count() + 1)
}

const HEAD: &str = "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.7.3\"]\nto = [\"0.8.8\"]\n";
const START: &str = "[[steps]]\naction = \"start\"\n";

/// Semantic errors point at the offending key or value — never 1:1 — and say what is wrong.
#[rstest]
#[case::even_nodes(
    "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\nnodes = 4\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n",
    4,
    "nodes",
    "expected 1, 3 or 5"
)]
#[case::empty_from(
    "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = []\n[[steps]]\naction = \"start\"\n",
    5,
    "from",
    "versions.from is empty"
)]
#[case::unknown_check(&format!("{HEAD}[expect]\nspeed = \"pass\"\n{START}"), 8, "speed", "unknown check")]
#[case::rate(&format!("{HEAD}[workload]\nrate_per_node = 0.0\n{START}"), 8, "rate_per_node", "0 < rate")]
#[case::no_start(&format!("{HEAD}[[steps]]\naction = \"heal\"\n"), 8, "action", "first step must be")]
#[case::start_again(&format!("{HEAD}{START}[[steps]]\naction = \"hold\"\nduration = \"1s\"\n[[steps]]\naction = \"start\"\n"), 13, "action", "may only be the first")]
#[case::upgrade_without_to(&format!("name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.7.3\"]\n{START}[[steps]]\naction = \"upgrade\"\n"), 9, "action", "needs versions.to")]
#[case::jitter(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"latency\", nodes = \"all\", delay_ms = 10, jitter_ms = 20 }}\n"), 11, "jitter_ms", "exceeds delay_ms")]
#[case::duration_on_instant(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nduration = \"5s\"\nfault = {{ kind = \"restart\", nodes = \"all\" }}\n"), 11, "duration", "happens at once")]
#[case::order_unknown_node(&format!("{HEAD}{START}[[steps]]\naction = \"upgrade\"\norder = [\"n1\", \"n4\", \"n2\"]\n"), 11, "\"n4\"", "n4 does not exist in a 3-node cluster")]
#[case::order_not_a_node(&format!("{HEAD}{START}[[steps]]\naction = \"upgrade\"\norder = [\"n1\", \"leader\"]\n"), 11, "\"leader\"", "not a node name")]
#[case::order_twice(&format!("{HEAD}{START}[[steps]]\naction = \"upgrade\"\norder = [\"n1\", \"n2\", \"n1\"]\n"), 11, "\"n1\"]", "n1 is listed twice")]
#[case::order_unknown_name(&format!("{HEAD}{START}[[steps]]\naction = \"upgrade\"\norder = \"random\"\n"), 11, "\"random\"", "expected leader_last, index, or a node list")]
#[case::upgrade_nodes_unknown(&format!("{HEAD}{START}[[steps]]\naction = \"upgrade\"\nip_change = [\"n2\", \"n9\"]\n"), 11, "\"n9\"", "n9 does not exist in a 3-node cluster")]
#[case::fault_target_unknown(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"kill\", nodes = \"n4\" }}\n"), 11, "\"n4\"", "n4 does not exist")]
#[case::partition_target_unknown(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"partition\", partition = {{ split = {{ a = \"n1\", b = [\"n2\", \"n6\"] }} }} }}\n"), 11, "\"n6\"", "n6 does not exist")]
#[case::probability(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"loss\", nodes = \"all\", probability = 1.5 }}\n"), 11, "probability", "within 0..=1")]
#[case::latency_loss(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"latency\", nodes = \"all\", delay_ms = 10, loss = -0.1 }}\n"), 11, "loss", "within 0..=1")]
#[case::success_ratio(&format!("{HEAD}[thresholds]\nmin_success_ratio = 1.5\n{START}"), 8, "min_success_ratio", "within 0..=1")]
#[case::leader_bound(&format!("{HEAD}[thresholds]\nmax_time_to_leader_ms = 0\n{START}"), 8, "max_time_to_leader_ms", "must be > 0")]
#[case::snapshot_name(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"snapshot_data\", node = \"n1\", name = \"a b\" }}\n"), 11, "\"a b\"", "[A-Za-z0-9_-]")]
#[case::snapshot_two_nodes(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"snapshot_data\", node = [\"n1\", \"n2\"], name = \"a\" }}\n"), 11, "node", "exactly one node")]
#[case::clone_onto_itself(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"clone_data\", from = \"n2\", to = \"n2\" }}\n"), 11, "to", "the same node")]
#[case::phantom_as_node(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"phantom_peer\", as_node = 4 }}\n"), 11, "as_node", "no such node")]
#[case::window_ratio(&format!("{HEAD}[thresholds]\nafter_heal = {{ min_success_ratio = 2.0 }}\n{START}"), 8, "min_success_ratio", "after_heal.min_success_ratio = 2: not within 0..=1")]
#[case::window_unknown_key(&format!("{HEAD}[thresholds]\nduring_fault = {{ min_ratio = 0.5 }}\n{START}"), 8, "min_ratio", "unknown field `min_ratio`")]
#[case::kill_before_start(&format!("{HEAD}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"kill\", nodes = [\"n2\"] }}\n{START}"), 9, "kind", "cannot be active while the nodes boot")]
#[case::leader_before_start(&format!("{HEAD}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"loss\", nodes = \"leader\", probability = 0.5 }}\n{START}"), 9, "kind", "cannot be active while the nodes boot")]
#[case::duration_before_start(&format!("{HEAD}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"loss\", nodes = [\"n2\"], probability = 0.5 }}\nduration = \"5s\"\n{START}"), 10, "duration", "stays until a `heal`")]
#[case::disk_zero(&format!("{HEAD}[thresholds]\nmax_data_bytes = 0\n{START}"), 8, "max_data_bytes", "must be > 0")]
#[case::stagger_soon(&format!("{HEAD}[[steps]]\naction = \"start\"\nstagger = \"soon\"\n"), 9, "\"soon\"", "not a duration")]
#[case::start_nodes_unknown(&format!("{HEAD}[[steps]]\naction = \"start\"\nnodes = [\"n1\", \"n7\"]\n"), 9, "\"n7\"", "n7 does not exist")]
#[case::start_order_outside_nodes(&format!("{HEAD}[[steps]]\naction = \"start\"\nnodes = [\"n1\", \"n2\"]\norder = [\"n2\", \"n3\"]\n"), 10, "\"n3\"", "does not start")]
#[case::start_node_already_started(&format!("{HEAD}{START}[[steps]]\naction = \"start_node\"\nnode = \"n2\"\n"), 11, "node", "already started")]
#[case::scale_in_unknown(&format!("{HEAD}{START}[[steps]]\naction = \"scale_in\"\nnode = \"n4\"\n"), 11, "\"n4\"", "n4 does not exist")]
#[case::replace_unknown(&format!("{HEAD}{START}[[steps]]\naction = \"replace\"\nnode = \"n5\"\n"), 11, "\"n5\"", "n5 does not exist")]
#[case::admin_op_of_other_flavor(&format!("{HEAD}{START}[[steps]]\naction = \"admin\"\nop = \"transfer_leader\"\n"), 11, "\"transfer_leader\"", "not an operation of flavor rnacos")]
#[case::fault_after_a_heal_before_start(&format!("{HEAD}[[steps]]\naction = \"heal\"\n{START}"), 8, "action", "only `fault` steps may come before")]
#[case::dns_delay_without_slow(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"dns\", nodes = \"n3\", delay_ms = 100 }}\n"), 11, "delay_ms", "goes with mode")]
#[case::dns_delay_beyond_resolver_timeout(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"dns\", nodes = \"n3\", mode = \"slow\", delay_ms = 6000 }}\n"), 11, "delay_ms", "gives up after 5 s")]
#[case::dns_unknown_peer(&format!("{HEAD}{START}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"dns\", nodes = \"n3\", peers = [\"n9\"] }}\n"), 11, "\"n9\"", "n9 does not exist")]
#[case::cluster_node_unknown(
    "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[[cluster.node]]\nname = \"n4\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n",
    5,
    "\"n4\"",
    "n4 does not exist"
)]
#[case::cluster_node_twice(
    "name = \"t\"\n[cluster]\nflavor = \"rnacos\"\n[[cluster.node]]\nname = \"n2\"\n[[cluster.node]]\nname = \"n2\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\n",
    7,
    "name",
    "appears twice"
)]
fn semantic_errors_point_at_the_key(
    #[case] text: &str,
    #[case] line: usize,
    #[case] marker: &str,
    #[case] what: &str,
) {
    let (l, c) = at(text, line, marker);
    let err = Suite::parse("s.toml", text).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("s.toml:{l}:{c}: ")),
        "want {l}:{c}: {err}"
    );
    assert!(err.contains(what), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

/// Nodes added by `scale_out` exist for later steps; faults may precede `start`.
#[test]
fn membership_vocabulary_is_accepted() {
    let text = format!(
        "{HEAD}[[steps]]\naction = \"fault\"\nfault = {{ kind = \"dns\", nodes = \"n3\", mode = \"slow\", delay_ms = 500 }}\n[[steps]]\naction = \"start\"\nnodes = [\"n1\", \"n2\"]\nstagger = \"0s\"\nmay_fail = true\n[[steps]]\naction = \"start_node\"\nnode = \"n3\"\n[[steps]]\naction = \"scale_out\"\n[[steps]]\naction = \"scale_in\"\nnode = \"n4\"\n[[steps]]\naction = \"admin\"\nop = \"change_membership\"\nexpect = \"any\"\n"
    );
    let s = Suite::parse("s.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    // Every dns mode runs (#13): none is refused up front any more.
    assert!(
        s.not_implemented().is_none_or(|r| !r.contains("dns")),
        "{:?}",
        s.not_implemented()
    );
}

#[test]
fn names_that_exist_are_accepted() {
    let text = format!(
        "{HEAD}{START}[[steps]]\naction = \"upgrade\"\norder = [\"n3\", \"n1\", \"n2\"]\nip_change = [\"n3\"]\n[[steps]]\naction = \"fault\"\nfault = {{ kind = \"loss\", nodes = [\"n1\", \"n3\"], probability = 1.0 }}\nduration = \"1s\"\n[[steps]]\naction = \"fault\"\nfault = {{ kind = \"snapshot_data\", node = \"leader\", name = \"pre_upgrade-1\" }}\n"
    );
    Suite::parse("s.toml", &text).unwrap_or_else(|e| panic!("{e}"));
}

/// Failure summaries as the checks write them (src/check/*.rs), per check.
const FAILURES: &[(&str, &str)] = &[
    // A rehearse step's verdicts (rnacos-delete-raft-remediation-rehearsal, real run).
    ("rehearsal.planned.leader", "planned: no leader"),
    (
        "rehearsal.delete-raft-dir.lost",
        "delete-raft-dir: 8 baseline entr(ies) lost",
    ),
    ("leader", "1 checkpoint(s) without a leader"),
    ("leader", "2 checkpoint(s) over the 60000 ms leader bound"),
    (
        "availability",
        "publish_config success ratio 0.125 < 0.9; publish_config outage 52745 ms > 20000 ms",
    ),
    ("availability", "get_config outage 61000 ms > 60000 ms"),
    (
        "availability",
        "register_persistent success ratio 0.2 < 0.8; register_persistent outage 95000 ms > 60000 ms",
    ),
    (
        "durability",
        "84 lost acknowledged write(s), 0 phantom value(s)",
    ),
    ("convergence", "content differs on 1 key(s)"),
    ("convergence", "membership differs in 1 group(s)"),
    (
        "convergence",
        "3 node(s) would boot with another membership than the live one",
    ),
    (
        "availability",
        "register_persistent success ratio 0.750 < 0.9",
    ),
    (
        "availability",
        "after heal: register_persistent success ratio 0.823 < 0.9; publish_config outage 29012 ms > 10000 ms; during fault: every operation kind ≥ 0 success and no outage over 60000 ms",
    ),
    (
        "membership",
        "members differ from the configured set [1, 2, 3] on n1, n2, n3: n1 in rnacos: members [1, 2, 3, 4], learners [] vs configured [1, 2, 3]: phantom [4]",
    ),
    (
        "membership",
        "members differ from the configured set [1, 2, 3] on n1, n2, n3: n1 in rnacos: members [1, 3], learners [] vs configured [1, 2, 3]: missing [2]",
    ),
    (
        "membership",
        "members differ from the configured set [1, 2, 4] on n1, n2, n4: n1 in rnacos: members [1, 2, 3, 4], learners [] vs configured [1, 2, 4]: phantom [3]",
    ),
    (
        "disk",
        "data dir over 16384 bytes: n1 1048690 bytes, n2 1048688 bytes, n3 1048688 bytes",
    ),
    (
        "signatures",
        "known failure text(s) matched: rnacos-unknown-leader ×93",
    ),
    (
        "signatures",
        "known failure text(s) matched: no-leader-group ×4, no-leader-raft-group ×2",
    ),
    (
        "signatures",
        "known failure text(s) matched: prevote-not-in-conf ×40",
    ),
    (
        "convergence",
        "upgrade state differs (2 states among reachable nodes)",
    ),
];

/// Verdicts a broken harness or an unjudged run produces: no shipped reason may accept them.
const NOT_THE_STORY: &[&str] = &[
    "no checkpoints or observations recorded",
    "no operations recorded",
    "no acknowledged writes (publish_config / register_persistent) to verify; 0 ephemeral registration(s) excluded",
    "no final reads recorded: 12 acknowledged write(s) unverified",
    "0 lost acknowledged write(s), 3 phantom value(s)",
    "no observations recorded",
    "3 node(s) unreachable after heal",
    "nothing to scan: no operations or logs recorded",
    "no signatures in the catalog",
    "2 term regression(s)",
    "runner error: cluster could not be created",
];

/// Every expected failure of a shipped suite states its reason, the reason accepts the failure
/// the suite is about, and it rejects what a harness regression or an unjudged run looks like.
#[test]
fn every_shipped_known_bad_states_its_reason() {
    use nacos_chaos::check::{Status, Verdict, Wanted};
    let verdict = |check: &str, summary: &str| Verdict {
        check: check.into(),
        status: Status::Fail,
        summary: summary.into(),
        evidence: vec![],
        metrics: Default::default(),
    };
    let mut reasons = 0;
    for entry in std::fs::read_dir("suites").unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let s = Suite::load(&p).unwrap();
        for (check, e) in &s.expect {
            if e.status != Wanted::Fail {
                continue;
            }
            let Some(re) = &e.reason else {
                panic!("{}: expect.{check} = fail states no reason", p.display());
            };
            reasons += 1;
            assert!(
                FAILURES
                    .iter()
                    .any(|(c, text)| c == check && e.judge(&verdict(check, text)).is_none()),
                "{}: expect.{check} reason /{}/ accepts no {check} failure",
                p.display(),
                re.as_str()
            );
            for text in NOT_THE_STORY {
                assert!(
                    e.judge(&verdict(check, text)).is_some(),
                    "{}: expect.{check} reason /{}/ accepts {text:?}",
                    p.display(),
                    re.as_str()
                );
            }
        }
    }
    assert!(reasons >= 15, "{reasons}");
}

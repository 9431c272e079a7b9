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
        assert!(
            matches!(s.steps[0].get_ref(), Step::Start { .. }),
            "{}",
            p.display()
        );
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

/// Failure summaries as the checks write them (src/check/*.rs), per check.
const FAILURES: &[(&str, &str)] = &[
    ("leader", "1 checkpoint(s) without a leader"),
    ("leader", "2 checkpoint(s) over the 60000 ms leader bound"),
    (
        "availability",
        "publish_config success ratio 0.125 < 0.9; publish_config outage 52745 ms > 20000 ms",
    ),
    ("availability", "get_config outage 61000 ms > 60000 ms"),
    (
        "durability",
        "84 lost acknowledged write(s), 0 phantom value(s)",
    ),
    ("convergence", "content differs on 1 key(s)"),
    ("convergence", "membership differs in 1 group(s)"),
    (
        "signatures",
        "known failure text(s) matched: rnacos-unknown-leader ×93",
    ),
    (
        "signatures",
        "known failure text(s) matched: no-leader-group ×4, no-leader-raft-group ×2",
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

//! Bad input at the CLI edge: a clear error naming the cause and the fix, exit code 64 (a
//! code no preflight verdict uses), never a panic.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nacos-chaos");

/// Exit code of every CLI error (README: Exit codes).
const CLI_ERROR: i32 = 64;

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run the CLI");
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn unreachable_engine_names_the_fix() {
    let (code, text) = run(
        &["gc", "--dry-run"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(
        text.contains("docker engine") && text.contains("fix:"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn invalid_flags_are_explained() {
    let (code, text) = run(&["up", "--nodes", "4"], &[]);
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(text.contains("1, 3 or 5"), "{text}");
    let (code, text) = run(&["up", "--flavor", "zookeeper"], &[]);
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(text.contains("expected 'rnacos' or 'official'"), "{text}");
    let (code, text) = run(
        &[
            "matrix",
            "suites/rnacos-restart-control.toml",
            "--shard",
            "3/2",
        ],
        &[],
    );
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(text.contains("between 1 and the count"), "{text}");
    // An empty shard is not a green one: one case, two shards → shard 2 selects nothing.
    let (code, text) = run(
        &[
            "matrix",
            "suites/rnacos-restart-control.toml",
            "--shard",
            "2/2",
        ],
        &[],
    );
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(
        text.contains("shard 2/2 selects no case of the 1"),
        "{text}"
    );
    assert!(text.contains("fix:"), "{text}");
    let (code, text) = run(
        &["run", "suites/rnacos-restart-control.toml", "--repeat", "0"],
        &[],
    );
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(text.contains("--repeat 0 runs nothing"), "{text}");
}

#[test]
fn a_bad_suite_points_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, "name = \"x\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n[[steps]]\naction = \"start\"\ntimeout = \"forever\"\n").unwrap();
    let (code, text) = run(&["run", p.to_str().unwrap()], &[]);
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(text.contains("bad.toml:8:"), "{text}");
    assert!(text.contains("hint:"), "{text}");
}

#[test]
fn preflight_on_a_missing_dir_is_an_error_not_a_verdict() {
    let (code, text) = run(
        &[
            "preflight",
            "--data",
            "/nonexistent/nacos",
            "--members",
            "a:8848,b:8848,c:8848",
        ],
        &[],
    );
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(text.contains("/nonexistent/nacos"), "{text}");
}

#[test]
fn logs_carry_no_colour_codes_off_a_terminal_and_quiet_silences_info() {
    // Output captured by a pipe (a CI log, a file) must be plain text.
    let (_, text) = run(&["-v", "gc", "--dry-run"], &[]);
    assert!(
        !text.contains('\u{1b}'),
        "ANSI escape in piped output: {text:?}"
    );
    assert!(
        text.contains("INFO") || text.contains("DEBUG") || text.contains("error"),
        "{text}"
    );
    let (_, quiet) = run(&["-q", "gc", "--dry-run"], &[]);
    assert!(!quiet.contains(" INFO "), "{quiet}");
}

/// A script must be able to tell "preflight could not run" from a verdict: CLI errors (bad
/// flags, unreadable input) never exit with a code a preflight verdict uses (0-4).
#[test]
fn cli_errors_never_share_a_code_with_a_preflight_verdict() {
    let verdicts = 0..=4;
    for args in [
        &[
            "preflight",
            "--data",
            "/nonexistent/nacos",
            "--members",
            "a:8848",
        ][..],
        &[
            "preflight",
            "--data",
            "/tmp",
            "--members",
            "a:8848",
            "--flavor",
            "zookeeper",
        ][..],
        &["preflight", "--members", "a:8848"][..],
        &[
            "preflight",
            "--data",
            "/tmp",
            "--members",
            "@/nonexistent/cluster.conf",
        ][..],
    ] {
        let (code, text) = run(args, &[]);
        assert!(!verdicts.contains(&code), "{args:?} exited {code}: {text}");
        assert_eq!(code, CLI_ERROR, "{args:?}: {text}");
    }
    // --help and --version are not errors.
    assert_eq!(run(&["--help"], &[]).0, 0);
    assert_eq!(run(&["--version"], &[]).0, 0);
}

#[test]
fn rehearse_input_errors_name_the_file_and_the_fix() {
    let t = tempfile::tempdir().unwrap();
    let conf = t.path().join("cluster.conf");
    std::fs::write(&conf, "10.0.0.1:8848\n10.0.0.2:8848\n").unwrap();
    let missing = t.path().join("n1-missing");
    let data = format!(
        "{},{},{}",
        missing.display(),
        missing.display(),
        missing.display()
    );
    let conf_s = conf.display().to_string();
    let args = [
        "rehearse",
        "--flavor",
        "rnacos",
        "--from",
        "0.8.8",
        "--data",
        &data,
        "--members",
        &conf_s,
    ];
    let (code, text) = run(&args, &[]);
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(
        text.contains("cluster.conf") && text.contains("2 member(s) but 3"),
        "{text}"
    );
    assert!(text.contains("fix:"), "{text}");
    let (code, text) = run(
        &[
            "rehearse",
            "--flavor",
            "rnacos",
            "--from",
            "0.8.8",
            "--data",
            &data,
            "--members",
            "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848",
        ],
        &[],
    );
    assert_eq!(code, CLI_ERROR, "{text}");
    assert!(
        text.contains("n1-missing") && text.contains("fix:"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}

//! `nacos-chaos report DIR`: a run dir's HTML, Markdown and JUnit, and a merge dir's index,
//! written again from the JSON they came from (no Docker).

use std::process::Command;

use nacos_chaos::check::{Evidence, Status, Verdict};
use nacos_chaos::report::{RunRecord, write_all};

const BIN: &str = env!("CARGO_BIN_EXE_nacos-chaos");

fn record(id: &str, durability: Status) -> RunRecord {
    let mut r = RunRecord::example();
    r.run_id = id.into();
    r.duration_ms = 26_711;
    r.verdicts = vec![Verdict {
        check: "durability".into(),
        status: durability,
        summary: "lost writes".into(),
        evidence: (0..7)
            .map(|i| Evidence::text(format!("lost write {i}")))
            .collect(),
        metrics: [("success_ratio".to_string(), 0.7638888888888888)].into(),
    }];
    r
}

fn nacos_chaos(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run nacos-chaos");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn a_run_dir_is_rendered_again_from_its_verdict_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r1");
    write_all(&record("r1", Status::Pass), &dir).unwrap();
    let verdict = std::fs::read(dir.join("verdict.json")).unwrap();
    for f in ["report.html", "summary.md", "junit.xml"] {
        std::fs::write(dir.join(f), "stale").unwrap();
    }
    let (code, out) = nacos_chaos(&["report".as_ref(), dir.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("example [0.7.3] run r1: AS EXPECTED"), "{out}");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("success_ratio <b>76.4%</b>"), "{page}");
    assert!(!page.contains("0.7638888888888888"));
    assert!(page.contains("<summary>4 more of 7</summary>"), "{page}");
    assert!(page.contains(">26.7 s</text>"), "axis end label: {page}");
    assert!(
        std::fs::read_to_string(dir.join("summary.md"))
            .unwrap()
            .contains("| example |")
    );
    assert!(
        std::fs::read_to_string(dir.join("junit.xml"))
            .unwrap()
            .contains("<testcase")
    );
    assert_eq!(
        std::fs::read(dir.join("verdict.json")).unwrap(),
        verdict,
        "never rewritten"
    );
}

#[test]
fn a_merge_dir_is_rendered_again_and_the_exit_code_follows_the_runs() {
    let tmp = tempfile::tempdir().unwrap();
    write_all(&record("r1", Status::Pass), &tmp.path().join("s1/r1")).unwrap();
    write_all(&record("r2", Status::Fail), &tmp.path().join("s2/r2")).unwrap();
    let out_dir = tmp.path().join("merged");
    let (code, out) = nacos_chaos(&[
        "merge".as_ref(),
        tmp.path().join("s1").as_os_str(),
        tmp.path().join("s2").as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "r2 lost writes: {out}");
    assert!(out.contains("index.html"), "{out}");
    let index = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    std::fs::remove_file(out_dir.join("index.html")).unwrap();
    let (code, out) = nacos_chaos(&["report".as_ref(), out_dir.as_os_str()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("2 run(s), NOT AS EXPECTED"), "{out}");
    let again = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    assert_eq!(again, index);
    assert!(again.contains("href=\"../s2/r2/report.html\""), "{again}");
    // Moved together, the merge still finds its runs (the manifest is relative).
    let moved = tmp.path().parent().unwrap().join(format!(
        "{}-moved",
        tmp.path().file_name().unwrap().to_string_lossy()
    ));
    std::fs::rename(tmp.path(), &moved).unwrap();
    let (code, out) = nacos_chaos(&["report".as_ref(), moved.join("merged").as_os_str()]);
    std::fs::rename(&moved, tmp.path()).unwrap();
    assert_eq!(code, Some(1), "{out}");
}

#[test]
fn a_dir_that_is_neither_is_a_cli_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out) = nacos_chaos(&["report".as_ref(), tmp.path().as_os_str()]);
    assert_eq!(code, Some(64), "{out}");
    assert!(out.contains("neither a run directory"), "{out}");
}

//! `index.html` of a matrix or merge: suites × version pairs as a grid, one cell per case,
//! coloured by its verdict, with the flips of repeated runs (`--repeat`) and a link to every
//! run's `report.html`.

use std::fmt::Write as _;

use super::record::RunRecord;
use super::stability::{CaseStability, stability};
use super::{esc, status_word};
use crate::check::Status;

/// File name of the index page a matrix or merge writes.
///
/// ```
/// assert_eq!(nacos_chaos::report::INDEX_FILE, "index.html");
/// ```
pub const INDEX_FILE: &str = "index.html";

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em;margin:0 0 .3em}table{border-collapse:collapse;margin:.6em 0}\
td,th{border:1px solid #ccc;padding:5px 9px;text-align:left;vertical-align:top}\
th{background:#f2f2f2}td.case{min-width:11em}.ok{background:#dff3e3}.bad{background:#fbe0e0}\
.unstable{background:#fff0c2}.none{color:#999;text-align:center}.word{font-weight:bold}\
.ok .word{color:#14632b}.bad .word{color:#8a1111}.unstable .word{color:#8a5a00}\
.outcome{display:inline-block;padding:5px 12px;border-radius:4px;font-weight:bold}\
ul{margin:.2em 0 0;padding-left:1.1em}small{color:#555}td.case>small{display:block;margin-top:.2em}.legend span{padding:2px 8px;\
margin-right:6px;border-radius:3px}";

/// What one cell says about its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellKind {
    /// Every run as expected, no flips.
    Ok,
    /// Repeats disagree (a check flipped, or runs disagree on AS EXPECTED).
    Unstable,
    /// Not as expected (every run the same way).
    Bad,
}

impl CellKind {
    fn of(case: &CaseStability) -> Self {
        if case.unstable() {
            CellKind::Unstable
        } else if case.as_expected as usize == case.run_ids.len() {
            CellKind::Ok
        } else {
            CellKind::Bad
        }
    }
    fn class(self) -> &'static str {
        match self {
            CellKind::Ok => "ok",
            CellKind::Unstable => "unstable",
            CellKind::Bad => "bad",
        }
    }
    fn word(self) -> &'static str {
        match self {
            CellKind::Ok => "AS EXPECTED",
            CellKind::Unstable => "UNSTABLE",
            CellKind::Bad => "NOT AS EXPECTED",
        }
    }
}

/// The index page of a batch of runs: one row per scenario, one column per version pair
/// (both in first-seen order), each cell the case's verdict over its runs
/// ([`super::stability`]): green AS EXPECTED, red NOT AS EXPECTED (with the checks that
/// missed), amber UNSTABLE (with how often each check flipped); then one link per run to
/// its report (`runs[i].1`, a path relative to the page). A pair a scenario did not run is
/// a grey `—`. Self-contained, no script.
///
/// ```
/// use nacos_chaos::report::{index_html, RunRecord};
/// let page = index_html(&[(RunRecord::example(), "../rexample/report.html".into())]);
/// assert!(page.contains("class=\"case ok\"") && page.contains("href=\"../rexample/report.html\""));
/// ```
pub fn index_html(runs: &[(RunRecord, String)]) -> String {
    let records: Vec<RunRecord> = runs.iter().map(|(r, _)| r.clone()).collect();
    let cases = stability(&records);
    let mut scenarios: Vec<&str> = vec![];
    let mut pairs: Vec<&str> = vec![];
    for c in &cases {
        if !scenarios.contains(&c.scenario.as_str()) {
            scenarios.push(&c.scenario);
        }
        if !pairs.contains(&c.versions.as_str()) {
            pairs.push(&c.versions);
        }
    }
    let kinds: Vec<CellKind> = cases.iter().map(CellKind::of).collect();
    let count = |k: CellKind| kinds.iter().filter(|x| **x == k).count();
    let (ok, unstable, bad) = (
        count(CellKind::Ok),
        count(CellKind::Unstable),
        count(CellKind::Bad),
    );
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>nacos-chaos: {} case(s)</title><style>{CSS}</style></head><body>\n\
         <h1>nacos-chaos: {} case(s), {} run(s)</h1>\n<p class=\"outcome {}\">{}</p>\n",
        cases.len(),
        cases.len(),
        runs.len(),
        if ok == cases.len() { "ok" } else { "bad" },
        if ok == cases.len() {
            "AS EXPECTED: every case".to_string()
        } else {
            format!("{ok} as expected, {bad} not as expected, {unstable} unstable")
        }
    );
    h.push_str(
        "<p class=\"legend\"><span class=\"ok\">as expected</span>\
         <span class=\"bad\">not as expected</span><span class=\"unstable\">unstable \
         (repeats disagree)</span></p>\n<table class=\"grid\"><tr><th>suite \\ versions</th>",
    );
    for p in &pairs {
        let _ = write!(h, "<th>{}</th>", esc(p));
    }
    h.push_str("</tr>\n");
    for s in &scenarios {
        let _ = write!(h, "<tr><th>{}</th>", esc(s));
        for p in &pairs {
            match cases
                .iter()
                .position(|c| c.scenario == *s && c.versions == *p)
            {
                Some(i) => cell(&mut h, &cases[i], kinds[i], runs),
                None => h.push_str("<td class=\"none\">—</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

// Over 80 lines: one HTML table cell written in reading order (status, counts, links per run).
fn cell(h: &mut String, case: &CaseStability, kind: CellKind, runs: &[(RunRecord, String)]) {
    let n = case.run_ids.len();
    let _ = write!(
        h,
        "<td class=\"case {}\" data-scenario=\"{}\" data-versions=\"{}\">\
         <span class=\"word\">{}</span>",
        kind.class(),
        esc(&case.scenario),
        esc(&case.versions),
        kind.word()
    );
    if n > 1 {
        let _ = write!(
            h,
            "<br><small>{}/{n} runs as expected</small>",
            case.as_expected
        );
    }
    let mine: Vec<&(RunRecord, String)> = runs
        .iter()
        .filter(|(r, _)| r.scenario == case.scenario && r.version_label() == case.versions)
        .collect();
    let mut notes: Vec<String> = vec![];
    for k in case.checks.iter().filter(|k| k.flips > 0) {
        let counts: Vec<String> = k.counts.iter().map(|(s, c)| format!("{s}×{c}")).collect();
        notes.push(format!(
            "{} flipped {}× ({})",
            k.check,
            k.flips,
            counts.join(" ")
        ));
    }
    if case.errors > 0 {
        notes.push(format!("{} run(s) aborted", case.errors));
    }
    if kind != CellKind::Unstable {
        // Checks that missed their expectation (the same in every run here).
        let mut missed: Vec<String> = vec![];
        for (r, _) in &mine {
            for u in r.unmet_expectations() {
                let text = format!("{}: {}", u.check, status_word(u.got));
                if !missed.contains(&text) {
                    missed.push(text);
                }
            }
        }
        notes.extend(missed);
    }
    // Failing checks the suite expects, so a red-by-design case reads as such.
    let expected_fails = mine
        .first()
        .map(|(r, _)| {
            r.verdicts
                .iter()
                .filter(|v| v.status == Status::Fail && r.expectation(&v.check).judge(v).is_none())
                .count()
        })
        .unwrap_or(0);
    if expected_fails > 0 && kind == CellKind::Ok {
        notes.push(format!("{expected_fails} expected fail(s)"));
    }
    if !notes.is_empty() {
        h.push_str("<ul>");
        for note in notes {
            let _ = write!(h, "<li>{}</li>", esc(&note));
        }
        h.push_str("</ul>");
    }
    h.push_str("<small>");
    for (i, (r, href)) in mine.iter().enumerate() {
        let mark = if r.as_expected() { "" } else { " ✗" };
        let _ = write!(
            h,
            "{}<a href=\"{}\" title=\"run {}\">{}{}</a>",
            if i == 0 { "report: " } else { " · " },
            esc(href),
            esc(&r.run_id),
            if n > 1 {
                format!("#{}", i + 1)
            } else {
                esc(&r.run_id)
            },
            mark
        );
    }
    h.push_str("</small></td>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Verdict;

    fn run(scenario: &str, to: Option<&str>, id: &str, durability: Status) -> (RunRecord, String) {
        let mut r = RunRecord::example();
        r.scenario = scenario.into();
        r.to_version = to.map(String::from);
        r.run_id = id.into();
        r.verdicts = vec![
            Verdict {
                check: "leader".into(),
                status: Status::Pass,
                summary: "ok".into(),
                evidence: vec![],
                metrics: Default::default(),
            },
            Verdict {
                check: "durability".into(),
                status: durability,
                summary: "x".into(),
                evidence: vec![],
                metrics: Default::default(),
            },
        ];
        (r, format!("../{id}/report.html"))
    }

    #[test]
    fn grid_of_suites_by_version_pairs_with_flips_and_links() {
        let runs = vec![
            run("restart", None, "r1", Status::Pass),
            run("rolling", Some("0.8.8"), "r2", Status::Pass),
            run("rolling", Some("0.8.8"), "r3", Status::Fail),
            run("rolling", Some("0.8.8"), "r4", Status::Pass),
            run("ip-change", Some("0.8.8"), "r5", Status::Fail),
        ];
        let page = index_html(&runs);
        // 3 suites × 2 version columns (0.7.3, 0.7.3→0.8.8), first-seen order.
        assert_eq!(page.matches("<tr><th>").count(), 1 + 3, "{page}");
        let header = "<th>suite \\ versions</th><th>0.7.3</th><th>0.7.3→0.8.8</th></tr>";
        assert!(page.contains(header), "{page}");
        assert!(
            page.contains("<tr><th>restart</th><td class=\"case ok\""),
            "{page}"
        );
        // restart ran no upgrade; ip-change ran no plain 0.7.3.
        assert_eq!(
            page.matches("<td class=\"none\">—</td>").count(),
            3,
            "{page}"
        );
        // rolling: 3 repeats, durability flipped pass→fail→pass.
        assert!(page.contains("class=\"case unstable\" data-scenario=\"rolling\""));
        assert!(page.contains("2/3 runs as expected"), "{page}");
        assert!(
            page.contains("durability flipped 2× (fail×1 pass×2)"),
            "{page}"
        );
        for id in ["r2", "r3", "r4"] {
            assert!(page.contains(&format!("href=\"../{id}/report.html\"")));
        }
        assert!(page.contains(">#2 ✗</a>"), "{page}");
        // ip-change: consistently not as expected, naming the check.
        assert!(page.contains("class=\"case bad\" data-scenario=\"ip-change\""));
        assert!(page.contains("<li>durability: fail</li>"), "{page}");
        assert!(
            page.contains("1 as expected, 1 not as expected, 1 unstable"),
            "{page}"
        );
        assert!(!page.contains("<script"));
    }

    #[test]
    fn all_green_says_so_and_escapes_names() {
        let page = index_html(&[run("<b>s</b>", None, "r1", Status::Pass)]);
        assert!(page.contains("AS EXPECTED: every case"));
        assert!(page.contains("&lt;b&gt;s&lt;/b&gt;") && !page.contains("<b>s</b>"));
    }
}

//! Stability: the same case run N times on fresh clusters (`--repeat N`) must give the same
//! verdicts. Per case and check: how often each status came, whether it flipped, and the
//! reasons seen. A case whose verdicts flip is **unstable** — never AS EXPECTED, whatever
//! each run said on its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{RunRecord, esc, status_word, write_file};
use crate::Result;
use crate::check::{Status, clip};

/// Longest reason text kept per distinct reason.
const REASON_CHARS: usize = 160;

/// One check of one case over its repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckStability {
    /// Check name.
    pub check: String,
    /// How many runs gave each status (`pass` → 9, `fail` → 1).
    pub counts: BTreeMap<String, u32>,
    /// Times the status changed from one run to the next, in run order.
    pub flips: u32,
    /// Distinct verdict summaries seen, with how often (clipped).
    pub reasons: BTreeMap<String, u32>,
}

/// One case (suite × version pair) over its repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseStability {
    /// Scenario name.
    pub scenario: String,
    /// `from→to` label.
    pub versions: String,
    /// Runs of this case, in order.
    pub run_ids: Vec<String>,
    /// Runs that came out as the suite expects.
    pub as_expected: u32,
    /// Runs aborted by a runner error.
    pub errors: u32,
    /// Per check, in the order the checks ran.
    pub checks: Vec<CheckStability>,
}

impl CaseStability {
    /// Did any check flip, or did the runs disagree on AS EXPECTED?
    pub fn unstable(&self) -> bool {
        let runs = self.run_ids.len() as u32;
        self.checks.iter().any(|c| c.counts.len() > 1)
            || (self.as_expected != 0 && self.as_expected != runs)
    }

    /// One word for the case: `stable`, `unstable`.
    pub fn word(&self) -> &'static str {
        if self.unstable() {
            "unstable"
        } else {
            "stable"
        }
    }
}

/// The stability table of a batch of runs, case by case (cases in first-seen order).
///
/// ```
/// use nacos_chaos::check::Status;
/// use nacos_chaos::report::{RunRecord, stability};
/// let run = |s: Status| {
///     let mut r = RunRecord::example();
///     r.verdicts = vec![nacos_chaos::check::Verdict { check: "leader".into(), status: s,
///         summary: format!("{s:?}"), evidence: vec![], metrics: Default::default() }];
///     r
/// };
/// let same = stability(&[run(Status::Pass), run(Status::Pass)]);
/// assert!(!same[0].unstable());
/// let flip = stability(&[run(Status::Pass), run(Status::Fail), run(Status::Pass)]);
/// assert!(flip[0].unstable());
/// assert_eq!(flip[0].checks[0].flips, 2);
/// ```
pub fn stability(records: &[RunRecord]) -> Vec<CaseStability> {
    let mut order: Vec<(String, String)> = vec![];
    let mut by_case: BTreeMap<(String, String), Vec<&RunRecord>> = BTreeMap::new();
    for r in records {
        let key = (r.scenario.clone(), r.version_label());
        if !by_case.contains_key(&key) {
            order.push(key.clone());
        }
        by_case.entry(key).or_default().push(r);
    }
    order
        .into_iter()
        .map(|key| {
            let runs = &by_case[&key];
            case(key.0, key.1, runs)
        })
        .collect()
}

fn case(scenario: String, versions: String, runs: &[&RunRecord]) -> CaseStability {
    let mut checks: Vec<CheckStability> = vec![];
    let mut last: BTreeMap<String, Status> = BTreeMap::new();
    for r in runs {
        for v in &r.verdicts {
            let i = match checks.iter().position(|c| c.check == v.check) {
                Some(i) => i,
                None => {
                    checks.push(CheckStability {
                        check: v.check.clone(),
                        counts: BTreeMap::new(),
                        flips: 0,
                        reasons: BTreeMap::new(),
                    });
                    checks.len() - 1
                }
            };
            let c = &mut checks[i];
            *c.counts.entry(status_word(v.status).into()).or_default() += 1;
            *c.reasons.entry(clip(&v.summary, REASON_CHARS)).or_default() += 1;
            if last
                .insert(v.check.clone(), v.status)
                .is_some_and(|s| s != v.status)
            {
                c.flips += 1;
            }
        }
    }
    CaseStability {
        scenario,
        versions,
        run_ids: runs.iter().map(|r| r.run_id.clone()).collect(),
        as_expected: runs.iter().filter(|r| r.as_expected()).count() as u32,
        errors: runs.iter().filter(|r| r.error.is_some()).count() as u32,
        checks,
    }
}

/// Where [`write_stability`] wrote the table.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityFiles {
    /// `stability.json`.
    pub json: PathBuf,
    /// `stability.md`.
    pub markdown: PathBuf,
    /// `stability.html`.
    pub html: PathBuf,
}

/// Write the table as `stability.json`, `stability.md` and `stability.html` into `dir`.
pub fn write_stability(cases: &[CaseStability], dir: &Path) -> Result<StabilityFiles> {
    let json = serde_json::to_string_pretty(cases)
        .map_err(|e| crate::Error::serialize("stability table", e))?;
    Ok(StabilityFiles {
        json: write_file(dir, "stability.json", &json)?,
        markdown: write_file(dir, "stability.md", &stability_markdown(cases))?,
        html: write_file(dir, "stability.html", &stability_html(cases))?,
    })
}

/// `pass×9 fail×1`.
fn counts_text(c: &CheckStability) -> String {
    c.counts
        .iter()
        .map(|(s, n)| format!("{s}×{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn reasons_text(c: &CheckStability) -> String {
    c.reasons
        .iter()
        .map(|(r, n)| format!("{n}× {r}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The table in Markdown: one section per case, one row per check.
pub fn stability_markdown(cases: &[CaseStability]) -> String {
    let mut out = String::from("# Stability\n\n");
    for c in cases {
        out.push_str(&format!(
            "## {} [{}]: {} — {} run(s), {} as expected, {} aborted\n\n",
            c.scenario,
            c.versions,
            c.word().to_uppercase(),
            c.run_ids.len(),
            c.as_expected,
            c.errors
        ));
        out.push_str("| check | verdicts | flips | reasons seen |\n|---|---|---|---|\n");
        for k in &c.checks {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                k.check,
                counts_text(k),
                k.flips,
                reasons_text(k).replace('|', "\\|")
            ));
        }
        out.push('\n');
    }
    out
}

/// The table as a standalone HTML page.
pub fn stability_html(cases: &[CaseStability]) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>nacos-chaos stability</title>\
         <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
         .unstable{color:#b00}.stable{color:#070}</style></head><body><h1>Stability</h1>",
    );
    for c in cases {
        out.push_str(&format!(
            "<h2>{} [{}]: <span class=\"{}\">{}</span></h2><p>{} run(s), {} as expected, {} aborted</p>",
            esc(&c.scenario),
            esc(&c.versions),
            c.word(),
            c.word().to_uppercase(),
            c.run_ids.len(),
            c.as_expected,
            c.errors
        ));
        out.push_str(
            "<table><tr><th>check</th><th>verdicts</th><th>flips</th><th>reasons seen</th></tr>",
        );
        for k in &c.checks {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&k.check),
                esc(&counts_text(k)),
                k.flips,
                esc(&reasons_text(k))
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Verdict;

    fn run(scenario: &str, statuses: &[(&str, Status, &str)]) -> RunRecord {
        let mut r = RunRecord::example();
        r.scenario = scenario.into();
        r.verdicts = statuses
            .iter()
            .map(|(c, s, why)| Verdict {
                check: (*c).into(),
                status: *s,
                summary: (*why).into(),
                evidence: vec![],
                metrics: Default::default(),
            })
            .collect();
        r
    }

    #[test]
    fn identical_repeats_are_stable_and_count_every_run() {
        let rs: Vec<RunRecord> = (0..3)
            .map(|_| {
                run(
                    "s",
                    &[
                        ("leader", Status::Pass, "ok"),
                        ("durability", Status::Pass, "ok"),
                    ],
                )
            })
            .collect();
        let t = stability(&rs);
        assert_eq!(t.len(), 1);
        assert!(!t[0].unstable(), "{t:?}");
        assert_eq!(t[0].checks[0].counts["pass"], 3);
        assert_eq!(t[0].as_expected, 3);
    }

    #[test]
    fn a_flipping_check_makes_the_case_unstable_with_both_reasons() {
        let rs = vec![
            run("s", &[("durability", Status::Pass, "all present")]),
            run(
                "s",
                &[("durability", Status::Fail, "2 lost acknowledged write(s)")],
            ),
        ];
        let t = stability(&rs);
        assert!(t[0].unstable());
        let d = &t[0].checks[0];
        assert_eq!((d.counts["pass"], d.counts["fail"], d.flips), (1, 1, 1));
        assert_eq!(d.reasons.len(), 2);
        let md = stability_markdown(&t);
        assert!(
            md.contains("UNSTABLE") && md.contains("2 lost acknowledged"),
            "{md}"
        );
        assert!(stability_html(&t).contains("class=\"unstable\""));
    }

    #[test]
    fn cases_are_kept_apart_by_scenario_and_versions() {
        let mut b = run("s", &[("leader", Status::Fail, "x")]);
        b.to_version = Some("0.8.8".into());
        let t = stability(&[run("s", &[("leader", Status::Pass, "y")]), b]);
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|c| !c.unstable()));
    }

    #[test]
    fn disagreeing_on_as_expected_is_unstable_even_with_equal_statuses() {
        let ok = run("s", &[("leader", Status::Pass, "ok")]);
        let mut aborted = ok.clone();
        aborted.error = Some("step 3 failed".into());
        let t = stability(&[ok, aborted]);
        assert!(t[0].unstable(), "{t:?}");
        assert_eq!(t[0].errors, 1);
    }

    #[test]
    fn the_table_is_written_in_three_formats() {
        let dir = tempfile::tempdir().unwrap();
        let t = stability(&[run("s", &[("leader", Status::Pass, "ok")])]);
        let f = write_stability(&t, dir.path()).unwrap();
        let back: Vec<CaseStability> =
            serde_json::from_str(&std::fs::read_to_string(&f.json).unwrap()).unwrap();
        assert_eq!(back, t);
        assert!(
            std::fs::read_to_string(&f.markdown)
                .unwrap()
                .contains("STABLE")
        );
        assert!(
            std::fs::read_to_string(&f.html)
                .unwrap()
                .contains("<table>")
        );
    }
}

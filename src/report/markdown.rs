//! `summary.md`: a Markdown summary fit for a CI job summary (`$GITHUB_STEP_SUMMARY`).

use super::record::RunRecord;
use super::status_word;
use crate::check::Status;

/// File name of the Markdown summary.
///
/// ```
/// assert_eq!(nacos_chaos::report::SUMMARY_FILE, "summary.md");
/// ```
pub const SUMMARY_FILE: &str = "summary.md";

/// How many evidence items to show per unmet expectation.
const TOP_EVIDENCE: usize = 3;

/// Render a Markdown summary of `records`: a table `scenario | versions | outcome |
/// bring-up attempts | <one column per check>` (attempts `—` when not recorded), then, for every run that did not behave as expected, the runner
/// error and each unmet expectation with its summary and top evidence.
///
/// Cells show `pass`, `fail`, `skip`, with `(expected)` on a fail that was expected and ❌ on
/// any verdict that does not meet its expectation (a Skip meets only `skip` or `any`; a
/// stated reason must match); `—` when a run has no verdict for a check.
/// Text from records is escaped (`|`, `<`, `>`, `&`, backticks, newlines).
///
/// ```
/// use nacos_chaos::report::{markdown_summary, RunRecord};
/// let md = markdown_summary(&[RunRecord::example()]);
/// assert!(md.contains("| example | 0.7.3 | ✅ as expected | 1 |"));
/// ```
// Over 80 lines: one Markdown document written in reading order (table, then per-run notes).
pub fn markdown_summary(records: &[RunRecord]) -> String {
    let mut checks: Vec<&str> = Vec::new();
    for v in records.iter().flat_map(|r| &r.verdicts) {
        if !checks.contains(&v.check.as_str()) {
            checks.push(&v.check);
        }
    }
    let bad: Vec<&RunRecord> = records.iter().filter(|r| !r.as_expected()).collect();
    let mut md = format!(
        "## nacos-chaos: {} run{}, {} as expected, {} unexpected\n\n",
        records.len(),
        if records.len() == 1 { "" } else { "s" },
        records.len() - bad.len(),
        bad.len()
    );
    md.push_str("| scenario | versions | outcome | bring-up attempts |");
    for c in &checks {
        md.push_str(&format!(" {} |", cell(c)));
    }
    md.push_str("\n|---|---|---|---|");
    md.push_str(&"---|".repeat(checks.len()));
    md.push('\n');
    for r in records {
        let outcome = if r.as_expected() {
            "✅ as expected"
        } else if r.error.is_some() {
            "❌ runner error"
        } else {
            "❌ unexpected"
        };
        let attempts = match r.attempts {
            0 => "—".to_string(),
            n => n.to_string(),
        };
        md.push_str(&format!(
            "| {} | {} | {outcome} | {attempts} |",
            cell(&r.scenario),
            cell(&r.version_label())
        ));
        for c in &checks {
            md.push_str(&format!(" {} |", check_cell(r, c)));
        }
        md.push('\n');
    }
    for r in bad {
        md.push_str(&format!(
            "\n### ❌ {} [{}] ({}, run `{}`)\n\n",
            cell(&r.scenario),
            cell(&r.version_label()),
            r.flavor,
            r.run_id.replace('`', "'")
        ));
        if let Some(err) = &r.error {
            md.push_str(&format!("- **runner error**: {}\n", cell(err)));
        }
        for u in r.unmet_expectations() {
            let Some(v) = r.verdicts.iter().find(|v| v.check == u.check) else {
                continue;
            };
            md.push_str(&format!(
                "- **{}**: expected {}, got {} — {}\n",
                cell(&u.check),
                cell(&u.wanted.to_string()),
                status_word(u.got),
                cell(&u.why)
            ));
            for e in v.evidence.iter().take(TOP_EVIDENCE) {
                let mut at = String::new();
                if let Some(n) = &e.node {
                    at.push_str(&format!(" [{}]", cell(n)));
                }
                if let Some(t) = e.at_ms {
                    at.push_str(&format!(" @{t} ms"));
                }
                md.push_str(&format!("  - {}{at}\n", cell(&e.text)));
            }
            if v.evidence.len() > TOP_EVIDENCE {
                md.push_str(&format!(
                    "  - … {} more in verdict.json\n",
                    v.evidence.len() - TOP_EVIDENCE
                ));
            }
        }
    }
    md
}

fn check_cell(r: &RunRecord, check: &str) -> String {
    let Some(v) = r.verdicts.iter().find(|v| v.check == check) else {
        return "—".into();
    };
    if r.expectation(check).judge(v).is_some() {
        return format!("❌ {}", status_word(v.status));
    }
    match v.status {
        Status::Fail => "fail (expected)".into(),
        got => status_word(got).into(),
    }
}

/// Escape text for a single-line Markdown table cell or list item.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Evidence, Verdict};

    fn verdict(check: &str, status: Status, evidence: usize) -> Verdict {
        Verdict {
            check: check.into(),
            status,
            summary: format!("{check} | summary"),
            evidence: (0..evidence)
                .map(|i| Evidence::text(format!("ev{i}")))
                .collect(),
            metrics: Default::default(),
        }
    }

    #[test]
    fn table_cells_reflect_expectations() {
        let mut r = RunRecord::example();
        r.verdicts = vec![
            verdict("leader", Status::Fail, 0),
            verdict("durability", Status::Fail, 5),
            verdict("signatures", Status::Skip, 0),
        ];
        r.expectations.insert("leader".into(), Status::Fail.into());
        r.expectations
            .insert("signatures".into(), Status::Skip.into());
        let md = markdown_summary(&[r]);
        assert!(
            md.contains(
                "| scenario | versions | outcome | bring-up attempts | leader | durability | signatures |"
            )
        );
        assert!(
            md.contains(
                "| example | 0.7.3 | ❌ unexpected | 1 | fail (expected) | ❌ fail | skip |"
            ),
            "{md}"
        );
        assert!(md.contains("- **durability**: expected pass, got fail — durability \\| summary"));
        assert!(md.contains("  - ev2\n") && !md.contains("ev3"), "{md}");
        assert!(md.contains("2 more in verdict.json"), "{md}");
        assert!(!md.contains("**leader**"), "{md}");
    }

    #[test]
    fn runner_error_is_listed_and_markup_escaped() {
        let mut r = RunRecord::example();
        r.error = Some("boom <script>\nline2".into());
        let md = markdown_summary(&[r, RunRecord::example()]);
        assert!(md.starts_with("## nacos-chaos: 2 runs, 1 as expected, 1 unexpected"));
        assert!(md.contains("❌ runner error"));
        assert!(
            md.contains("- **runner error**: boom &lt;script&gt; line2"),
            "{md}"
        );
    }

    #[test]
    fn missing_verdict_is_a_dash() {
        let mut a = RunRecord::example();
        a.verdicts = vec![verdict("leader", Status::Pass, 0)];
        let md = markdown_summary(&[a, RunRecord::example()]);
        assert!(
            md.contains("| example | 0.7.3 | ✅ as expected | 1 | — |"),
            "{md}"
        );
    }

    #[test]
    fn bring_up_attempts_have_a_column() {
        let md = markdown_summary(&[RunRecord::example()]);
        assert!(
            md.contains("| scenario | versions | outcome | bring-up attempts |"),
            "{md}"
        );
        assert!(
            md.contains("| example | 0.7.3 | ✅ as expected | 1 |"),
            "{md}"
        );
    }
}

//! `report.html`: one self-contained page per run (inline CSS and SVG, no script, no external
//! resources).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::fmt::{fmt_metric, fmt_ms};
use super::record::RunRecord;
use super::timeline::timeline_svg;
use super::{esc, status_word};
use crate::check::Status;
use crate::workload::Outcome;

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em}\
table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ccc;padding:3px 7px;\
text-align:left;vertical-align:top}th{background:#f2f2f2}.meta td:first-child{font-weight:bold}\
.num{text-align:right;white-space:nowrap}.sub{color:#555;margin:0 0 .6em}\
.outcome{display:inline-block;padding:5px 12px;border-radius:4px;font-weight:bold;font-size:1.1em}\
.ok{background:#dff3e3;color:#14632b}.bad{background:#fbe0e0;color:#8a1111}\
.pass{color:#14632b;font-weight:bold}.fail{color:#b01515;font-weight:bold}\
.skip,.any{color:#777;font-weight:bold}.unmet{background:#fff2f2}ul{margin:0;padding-left:1.2em}\
.checks{display:flex;flex-wrap:wrap;gap:6px;margin:.6em 0;padding:0;list-style:none}\
.chip{border:1px solid #ccc;border-radius:4px;padding:2px 8px;max-width:36em}\
.chip.unmet{border-color:#b01515}.chip small{display:block}\
.err{white-space:pre-wrap;background:#fbe0e0;padding:.5em;border-radius:4px}\
details summary{cursor:pointer;color:#1d4f91}.tl{overflow-x:auto}small{color:#666}";

/// Evidence items shown per verdict before the rest is folded.
const TOP_EVIDENCE: usize = 3;

/// Characters of an evidence text shown before the rest is folded.
const LONG_TEXT: usize = 240;

/// The first `n` characters of `s`, if it is longer (cut at a space when one is near).
fn clip_at(s: &str, n: usize) -> Option<&str> {
    let (cut, _) = s.char_indices().nth(n)?;
    let head = &s[..cut];
    Some(match head.rfind(' ') {
        Some(i) if i > n / 2 => &head[..i],
        _ => head,
    })
}

/// Final reads shown before the table is folded.
const FOLD_ROWS: usize = 12;

/// Render the self-contained HTML report of one run, most important first: the outcome (as
/// expected or not) and one chip per check with its one-line summary, then the timeline
/// ([`super::timeline_svg`], spanning the scenario's `duration_ms`), then the verdict
/// details (metrics rounded for reading — [`super::fmt_metric`] — with per-kind and
/// per-node figures folded; the first few evidence items, the rest folded in `<details>`),
/// checkpoints, steps, fault windows, a history summary, final reads, run details and
/// collected logs. All record text is escaped; no script, no external resource.
///
/// ```
/// use nacos_chaos::report::{html, RunRecord};
/// let mut r = RunRecord::example();
/// r.scenario = "<b>x</b>".into();
/// let page = html(&r);
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert!(page.contains("&lt;b&gt;x&lt;/b&gt;") && !page.contains("<b>x</b>"));
/// ```
pub fn html(record: &RunRecord) -> String {
    let r = record;
    let mut h = String::new();
    let title = format!("{} [{}]", r.scenario, r.version_label());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>nacos-chaos: {}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let provision = if r.provision_ms > 0 {
        format!(" (+{} providing images)", fmt_ms(r.provision_ms))
    } else {
        String::new()
    };
    let _ = writeln!(
        h,
        "<p class=\"sub\">{} · {} node(s) · scenario {}{} · run {}</p>",
        esc(&r.flavor.to_string()),
        r.nodes,
        fmt_ms(r.duration_ms),
        esc(&provision),
        esc(&r.run_id)
    );
    let (class, text) = if r.as_expected() {
        (
            "ok",
            "AS EXPECTED: every check came out as the suite expects".to_string(),
        )
    } else if r.error.is_some() {
        ("bad", "NOT AS EXPECTED: runner error".to_string())
    } else {
        let n = r.unmet_expectations().len();
        (
            "bad",
            format!(
                "NOT AS EXPECTED: {n} check{} not as expected",
                if n == 1 { "" } else { "s" }
            ),
        )
    };
    let _ = writeln!(
        h,
        "<section id=\"outcome\"><p class=\"outcome {class}\">{text}</p>"
    );
    if let Some(e) = &r.error {
        let _ = write!(h, "<div class=\"err\">{}</div>", esc(e));
    }
    chips(&mut h, r);
    h.push_str("</section>\n");
    let _ = writeln!(
        h,
        "<section id=\"timeline\"><h2>Timeline</h2><div class=\"tl\">{}</div></section>",
        timeline_svg(r)
    );
    verdicts(&mut h, r);
    checkpoints(&mut h, r);
    steps(&mut h, r);
    faults(&mut h, r);
    history(&mut h, r);
    final_reads(&mut h, r);
    meta(&mut h, r);
    if !r.logs.is_empty() {
        h.push_str("<section id=\"logs\"><h2>Logs</h2><ul>");
        for l in &r.logs {
            let _ = write!(h, "<li><a href=\"{}\">{}</a></li>", esc(l), esc(l));
        }
        h.push_str("</ul></section>\n");
    }
    h.push_str("</body></html>\n");
    h
}

/// One chip per check: name, status, what was expected when it differs, the summary.
fn chips(h: &mut String, r: &RunRecord) {
    if r.verdicts.is_empty() {
        return;
    }
    let unmet = r.unmet_expectations();
    h.push_str("<ul class=\"checks\">");
    for v in &r.verdicts {
        let want = r.expectation(&v.check);
        let why = unmet.iter().find(|u| u.check == v.check);
        let expected = match (why, v.status) {
            (Some(_), _) => format!(" (expected {})", want.status.word()),
            (None, Status::Fail) => " (expected)".to_string(),
            _ => String::new(),
        };
        let _ = write!(
            h,
            "<li class=\"chip{}\"><b>{}</b> {}{}<small>{}</small></li>",
            if why.is_some() { " unmet" } else { "" },
            esc(&v.check),
            status_span(v.status),
            esc(&expected),
            esc(&v.summary)
        );
    }
    h.push_str("</ul>");
}

/// Run details: everything identifying the run.
fn meta(h: &mut String, r: &RunRecord) {
    h.push_str("<section id=\"details\"><h2>Run details</h2><table class=\"meta\">");
    let to = r.to_version.as_deref().unwrap_or("(no upgrade)");
    let started = humantime::format_rfc3339_seconds(r.started).to_string();
    for (k, v) in [
        ("scenario", r.scenario.as_str()),
        ("flavor", &r.flavor.to_string()),
        ("from version", r.from_version.as_str()),
        ("to version", to),
        ("nodes", &r.nodes.to_string()),
        ("run id", r.run_id.as_str()),
        ("suite", r.suite_file.as_deref().unwrap_or("—")),
        ("seed", &r.seed.to_string()),
        ("started", &started),
        ("duration", &fmt_ms(r.duration_ms)),
        ("providing images", &fmt_ms(r.provision_ms)),
        ("engine", r.engine.as_str()),
        ("bring-up attempts", &r.attempts.to_string()),
    ] {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    h.push_str("</table></section>\n");
}

fn status_span(s: Status) -> String {
    let w = status_word(s);
    format!("<span class=\"{w}\">{w}</span>")
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "—".to_string(), T::to_string)
}

fn verdicts(h: &mut String, r: &RunRecord) {
    h.push_str("<section id=\"verdicts\"><h2>Verdicts</h2>");
    if r.verdicts.is_empty() {
        h.push_str("<p><small>no verdicts</small></p></section>\n");
        return;
    }
    h.push_str(
        "<table class=\"verdicts\"><tr><th>check</th><th>status</th><th>expected</th>\
         <th>summary</th><th>metrics</th><th>evidence</th></tr>",
    );
    let unmet = r.unmet_expectations();
    for v in &r.verdicts {
        let want = r.expectation(&v.check);
        let why = unmet.iter().find(|u| u.check == v.check).map(|u| &u.why);
        let mut expected = format!("<span class=\"{0}\">{0}</span>", want.status.word());
        if let Some(re) = &want.reason {
            let _ = write!(expected, "<br><small>reason /{}/</small>", esc(re.as_str()));
        }
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{expected}</td><td>{}",
            if why.is_some() {
                " class=\"unmet\""
            } else {
                ""
            },
            esc(&v.check),
            status_span(v.status),
            esc(&v.summary)
        );
        if let Some(why) = why {
            let _ = write!(h, "<br><small>not as expected: {}</small>", esc(why));
        }
        h.push_str("</td><td>");
        metrics(h, v);
        h.push_str("</td><td>");
        evidence(h, &v.evidence);
        h.push_str("</td></tr>");
    }
    h.push_str("</table></section>\n");
}

/// Headline metrics (no `.` in the name) as a list, per-kind and per-node breakdowns
/// (`success_ratio.writes`) folded.
fn metrics(h: &mut String, v: &crate::check::Verdict) {
    let (head, parts): (Vec<_>, Vec<_>) = v.metrics.iter().partition(|(k, _)| !k.contains('.'));
    let item = |(k, m): &(&String, &f64)| {
        format!("<li>{} <b>{}</b></li>", esc(k), esc(&fmt_metric(k, **m)))
    };
    if !head.is_empty() {
        h.push_str("<ul>");
        head.iter().for_each(|m| h.push_str(&item(m)));
        h.push_str("</ul>");
    }
    if !parts.is_empty() {
        let _ = write!(
            h,
            "<details><summary>{} breakdown figure(s)</summary><ul>",
            parts.len()
        );
        parts.iter().for_each(|m| h.push_str(&item(m)));
        h.push_str("</ul></details>");
    }
}

/// The first [`TOP_EVIDENCE`] items, then the rest folded under a count.
fn evidence(h: &mut String, items: &[crate::check::Evidence]) {
    if items.is_empty() {
        return;
    }
    let li = |e: &crate::check::Evidence| {
        let mut tags = Vec::new();
        if let Some(n) = &e.node {
            tags.push(n.clone());
        }
        if let Some(t) = e.at_ms {
            tags.push(format!("@{}", fmt_ms(t)));
        }
        if let Some(src) = &e.source {
            tags.push(src.clone());
        }
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!(" <small>{}</small>", esc(&tags.join(" · ")))
        };
        match clip_at(&e.text, LONG_TEXT) {
            Some(head) => format!(
                "<li>{}…{tags}<details><summary>all {} characters</summary>{}</details></li>",
                esc(head),
                e.text.chars().count(),
                esc(&e.text)
            ),
            None => format!("<li>{}{tags}</li>", esc(&e.text)),
        }
    };
    h.push_str("<ul class=\"evidence\">");
    items
        .iter()
        .take(TOP_EVIDENCE)
        .for_each(|e| h.push_str(&li(e)));
    h.push_str("</ul>");
    if items.len() > TOP_EVIDENCE {
        let _ = write!(
            h,
            "<details><summary>{} more of {}</summary><ul>",
            items.len() - TOP_EVIDENCE,
            items.len()
        );
        items
            .iter()
            .skip(TOP_EVIDENCE)
            .for_each(|e| h.push_str(&li(e)));
        h.push_str("</ul></details>");
    }
}

fn checkpoints(h: &mut String, r: &RunRecord) {
    if r.checkpoints.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"checkpoints\"><h2>Leader checkpoints</h2><table><tr>\
         <th>checkpoint</th><th>at</th><th>time to leader</th><th>deadline</th>\
         <th>expects leader</th><th>reason</th></tr>",
    );
    for c in &r.checkpoints {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.name),
            fmt_ms(c.at_ms),
            c.time_to_leader_ms.map_or("none".to_string(), fmt_ms),
            fmt_ms(c.deadline_ms),
            if c.expect_leader { "yes" } else { "no" },
            esc(&opt(&c.reason))
        );
    }
    h.push_str("</table></section>\n");
}

fn steps(h: &mut String, r: &RunRecord) {
    h.push_str("<section id=\"steps\"><h2>Steps</h2>");
    if r.steps.is_empty() {
        h.push_str("<p><small>no steps recorded</small></p></section>\n");
        return;
    }
    h.push_str(
        "<table class=\"steps\"><tr><th>#</th><th>step</th><th>start</th><th>took</th>\
         <th>ok</th><th>detail</th></tr>",
    );
    for (i, s) in r.steps.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&s.name),
            fmt_ms(s.start_ms),
            fmt_ms(s.end_ms.saturating_sub(s.start_ms)),
            if s.ok {
                status_span(Status::Pass)
            } else {
                status_span(Status::Fail)
            },
            esc(&s.detail)
        );
    }
    h.push_str("</table></section>\n");
}

fn faults(h: &mut String, r: &RunRecord) {
    if r.faults.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"faults\"><h2>Fault windows</h2><table><tr><th>id</th><th>kind</th>\
         <th>description</th><th>targets</th><th>start</th><th>end</th><th>proof</th>\
         <th>heal proof</th></tr>",
    );
    let list = |items: &[String]| -> String {
        let lis: String = items
            .iter()
            .map(|p| format!("<li>{}</li>", esc(p)))
            .collect();
        format!("<ul>{lis}</ul>")
    };
    for f in &r.faults {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            esc(&f.id),
            esc(&f.kind),
            esc(&f.description),
            esc(&f.targets.join(", ")),
            fmt_ms(f.start_ms),
            f.end_ms.map_or("not healed".to_string(), fmt_ms),
            list(&f.proof),
            list(&f.heal_proof)
        );
    }
    h.push_str("</table></section>\n");
}

/// Operation counts per node and kind: ok / refused / indeterminate.
fn history(h: &mut String, r: &RunRecord) {
    if r.history.ops.is_empty() {
        return;
    }
    let mut counts: BTreeMap<(&str, String), [usize; 3]> = BTreeMap::new();
    for op in &r.history.ops {
        let c = counts
            .entry((op.node.as_str(), format!("{:?}", op.kind)))
            .or_default();
        c[match op.outcome {
            Outcome::Ok => 0,
            Outcome::Fail => 1,
            Outcome::Unknown => 2,
        }] += 1;
    }
    let _ = write!(
        h,
        "<section id=\"history\"><h2>Client history</h2><p><small>{} operations</small></p>\
         <table><tr><th>node</th><th>operation</th><th>ok</th><th>refused</th>\
         <th>indeterminate</th></tr>",
        r.history.ops.len()
    );
    for ((node, kind), [ok, fail, unknown]) in counts {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{ok}</td><td>{fail}</td><td>{unknown}</td></tr>",
            esc(node),
            esc(&kind)
        );
    }
    h.push_str("</table></section>\n");
}

fn final_reads(h: &mut String, r: &RunRecord) {
    if r.final_reads.is_empty() {
        return;
    }
    let errors = r.final_reads.iter().filter(|f| f.error.is_some()).count();
    let _ = write!(
        h,
        "<section id=\"final-reads\"><h2>Final reads</h2>{}<table><tr><th>node</th><th>key</th>\
         <th>kind</th><th>values</th><th>error</th></tr>",
        if r.final_reads.len() > FOLD_ROWS {
            format!(
                "<details><summary>{} read(s), {errors} error(s)</summary>",
                r.final_reads.len()
            )
        } else {
            String::new()
        }
    );
    for f in &r.final_reads {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.node),
            esc(&f.key),
            esc(&format!("{:?}", f.kind)),
            esc(&f.values.as_ref().map_or("—".to_string(), |v| v.join(", "))),
            esc(&opt(&f.error))
        );
    }
    h.push_str("</table>");
    if r.final_reads.len() > FOLD_ROWS {
        h.push_str("</details>");
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_evidence_is_clipped_with_the_whole_text_folded() {
        let mut r = RunRecord::example();
        let long = format!("LOST instance {}", "'10.0.0.1:30035', ".repeat(40));
        r.verdicts.push(crate::check::Verdict {
            check: "durability".into(),
            status: Status::Fail,
            summary: "1 lost".into(),
            evidence: vec![crate::check::Evidence::text(long.clone())],
            metrics: Default::default(),
        });
        let page = html(&r);
        assert!(
            page.contains(&format!("<summary>all {} characters</summary>", long.len())),
            "{page}"
        );
        assert_eq!(clip_at("short", 240), None);
        assert_eq!(clip_at("aaaa bbbb cccc", 12), Some("aaaa bbbb"));
    }

    #[test]
    fn header_shows_bring_up_attempts() {
        let page = html(&RunRecord::example());
        assert!(
            page.contains("<tr><td>bring-up attempts</td><td>1</td></tr>"),
            "{page}"
        );
    }
}

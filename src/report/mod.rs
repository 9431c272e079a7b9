//! Reports: artifacts from a run record.
//!
//! One run writes, into its results directory ([`write_all`]):
//!
//! - `verdict.json` — the full [`RunRecord`], described by `results/verdict.schema.json`
//!   ([`schema`], [`validate`]);
//! - `junit.xml` — one test case per scenario × version pair × check ([`junit`]);
//! - `report.html` — a self-contained page with verdicts, steps and a timeline ([`html`]);
//! - `summary.md` — a CI job summary ([`markdown_summary`]).
//!
//! [`merge`] combines the `verdict.json` files of several result directories (CI shards)
//! into one `junit.xml`, one `summary.md` and an `index.html` grid linking every run's
//! report; [`rerender`] writes a run's (or a merge's) human-facing artifacts again from
//! the JSON they were made from.

mod fmt;
mod html;
mod index;
mod json;
mod junit;
mod markdown;
mod record;
mod stability;
mod timeline;

use std::path::{Path, PathBuf};

pub use fmt::{fmt_metric, fmt_ms, fmt_ratio};
pub use html::html;
pub use index::{INDEX_FILE, index_html};
pub use json::{VERDICT_FILE, read_verdict_json, schema, validate, write_verdict_json};
pub use junit::{JUNIT_FILE, junit, write_junit};
pub use markdown::{SUMMARY_FILE, markdown_summary};
pub use record::{RunRecord, SCHEMA_VERSION, StepRecord};
pub use stability::{
    CaseStability, CheckStability, StabilityFiles, stability, stability_html, stability_markdown,
    write_stability,
};
pub use timeline::timeline_svg;

use crate::error::{Error, Result};

/// File name of the HTML report in a run's results directory.
///
/// ```
/// assert_eq!(nacos_chaos::report::HTML_FILE, "report.html");
/// ```
pub const HTML_FILE: &str = "report.html";

/// Write every artifact of one run into `dir` (created if missing): `verdict.json`,
/// `junit.xml`, `report.html` and `summary.md`. Returns the written paths in that order.
///
/// ```
/// use nacos_chaos::report::{write_all, RunRecord};
/// let dir = tempfile::tempdir().unwrap();
/// let written = write_all(&RunRecord::example(), &dir.path().join("run1")).unwrap();
/// assert_eq!(written.len(), 4);
/// assert!(written.iter().all(|p| p.exists()));
/// ```
pub fn write_all(record: &RunRecord, dir: &Path) -> Result<Vec<PathBuf>> {
    let records = std::slice::from_ref(record);
    Ok(vec![
        write_verdict_json(record, dir)?,
        write_junit(records, dir)?,
        write_file(dir, HTML_FILE, &html(record))?,
        write_file(dir, SUMMARY_FILE, &markdown_summary(records))?,
    ])
}

/// What [`merge`] read and wrote.
///
/// ```
/// use nacos_chaos::report::{merge, write_all, RunRecord};
/// let root = tempfile::tempdir().unwrap();
/// let mut bad = RunRecord::example();
/// bad.error = Some("bring-up failed".into());
/// write_all(&bad, &root.path().join("runs/a")).unwrap();
/// let m = merge(&[root.path().join("runs")], &root.path().join("out")).unwrap();
/// assert!(!m.all_as_expected);
/// assert!(m.junit.ends_with("out/junit.xml") && m.summary.ends_with("out/summary.md"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The `verdict.json` files read, in the order their records appear in the outputs.
    pub sources: Vec<PathBuf>,
    /// The combined `junit.xml`.
    pub junit: PathBuf,
    /// The combined `summary.md`.
    pub summary: PathBuf,
    /// The index page: suites × version pairs, linking every run's report.
    pub index: PathBuf,
    /// Did every merged run behave as expected?
    pub all_as_expected: bool,
}

/// Read every `verdict.json` under `dirs` (recursively, in sorted path order) and write a
/// combined `junit.xml`, `summary.md` and `index.html` (suites × version pairs, linking
/// each run's `report.html`) into `out` (created if missing), with `merged.json` naming the
/// sources so [`rerender`] can write them again.
///
/// A file that is not valid JSON or does not match the schema is an error naming the file;
/// finding no `verdict.json` at all is an error too (an empty shard is not a green one).
///
/// ```
/// use nacos_chaos::report::{merge, write_all, RunRecord};
/// let root = tempfile::tempdir().unwrap();
/// write_all(&RunRecord::example(), &root.path().join("shard1/run-a")).unwrap();
/// let merged = merge(&[root.path().join("shard1")], &root.path().join("merged")).unwrap();
/// assert_eq!(merged.sources.len(), 1);
/// assert!(merged.all_as_expected);
/// ```
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Merged> {
    let mut sources = Vec::new();
    for dir in dirs {
        find_verdicts(dir, &mut sources)?;
    }
    if sources.is_empty() {
        let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(Error::Config(format!(
            "no {VERDICT_FILE} found under {}",
            if names.is_empty() {
                "(no directories given)".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    write_merged(sources, out)
}

/// File name of a merge's manifest: the `verdict.json` files it combined, relative to the
/// merge directory (what [`rerender`] reads to write the merge again).
///
/// ```
/// assert_eq!(nacos_chaos::report::MERGED_FILE, "merged.json");
/// ```
pub const MERGED_FILE: &str = "merged.json";

/// Read `sources` and write the merge's artifacts and manifest into `out`.
fn write_merged(sources: Vec<PathBuf>, out: &Path) -> Result<Merged> {
    let records = sources
        .iter()
        .map(|p| read_verdict_json(p))
        .collect::<Result<Vec<_>>>()?;
    std::fs::create_dir_all(out).map_err(|e| Error::io("create directory", out, e))?;
    let rel: Vec<String> = sources.iter().map(|p| relative(out, p)).collect();
    let runs: Vec<(RunRecord, String)> = records
        .iter()
        .cloned()
        .zip(&sources)
        .map(|(r, p)| (r, relative(out, &p.with_file_name(HTML_FILE))))
        .collect();
    let manifest = serde_json::json!({ "sources": rel });
    write_file(out, MERGED_FILE, &format!("{manifest:#}\n"))?;
    Ok(Merged {
        junit: write_junit(&records, out)?,
        summary: write_file(out, SUMMARY_FILE, &markdown_summary(&records))?,
        index: write_file(out, INDEX_FILE, &index_html(&runs))?,
        all_as_expected: records.iter().all(RunRecord::as_expected),
        sources,
    })
}

/// `to` as a `/`-separated path relative to the directory `from` (both resolved first; an
/// unresolvable path is given whole).
fn relative(from: &Path, to: &Path) -> String {
    let (Ok(from), Some(to)) = (
        from.canonicalize(),
        to.parent()
            .and_then(|d| d.canonicalize().ok())
            .zip(to.file_name())
            .map(|(d, f)| d.join(f)),
    ) else {
        return to.display().to_string();
    };
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// What [`rerender`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum Rerendered {
    /// A run directory: `junit.xml`, `report.html` and `summary.md` from its `verdict.json`.
    Run {
        /// The record read.
        record: Box<RunRecord>,
        /// The files written.
        written: Vec<PathBuf>,
    },
    /// A matrix or merge directory: its artifacts and `index.html` from the runs its
    /// `merged.json` names.
    Merge(Merged),
}

/// Write the human-facing artifacts of `dir` again, from the JSON they were made from: for
/// a run directory (holding `verdict.json`) its `junit.xml`, `report.html` and
/// `summary.md`; for a matrix or merge directory (holding `merged.json`) its `junit.xml`,
/// `summary.md` and `index.html`. `verdict.json` itself is never rewritten.
///
/// ```
/// use nacos_chaos::report::{rerender, write_all, Rerendered, RunRecord};
/// let dir = tempfile::tempdir().unwrap();
/// write_all(&RunRecord::example(), dir.path()).unwrap();
/// std::fs::remove_file(dir.path().join("report.html")).unwrap();
/// assert!(matches!(rerender(dir.path()).unwrap(), Rerendered::Run { .. }));
/// assert!(dir.path().join("report.html").exists());
/// ```
pub fn rerender(dir: &Path) -> Result<Rerendered> {
    let verdict = dir.join(VERDICT_FILE);
    if verdict.is_file() {
        let record = read_verdict_json(&verdict)?;
        let records = std::slice::from_ref(&record);
        let written = vec![
            write_junit(records, dir)?,
            write_file(dir, HTML_FILE, &html(&record))?,
            write_file(dir, SUMMARY_FILE, &markdown_summary(records))?,
        ];
        return Ok(Rerendered::Run {
            record: Box::new(record),
            written,
        });
    }
    let manifest = dir.join(MERGED_FILE);
    if manifest.is_file() {
        let text =
            std::fs::read_to_string(&manifest).map_err(|e| Error::io("read", &manifest, e))?;
        let sources: Vec<PathBuf> = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v["sources"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(|s| dir.join(s)))
                        .collect()
                })
            })
            .ok_or_else(|| {
                Error::Config(format!(
                    "{}: not a merge manifest (expected {{\"sources\": [paths]}})",
                    manifest.display()
                ))
            })?;
        return Ok(Rerendered::Merge(write_merged(sources, dir)?));
    }
    Err(Error::Config(format!(
        "{}: neither a run directory ({VERDICT_FILE}) nor a matrix/merge directory \
         ({MERGED_FILE})",
        dir.display()
    )))
}

/// Collect `verdict.json` paths under `dir`, sorted; symlinked directories are not followed.
fn find_verdicts(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("read directory", dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read directory", dir, e))?;
        let kind = entry
            .file_type()
            .map_err(|e| Error::io("stat", entry.path(), e))?;
        paths.push((entry.path(), kind.is_dir()));
    }
    paths.sort();
    for (path, is_dir) in paths {
        if is_dir {
            find_verdicts(&path, found)?;
        } else if path.file_name().is_some_and(|n| n == VERDICT_FILE) {
            found.push(path);
        }
    }
    Ok(())
}

/// Create `dir` and write `name` into it.
fn write_file(dir: &Path, name: &str, content: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let path = dir.join(name);
    std::fs::write(&path, content).map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}

/// Escape text for HTML/XML/SVG element content and quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Lower-case status word (`pass`, `fail`, `skip`).
fn status_word(s: crate::check::Status) -> &'static str {
    match s {
        crate::check::Status::Pass => "pass",
        crate::check::Status::Fail => "fail",
        crate::check::Status::Skip => "skip",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esc_escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn merge_names_corrupt_file() {
        let root = tempfile::tempdir().unwrap();
        let bad = root.path().join("s1/run/verdict.json");
        std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
        std::fs::write(&bad, "{\"run_id\": 3").unwrap();
        let err = merge(&[root.path().to_path_buf()], &root.path().join("out")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&bad.display().to_string()), "{msg}");
        assert!(msg.contains("not valid JSON"), "{msg}");
    }

    #[test]
    fn merge_names_schema_violation() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("run");
        let mut v = serde_json::to_value(RunRecord::example()).unwrap();
        v["verdicts"] = serde_json::json!([{"check": "leader", "status": "ok",
            "summary": "", "evidence": [], "metrics": {}}]);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(VERDICT_FILE), v.to_string()).unwrap();
        let msg = merge(&[root.path().to_path_buf()], &root.path().join("out"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("$.verdicts[0].status"), "{msg}");
        assert!(msg.contains("verdict.json"), "{msg}");
    }

    #[test]
    fn merge_writes_an_index_linking_each_report_and_rerenders_from_its_manifest() {
        let root = tempfile::tempdir().unwrap();
        let mut b = RunRecord::example();
        b.run_id = "rb".into();
        b.to_version = Some("0.8.8".into());
        write_all(&RunRecord::example(), &root.path().join("shard1/ra")).unwrap();
        write_all(&b, &root.path().join("shard2/rb")).unwrap();
        let out = root.path().join("merged");
        let m = merge(
            &[root.path().join("shard1"), root.path().join("shard2")],
            &out,
        )
        .unwrap();
        let index = std::fs::read_to_string(&m.index).unwrap();
        assert!(
            index.contains("href=\"../shard1/ra/report.html\""),
            "{index}"
        );
        assert!(
            index.contains("href=\"../shard2/rb/report.html\""),
            "{index}"
        );
        let manifest = std::fs::read_to_string(out.join(MERGED_FILE)).unwrap();
        assert!(manifest.contains("../shard1/ra/verdict.json"), "{manifest}");
        // Re-render: from the manifest, the same pages.
        std::fs::remove_file(&m.index).unwrap();
        std::fs::remove_file(&m.junit).unwrap();
        let Rerendered::Merge(again) = rerender(&out).unwrap() else {
            panic!("a merge dir re-renders as a merge");
        };
        assert_eq!(again.sources.len(), 2);
        assert_eq!(std::fs::read_to_string(&again.index).unwrap(), index);
        assert!(again.junit.exists());
        // Neither kind of directory: an error naming both files.
        let msg = rerender(root.path()).unwrap_err().to_string();
        assert!(
            msg.contains("verdict.json") && msg.contains("merged.json"),
            "{msg}"
        );
    }

    #[test]
    fn relative_paths_climb_to_the_common_parent() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("x/out"), root.path().join("y/r1"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        assert_eq!(
            relative(&a, &b.join("report.html")),
            "../../y/r1/report.html"
        );
        assert_eq!(relative(&a, &a.join("f")), "f");
    }

    #[test]
    fn merge_of_nothing_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let msg = merge(&[root.path().to_path_buf()], &root.path().join("out"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no verdict.json found"), "{msg}");
        let missing = root.path().join("nope");
        let msg = merge(&[missing], &root.path().join("out"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("nope"), "{msg}");
    }
}

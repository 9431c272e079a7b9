//! The report as a person sees it: a real r-nacos run's `report.html`, and the index page
//! of a merge, rendered in headless Chromium at 1280×900. No script errors (any console
//! message fails: the pages carry no script), the timeline inside the first screen, its
//! axis ending at the scenario's duration, and a screenshot of each under
//! `results/browser/` (git-ignored; `results/examples/` holds committed ones).
//!
//! Needs `chromium` (Debian's package; `.ci/run` installs it) and Docker. Without chromium
//! the test prints a visible SKIP, except under CI=true where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use nacos_chaos::report::{HTML_FILE, fmt_ms, merge};
use nacos_chaos::scenario::{RunOptions, Suite, run};

const WINDOW: (u32, u32) = (1280, 900);

/// Chromium's binary: `NACOS_CHAOS_CHROMIUM`, or the first of the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NACOS_CHAOS_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test}: chromium is required under CI=true (apt-get install chromium)");
        }
        common::skip(test, "no chromium on PATH (apt-get install chromium)");
    }
    found
}

/// What headless Chromium made of a page.
struct Rendered {
    /// The DOM after load, with `data-probe-*` attributes the probe script set on `<body>`.
    dom: String,
    /// Console messages the page produced (script errors, failed loads).
    console: Vec<String>,
}

/// A script appended to a copy of the page (never to the report itself): records where the
/// timeline lies in the 1280×900 viewport, for the dumped DOM.
const PROBE: &str = "<script>addEventListener('load',()=>{const s=document.querySelector(\
'svg.timeline');const b=document.body;if(s){const r=s.getBoundingClientRect();\
b.setAttribute('data-probe-svg-top',Math.round(r.top));\
b.setAttribute('data-probe-svg-bottom',Math.round(r.bottom));}\
b.setAttribute('data-probe-viewport',innerWidth+'x'+innerHeight);});</script>";

fn chrome(bin: &Path, profile: &Path, args: &[String]) -> (String, String) {
    let out = Command::new(bin)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .args(args)
        .output()
        .expect("start chromium");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn console(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect()
}

/// Screenshot `page` into `png`, then load it again with the probe and dump the DOM.
fn render(bin: &Path, page: &Path, png: &Path) -> Rendered {
    let profile = tempfile::tempdir().unwrap();
    let url = |p: &Path| format!("file://{}", p.canonicalize().unwrap().display());
    let (_, shot_err) = chrome(
        bin,
        profile.path(),
        &[format!("--screenshot={}", png.display()), url(page)],
    );
    // The probed copy sits beside the page so relative links resolve the same way.
    let probed = page.with_extension("probe.html");
    let html = std::fs::read_to_string(page).unwrap();
    std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let (dom, dom_err) = chrome(
        bin,
        profile.path(),
        &["--dump-dom".to_string(), url(&probed)],
    );
    std::fs::remove_file(&probed).unwrap();
    let mut console = console(&shot_err);
    console.extend(self::console(&dom_err));
    Rendered { dom, console }
}

fn attr(dom: &str, name: &str) -> Option<i64> {
    let start = dom.find(&format!("{name}=\""))? + name.len() + 2;
    dom[start..].split('"').next()?.parse().ok()
}

/// The viewport the probe measured, `(width, height)` in CSS px.
fn viewport(dom: &str) -> (u32, u32) {
    let start = dom.find("data-probe-viewport=\"").expect("probe ran") + 21;
    let (w, h) = dom[start..]
        .split('"')
        .next()
        .unwrap()
        .split_once('x')
        .unwrap();
    (w.parse().unwrap(), h.parse().unwrap())
}

/// The PNG's width and height (IHDR).
fn png_size(png: &Path) -> (u32, u32) {
    let b = std::fs::read(png).unwrap();
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        png.display()
    );
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/browser");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_console_check_catches_a_script_error() {
    // The detector itself: a page with a failing script is caught, so silence means clean.
    let Some(bin) = chromium_or_skip("the_console_check_catches_a_script_error") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>notDefined()</script></body></html>",
    )
    .unwrap();
    let r = render(&bin, &page, &tmp.path().join("bad.png"));
    assert!(
        r.console.iter().any(|l| l.contains("notDefined")),
        "{:?}",
        r.console
    );
    assert_eq!(viewport(&r.dom).0, WINDOW.0, "{}", r.dom);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_runs_report_and_its_index_render_cleanly_with_the_timeline_first() {
    let test = "a_real_runs_report_and_its_index_render_cleanly_with_the_timeline_first";
    let Some(bin) = chromium_or_skip(test) else {
        return;
    };
    let Some(_engine) = common::engine_or_skip(test).await else {
        return;
    };
    let results = tempfile::tempdir().unwrap();
    let suite_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/rnacos-restart-control.toml");
    let suite = Suite::load(&suite_path).unwrap();
    let record = run(
        &suite,
        common::RNACOS_TO,
        None,
        &RunOptions {
            results: results.path().to_path_buf(),
            ..Default::default()
        },
    )
    .await;
    assert!(record.error.is_none(), "{:?}", record.error);
    assert!(record.duration_ms > 0);
    let run_dir = results.path().join(&record.run_id);

    // The run's report.
    let png = out_dir().join("report.png");
    let r = render(&bin, &run_dir.join(HTML_FILE), &png);
    assert!(r.console.is_empty(), "console messages: {:#?}", r.console);
    assert_eq!(png_size(&png), WINDOW);
    // Reading order: outcome, then the timeline, then the evidence.
    let at = |needle: &str| {
        r.dom
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in the DOM"))
    };
    assert!(at("id=\"outcome\"") < at("<svg"));
    assert!(at("<svg") < at("id=\"verdicts\""));
    assert!(at("<svg") < at("class=\"evidence\""));
    // Laid out inside the first screen, whole (the viewport a --window-size of 1280×900
    // leaves headless Chromium is a little lower than the window: measured, not assumed).
    let bottom = attr(&r.dom, "data-probe-svg-bottom").expect("probe ran");
    let top = attr(&r.dom, "data-probe-svg-top").unwrap();
    let (_, height) = viewport(&r.dom);
    assert!(
        top >= 0 && bottom <= i64::from(height),
        "timeline at {top}..{bottom} px, viewport {height} px high"
    );
    // The axis spans the scenario: its end label is the run's duration_ms.
    let end = format!("class=\"axis-end\" data-ms=\"{}\"", record.duration_ms);
    let i = at(&end);
    let label = r.dom[i..]
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert_eq!(label, fmt_ms(record.duration_ms));
    // No raw long fractions anywhere a person reads.
    let text_only = r
        .dom
        .split('<')
        .map(|s| s.split_once('>').map_or("", |x| x.1));
    for t in text_only {
        assert!(
            !t.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .any(|n| n.split('.').count() == 2 && n.split('.').nth(1).unwrap().len() > 3),
            "unrounded figure in {t:?}"
        );
    }

    // The index of a merge of that run links its report and renders cleanly.
    let merged = merge(
        &[results.path().to_path_buf()],
        &results.path().join("merged"),
    )
    .unwrap();
    let png = out_dir().join("index.png");
    let r = render(&bin, &merged.index, &png);
    assert!(r.console.is_empty(), "console messages: {:#?}", r.console);
    assert_eq!(png_size(&png), WINDOW);
    // The cell's colour is the run's outcome, whatever r-nacos did this time (the restart
    // control can hit two r-nacos findings: tests/suites_rnacos.rs).
    let class = if record.as_expected() {
        "class=\"case ok\""
    } else {
        "class=\"case bad\""
    };
    assert!(r.dom.contains(class), "{}", r.dom);
    let href = format!("../{}/{HTML_FILE}", record.run_id);
    assert!(r.dom.contains(&format!("href=\"{href}\"")), "{}", r.dom);
    assert!(merged.index.parent().unwrap().join(&href).is_file());
}

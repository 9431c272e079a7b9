//! Official Nacos end to end: runs the official suites when `nacos/nacos-server:v<ver>`
//! is present in the local engine (or `NACOS_CHAOS_REGISTRY` names a mirror); otherwise
//! each trial is reported as IGNORED with the reason — a visible skip, never a pass.
//! Under `CI=true` a missing Docker engine fails.

use libtest_mimic::{Arguments, Failed, Trial};

use nacos_chaos::docker::{Engine, new_run_id};
use nacos_chaos::scenario::{RunOptions, Suite, run};

fn official_suites() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("suites")
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p: &std::path::PathBuf| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("official-") && n.ends_with(".toml"))
    });
    v.sort();
    v
}

fn main() {
    let args = Arguments::from_args();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let registry = std::env::var("NACOS_CHAOS_REGISTRY").ok();
    let engine = rt.block_on(Engine::connect(new_run_id()));
    let mut trials = vec![];
    for path in official_suites() {
        let suite = match Suite::load(&path) {
            Ok(s) => s,
            Err(e) => {
                let msg = e.to_string();
                trials.push(Trial::test(format!("{}", path.display()), move || {
                    Err(Failed::from(msg))
                }));
                continue;
            }
        };
        if let Some(what) = suite.not_implemented() {
            // Validate-only suites are a visible skip with the reason, never a pass.
            eprintln!("SKIP {}: not implemented yet: {what}", suite.name);
            trials.push(
                Trial::test(
                    format!("{} (not implemented yet: {what})", suite.name),
                    || Ok(()),
                )
                .with_ignored_flag(true),
            );
            continue;
        }
        for (from, to) in suite.pairs() {
            let name = format!(
                "{}[{}{}]",
                suite.name,
                from,
                to.as_ref().map(|t| format!("→{t}")).unwrap_or_default()
            );
            let images: Vec<String> = std::iter::once(from.clone())
                .chain(to.clone())
                .map(|v| nacos_chaos::image::official_ref(&v, registry.as_deref()))
                .collect();
            let missing: Vec<String> = match &engine {
                Ok(e) => images
                    .iter()
                    .filter(|i| !rt.block_on(e.image_exists(i)).unwrap_or(false))
                    .cloned()
                    .collect(),
                Err(_) => images.clone(),
            };
            let ci = std::env::var("CI").as_deref() == Ok("true");
            if let Err(e) = &engine {
                let msg = format!("Docker engine unreachable: {e}");
                if ci {
                    trials.push(Trial::test(name, move || Err(Failed::from(msg))));
                } else {
                    eprintln!("SKIP {name}: {msg}");
                    trials.push(Trial::test(name, || Ok(())).with_ignored_flag(true));
                }
                continue;
            }
            if !missing.is_empty() && registry.is_none() {
                let loads: Vec<String> = std::iter::once(from.as_str())
                    .chain(to.as_deref())
                    .map(|v| format!("docker load -i {}", nacos_chaos::image::official_tar(v)))
                    .collect();
                eprintln!(
                    "SKIP {name}: image(s) {} not present locally; fix: `{}`, or set \
                     NACOS_CHAOS_REGISTRY / --registry to a mirror (`nacos-chaos image --flavor \
                     official --version V` says how)",
                    missing.join(", "),
                    loads.join("` and `")
                );
                trials.push(
                    Trial::test(format!("{name} (needs {})", missing.join(", ")), || Ok(()))
                        .with_ignored_flag(true),
                );
                continue;
            }
            let suite = suite.clone();
            let registry = registry.clone();
            trials.push(Trial::test(name, move || {
                let rt = tokio::runtime::Runtime::new().map_err(|e| Failed::from(e.to_string()))?;
                let opts = RunOptions {
                    registry,
                    ..Default::default()
                };
                let r = rt.block_on(run(&suite, &from, to.as_deref(), &opts));
                if r.as_expected() {
                    Ok(())
                } else {
                    Err(Failed::from(format!(
                        "not as expected: {:?} {:?}",
                        r.unmet_expectations(),
                        r.error
                    )))
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

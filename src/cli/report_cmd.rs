//! `report DIR`: write a run's (or a matrix/merge's) HTML, Markdown and JUnit again from the
//! JSON they were made from — after an upgrade of nacos-chaos, or on a copied results dir.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use nacos_chaos::report::{Rerendered, rerender};

/// Re-render every directory given; the exit code says whether every run behaved as
/// expected (0), or not (1), like `run` and `merge` did.
pub fn report(dirs: Vec<PathBuf>) -> Result<ExitCode> {
    let mut ok = true;
    for dir in &dirs {
        match rerender(dir)? {
            Rerendered::Run { record, written } => {
                ok &= record.as_expected();
                println!(
                    "{} [{}] run {}: {}",
                    record.scenario,
                    record.version_label(),
                    record.run_id,
                    if record.as_expected() {
                        "AS EXPECTED"
                    } else {
                        "NOT AS EXPECTED"
                    }
                );
                for p in written {
                    println!("  wrote {}", p.display());
                }
            }
            Rerendered::Merge(m) => {
                ok &= m.all_as_expected;
                println!(
                    "{}: {} run(s), {}",
                    dir.display(),
                    m.sources.len(),
                    if m.all_as_expected {
                        "AS EXPECTED"
                    } else {
                        "NOT AS EXPECTED"
                    }
                );
                for p in [&m.index, &m.junit, &m.summary] {
                    println!("  wrote {}", p.display());
                }
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_NOT_AS_EXPECTED)
    })
}

//! Seeded mutation fuzzing of preflight: data dirs whose true verdict is not OK (a
//! whole-cluster IP change: every persisted peer is an old address), each mutated a bounded
//! number of ways — truncate at an offset, flip bytes, zero a range, delete or empty a file,
//! append garbage, duplicate a byte range or a whole log record. For every case preflight
//! must not panic and must not answer OK (exit 0): damage may turn the verdict into CORRUPT
//! or UNREADABLE (or an error), never into "safe".
//!
//! Deterministic: case `i` of dir `d` uses seed `BASE_SEED ^ hash(d) ^ i`. A failure prints
//! the dir, case, seed and mutation; replay one case with
//! `PREFLIGHT_FUZZ_ONLY=<dir>:<case> cargo test --test preflight_fuzz -- --nocapture`.
//! `PREFLIGHT_FUZZ_CASES` raises the per-dir count (default 300) for a longer local run.

#[path = "preflight_dirs/mod.rs"]
mod dirs;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use dirs::*;

const BASE_SEED: u64 = 0x005E_ED0F_C4A0_5EED;

/// splitmix64: small, fast, good enough to spread mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate {
        file: String,
        at: usize,
    },
    Flip {
        file: String,
        at: usize,
        mask: u8,
    },
    FlipMany {
        file: String,
        at: Vec<usize>,
    },
    Zero {
        file: String,
        from: usize,
        len: usize,
    },
    Delete {
        file: String,
    },
    Empty {
        file: String,
    },
    Append {
        file: String,
        garbage: Vec<u8>,
    },
    Duplicate {
        file: String,
        from: usize,
        len: usize,
    },
    DuplicateRecord {
        file: String,
        record: usize,
    },
}

/// Offsets of the records of an r-nacos log segment (test-side walk, no preflight code).
fn rnacos_records(log: &[u8]) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut at = 4096;
    while at < log.len() && log[at] != 0 {
        let (mut len, mut shift, mut n) = (0usize, 0, 0);
        while let Some(&b) = log.get(at + n) {
            len |= usize::from(b & 0x7F) << shift;
            shift += 7;
            n += 1;
            if b & 0x80 == 0 || shift > 28 {
                break;
            }
        }
        let end = at + n + len;
        if end > log.len() {
            break;
        }
        out.push((at, end - at));
        at = end;
    }
    out
}

/// The file offsets worth hitting: file start, headers, and (for long mostly-zero logs)
/// the bytes that carry data, so mutations do not all land in zero padding.
fn interesting_len(name: &str, bytes: &[u8]) -> usize {
    if name.starts_with("log_") {
        rnacos_records(bytes)
            .last()
            .map_or(bytes.len(), |(o, l)| (o + l + 64).min(bytes.len()))
    } else {
        bytes.len()
    }
}

fn pick_offset(rng: &mut Rng, name: &str, bytes: &[u8]) -> usize {
    let n = interesting_len(name, bytes);
    match rng.below(4) {
        0 if name.starts_with("log_") => rng.below(64.min(n + 1)), // header / index area
        1 if name.starts_with("log_") && n > 4096 => 4096 + rng.below(n - 4096),
        _ => rng.below(n + 1),
    }
}

fn mutation(rng: &mut Rng, dir: &Dir) -> Mutation {
    let files: Vec<&(String, Vec<u8>)> = dir.files.iter().filter(|(n, _)| n != "db_lock").collect();
    let (name, bytes) = files[rng.below(files.len())];
    let file = name.clone();
    let len = bytes.len();
    match rng.below(10) {
        0 | 1 => Mutation::Truncate {
            at: pick_offset(rng, name, bytes).min(len.saturating_sub(1)),
            file,
        },
        2 | 3 => Mutation::Flip {
            at: pick_offset(rng, name, bytes).min(len.saturating_sub(1)),
            mask: 1 << rng.below(8) | (rng.next() as u8 & 0x81),
            file,
        },
        4 => Mutation::FlipMany {
            at: (0..1 + rng.below(6))
                .map(|_| pick_offset(rng, name, bytes).min(len.saturating_sub(1)))
                .collect(),
            file,
        },
        5 => {
            let from = pick_offset(rng, name, bytes).min(len.saturating_sub(1));
            Mutation::Zero {
                len: 1 + rng.below(200),
                from,
                file,
            }
        }
        6 => match rng.below(2) {
            0 => Mutation::Delete { file },
            _ => Mutation::Empty { file },
        },
        7 => Mutation::Append {
            garbage: (0..1 + rng.below(300)).map(|_| rng.next() as u8).collect(),
            file,
        },
        8 => {
            let from = pick_offset(rng, name, bytes).min(len.saturating_sub(1));
            Mutation::Duplicate {
                len: 1 + rng.below(120),
                from,
                file,
            }
        }
        _ => {
            let recs = if name.starts_with("log_") {
                rnacos_records(bytes).len()
            } else {
                0
            };
            if recs > 0 {
                Mutation::DuplicateRecord {
                    record: rng.below(recs),
                    file,
                }
            } else {
                Mutation::Duplicate {
                    from: rng.below(len.max(1)),
                    len: 1 + rng.below(40),
                    file,
                }
            }
        }
    }
}

/// Apply `m`; `false` when it changed nothing (e.g. zeroing bytes that are already zero).
fn apply(dir: &mut Dir, m: &Mutation) -> bool {
    let before = dir.clone();
    match m {
        Mutation::Truncate { file, at } => dir.get_mut(file).truncate(*at),
        Mutation::Flip { file, at, mask } => {
            if let Some(b) = dir.get_mut(file).get_mut(*at) {
                *b ^= mask.max(&1);
            }
        }
        Mutation::FlipMany { file, at } => {
            for a in at {
                if let Some(b) = dir.get_mut(file).get_mut(*a) {
                    *b ^= 0xA5;
                }
            }
        }
        Mutation::Zero { file, from, len } => {
            let f = dir.get_mut(file);
            let end = (from + len).min(f.len());
            f[(*from).min(end)..end].fill(0);
        }
        Mutation::Delete { file } => dir.remove(file),
        Mutation::Empty { file } => dir.get_mut(file).clear(),
        Mutation::Append { file, garbage } => dir.get_mut(file).extend_from_slice(garbage),
        Mutation::Duplicate { file, from, len } => {
            let f = dir.get_mut(file);
            let from = (*from).min(f.len());
            let end = (from + len).min(f.len());
            let chunk = f[from..end].to_vec();
            f.splice(end..end, chunk);
        }
        Mutation::DuplicateRecord { file, record } => {
            let f = dir.get_mut(file);
            let (o, l) = rnacos_records(f)[*record];
            let chunk = f[o..o + l].to_vec();
            f.splice(o + l..o + l, chunk);
        }
    }
    dir.files != before.files
}

struct Subject {
    name: &'static str,
    dir: Dir,
    /// Run preflight on a written dir against the target whose true verdict is not OK.
    judge: fn(&Path) -> nacos_chaos::Result<nacos_chaos::preflight::PreflightReport>,
    /// The true (unmutated) exit code against that target.
    true_code: i32,
    /// Against the membership it persists, the unmutated dir is OK.
    judge_ok: fn(&Path) -> nacos_chaos::Result<nacos_chaos::preflight::PreflightReport>,
}

fn subjects() -> Vec<Subject> {
    vec![
        Subject {
            name: "rnacos-46",
            dir: rnacos_46().0,
            judge: |p| run_rnacos(p, RN_NEW_TARGET),
            true_code: 3,
            judge_ok: |p| run_rnacos(p, RN_OLD_TARGET),
        },
        Subject {
            name: "rnacos-300-snapshot",
            dir: rnacos_300_snap().0,
            judge: |p| run_rnacos(p, RN_NEW_TARGET),
            true_code: 3,
            judge_ok: |p| run_rnacos(p, RN_OLD_TARGET),
        },
        Subject {
            name: "jraft-home",
            dir: jraft_home(),
            judge: |p| run_official(p, JR_NEW_TARGET),
            true_code: 3,
            judge_ok: |p| run_official(p, JR_OLD_TARGET),
        },
    ]
}

fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

fn fresh(root: &Path, dir: &Dir) {
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(root).unwrap();
    dir.write(root);
}

/// Bring the dir on disk from `from` to `to`, touching only the files that differ.
fn sync(root: &Path, from: &Dir, to: &Dir) {
    for (name, bytes) in &from.files {
        match to.files.iter().find(|(n, _)| n == name) {
            None => std::fs::remove_file(root.join(name)).unwrap(),
            Some((_, b)) if b != bytes => std::fs::write(root.join(name), b).unwrap(),
            Some(_) => {}
        }
    }
    for (name, bytes) in &to.files {
        if !from.files.iter().any(|(n, _)| n == name) {
            std::fs::write(root.join(name), bytes).unwrap();
        }
    }
}

#[test]
fn unmutated_dirs_give_their_true_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    for s in subjects() {
        let root = tmp.path().join(s.name);
        fresh(&root, &s.dir);
        let r = (s.judge)(&root).unwrap();
        assert_eq!(r.exit_code(), s.true_code, "{}: {r}", s.name);
        let ok = (s.judge_ok)(&root).unwrap();
        assert_eq!(ok.exit_code(), 0, "{}: {ok}", s.name);
    }
}

#[test]
fn mutated_dirs_never_panic_and_are_never_ok() {
    let cases: u64 = std::env::var("PREFLIGHT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let only = std::env::var("PREFLIGHT_FUZZ_ONLY").ok();
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let mut failures = vec![];
    let mut ran = 0;
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for s in subjects() {
        let root = tmp.path().join(s.name);
        fresh(&root, &s.dir);
        for case in 0..cases {
            if let Some(o) = &only
                && *o != format!("{}:{case}", s.name)
            {
                continue;
            }
            let seed = BASE_SEED ^ name_hash(s.name) ^ case;
            let mut rng = Rng(seed);
            let mut dir = s.dir.clone();
            let m = mutation(&mut rng, &dir);
            if !apply(&mut dir, &m) {
                continue;
            }
            sync(&root, &s.dir, &dir);
            ran += 1;
            let what = format!("{}:{case} (seed {seed:#x}) {m:?}", s.name);
            match catch_unwind(AssertUnwindSafe(|| (s.judge)(&root))) {
                Err(p) => {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("PANIC {what}: {msg}"));
                }
                Ok(Ok(r)) if r.exit_code() == 0 => {
                    failures.push(format!("OK    {what}:\n{r}"));
                }
                Ok(Ok(r)) => {
                    *tally.entry(r.worst().label().to_string()).or_default() += 1;
                    if only.is_some() {
                        eprintln!("{what}:\n{r}");
                    }
                }
                Ok(Err(e)) => {
                    *tally.entry("error".into()).or_default() += 1;
                    if only.is_some() {
                        eprintln!("{what}: error {e}");
                    }
                }
            }
            sync(&root, &dir, &s.dir);
        }
    }
    eprintln!(
        "{ran} mutated dirs judged in {:.1} s: {tally:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} mutated dirs panicked or came out OK (replay one with PREFLIGHT_FUZZ_ONLY=<dir>:<case>):\n{}",
        failures.len(),
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

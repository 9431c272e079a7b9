//! The rehearsal report: the planned upgrade's outcome, the fixes ranked by outcome (leader,
//! time to recover, baseline entries lost) with their evidence, and the honest limits —
//! as JSON, Markdown and HTML.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::addresses::AddressMap;
use super::baseline::{Lost, Snapshot};
use super::{Fix, Plan};
use crate::error::{Error, Result};
use crate::flavor::FlavorKind;

/// JSON report file name.
pub const JSON_FILE: &str = "rehearsal.json";
/// Markdown report file name.
pub const MD_FILE: &str = "rehearsal.md";
/// HTML report file name.
pub const HTML_FILE: &str = "rehearsal.html";

/// How a fix's rehearsal went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// It ran; see the measurements.
    Ran,
    /// The flavor has no such operation.
    NotAvailable(String),
    /// A step failed (the harness could not carry it out).
    Failed(String),
}

/// One fix's outcome on its own fresh copy.
#[derive(Debug, Clone, Serialize)]
pub struct FixOutcome {
    /// Fix name.
    pub fix: String,
    /// What it does.
    pub description: String,
    /// Ran / not available / failed.
    pub status: FixStatus,
    /// Agreed leader back, ms after the last restart began (None: no leader).
    pub leader_ms: Option<u64>,
    /// Nodes answering an instance list / nodes.
    pub registry: (usize, usize),
    /// Baseline entries gone or changed.
    pub lost: Vec<Lost>,
    /// Evidence lines, in order.
    pub evidence: Vec<String>,
    /// The copy's run id.
    pub run_id: String,
}

impl FixOutcome {
    pub(super) fn ran(
        fix: Fix,
        flavor: FlavorKind,
        leader_ms: Option<u64>,
        registry: (usize, usize),
        lost: Vec<Lost>,
        evidence: Vec<String>,
        run_id: String,
    ) -> Self {
        FixOutcome {
            fix: fix.name().into(),
            description: fix.describe(flavor).into(),
            status: FixStatus::Ran,
            leader_ms,
            registry,
            lost,
            evidence,
            run_id,
        }
    }
    pub(super) fn not_available(fix: Fix, flavor: FlavorKind, why: String, run_id: String) -> Self {
        FixOutcome {
            status: FixStatus::NotAvailable(why),
            ..Self::ran(fix, flavor, None, (0, 0), vec![], vec![], run_id)
        }
    }
    pub(super) fn failed(
        fix: Fix,
        flavor: FlavorKind,
        why: String,
        evidence: Vec<String>,
        run_id: String,
    ) -> Self {
        FixOutcome {
            status: FixStatus::Failed(why),
            ..Self::ran(fix, flavor, None, (0, 0), vec![], evidence, run_id)
        }
    }

    /// The same outcome under a suite fix's name and description.
    pub(super) fn renamed(mut self, name: &str, description: &str) -> Self {
        self.fix = name.into();
        self.description = description.into();
        self
    }

    /// Leader back, every node answering the registry, nothing lost.
    pub fn recovered_whole(&self) -> bool {
        self.status == FixStatus::Ran
            && self.leader_ms.is_some()
            && self.lost.is_empty()
            && self.registry.0 == self.registry.1
    }

    fn rank_key(&self) -> (u8, usize, u64, usize) {
        let tier = match (&self.status, self.leader_ms) {
            (FixStatus::Ran, Some(_)) => 0,
            (FixStatus::Ran, None) => 1,
            (FixStatus::Failed(_), _) => 2,
            (FixStatus::NotAvailable(_), _) => 3,
        };
        (
            tier,
            self.lost.len(),
            self.leader_ms.unwrap_or(u64::MAX),
            self.registry.1 - self.registry.0,
        )
    }

    fn verdict(&self) -> String {
        match &self.status {
            FixStatus::NotAvailable(w) => format!("not available: {w}"),
            FixStatus::Failed(w) => format!("could not be carried out: {w}"),
            FixStatus::Ran => format!(
                "{}; registry {}/{} nodes; {} baseline entr(ies) lost",
                match self.leader_ms {
                    Some(ms) => format!("leader back after {ms} ms"),
                    None => "no leader".into(),
                },
                self.registry.0,
                self.registry.1,
                self.lost.len()
            ),
        }
    }
}

/// The whole rehearsal.
#[derive(Debug, Clone, Serialize)]
pub struct RehearsalReport {
    /// Flavor.
    pub flavor: FlavorKind,
    /// From / to versions.
    pub from: String,
    /// To version.
    pub to: String,
    /// The backups, as given.
    pub backups: Vec<PathBuf>,
    /// Address mapping (of the first copy).
    pub addresses: AddressMap,
    /// The baseline read from the restored cluster before any change.
    pub baseline: Snapshot,
    /// Preflight on every node's copy, against the membership after the change.
    pub preflight: Vec<String>,
    /// The planned upgrade.
    pub planned: FixOutcome,
    /// The fixes, best first.
    pub fixes: Vec<FixOutcome>,
    /// What a rehearsal on a copy cannot reproduce.
    pub limits: Vec<String>,
    /// Whether the planned upgrade itself is safe (the exit code).
    pub safe: bool,
}

impl RehearsalReport {
    pub(super) fn new(
        plan: &Plan,
        addresses: AddressMap,
        baseline: Snapshot,
        preflight: Vec<String>,
        planned: FixOutcome,
        mut fixes: Vec<FixOutcome>,
    ) -> Self {
        fixes.sort_by_key(|f| f.rank_key());
        let mut limits = vec![
            "A rehearsal on a copy is evidence, not proof: it does not reproduce production's clients, their load, their retries, nor ephemeral instances (held in memory, not in the backup).".to_string(),
            "\"Leader\" means an agreed leader: every node that answers names the same one. A node left outside (e.g. moved to an address its peers do not know) counts against it even where the others still elect one among themselves.".to_string(),
            "The baseline is what the restored servers serve through their API; entries the server does not list (e.g. config history, beta/tag configs, users) are not compared.".to_string(),
        ];
        if !addresses.reproduced {
            limits.push("The production addresses could not be used on this machine: every node ran at a mapped address (see the mapping); the data still names the production ones, so the restored cluster starts as if its addresses had already changed.".into());
        }
        if plan.external_db {
            limits.push("Production keeps configs in an external database (MySQL): only the Raft groups were rehearsed; the database was neither copied nor compared.".into());
        }
        if plan.flavor == FlavorKind::Official {
            limits.push("Official Nacos: services are listed per group for DEFAULT_GROUP and the groups configs use; services in other groups are not in the baseline.".into());
        }
        let safe = planned.recovered_whole();
        RehearsalReport {
            flavor: plan.flavor,
            from: plan.from.clone(),
            to: plan.to.clone(),
            backups: plan.backups.clone(),
            addresses,
            baseline,
            preflight,
            planned,
            fixes,
            limits,
            safe,
        }
    }

    /// Process exit code: 0 when the planned upgrade is safe, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.safe { 0 } else { 1 }
    }

    /// The outcome of a fix by name.
    pub fn fix(&self, name: &str) -> Option<&FixOutcome> {
        self.fixes.iter().find(|f| f.fix == name)
    }

    /// Markdown.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let (ns, cf, sv, ins) = self.baseline.counts();
        o += &format!(
            "# Upgrade rehearsal: {} {} → {}\n\n**The planned upgrade is {}**: {}.\n\n",
            self.flavor,
            self.from,
            self.to,
            if self.safe { "SAFE" } else { "UNSAFE" },
            self.planned.verdict()
        );
        o += &format!(
            "Baseline (before any change): {ns} namespace(s), {cf} config(s), {sv} service(s), {ins} persistent instance(s).\n\n"
        );
        o += "## Fixes, best first\n\n| # | fix | leader | time to recover | registry | entries lost |\n|---|---|---|---|---|---|\n";
        for (i, f) in self.fixes.iter().enumerate() {
            o += &format!(
                "| {} | {} | {} | {} | {}/{} | {} |\n",
                i + 1,
                f.fix,
                match (&f.status, f.leader_ms) {
                    (FixStatus::Ran, Some(_)) => "yes".to_string(),
                    (FixStatus::Ran, None) => "no".to_string(),
                    (FixStatus::NotAvailable(_), _) => "n/a".to_string(),
                    (FixStatus::Failed(_), _) => "failed".to_string(),
                },
                f.leader_ms
                    .map(|m| format!("{m} ms"))
                    .unwrap_or_else(|| "-".into()),
                f.registry.0,
                f.registry.1,
                f.lost.len()
            );
        }
        o += "\n## Addresses\n\n";
        for l in self.addresses.lines() {
            o += &format!("- {l}\n");
        }
        o += &format!(
            "- {}\n\n## Preflight on every node's copy\n\n",
            if self.addresses.reproduced {
                "the run used the production addresses themselves"
            } else {
                "mapped: the production addresses were not available here"
            }
        );
        for l in &self.preflight {
            o += &format!("- {l}\n");
        }
        for f in std::iter::once(&self.planned).chain(&self.fixes) {
            o += &format!("\n## {} — {}\n\n{}\n\n", f.fix, f.verdict(), f.description);
            if !f.lost.is_empty() {
                o += "Baseline entries lost:\n\n";
                for l in &f.lost {
                    o += &format!("- {} ({})\n", l.entry, l.how);
                }
                o += "\n";
            }
            o += &format!("Evidence (run {}):\n\n", f.run_id);
            for e in &f.evidence {
                o += &format!("- {e}\n");
            }
        }
        o += "\n## Limits\n\n";
        for l in &self.limits {
            o += &format!("- {l}\n");
        }
        o
    }

    /// HTML (the Markdown's content, escaped, one page, no external assets).
    pub fn html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut body = String::new();
        for line in self.markdown().lines() {
            if let Some(h) = line.strip_prefix("# ") {
                body += &format!("<h1>{}</h1>\n", esc(h));
            } else if let Some(h) = line.strip_prefix("## ") {
                body += &format!("<h2>{}</h2>\n", esc(h));
            } else if line.starts_with('|') {
                if line.starts_with("|---") {
                    continue;
                }
                let cells: Vec<String> = line
                    .trim_matches('|')
                    .split('|')
                    .map(|c| format!("<td>{}</td>", esc(c.trim())))
                    .collect();
                body += &format!("<tr>{}</tr>\n", cells.join(""));
            } else if let Some(li) = line.strip_prefix("- ") {
                body += &format!("<li>{}</li>\n", esc(li));
            } else if !line.trim().is_empty() {
                body += &format!("<p>{}</p>\n", esc(&line.replace("**", "")));
            }
        }
        let body = body.replacen("<tr>", "<table><tr>", 1).replacen(
            "\n<h2>Addresses",
            "</table>\n<h2>Addresses",
            1,
        );
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>nacos-chaos rehearsal</title>\
             <style>body{{font-family:sans-serif;max-width:70em;margin:auto}}td{{border:1px solid #ccc;padding:2px 6px}}</style>\
             </head><body>\n{body}</body></html>\n"
        )
    }

    /// Write `rehearsal.json`, `rehearsal.md` and `rehearsal.html` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Config(format!("serialise rehearsal report: {e}")))?;
        let mut out = vec![];
        for (name, text) in [
            (JSON_FILE, json),
            (MD_FILE, self.markdown()),
            (HTML_FILE, self.html()),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| Error::io("write", &p, e))?;
            out.push(p);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost(n: usize) -> Vec<Lost> {
        (0..n)
            .map(|i| Lost {
                entry: format!("config public/G/{i}"),
                how: "gone".into(),
            })
            .collect()
    }

    #[test]
    fn fixes_rank_by_leader_then_losses_then_time() {
        let f = FlavorKind::RNacos;
        let mut v = [
            FixOutcome::not_available(Fix::RaftReset, f, "none".into(), "r1".into()),
            FixOutcome::ran(Fix::Rolling, f, None, (3, 3), vec![], vec![], "r2".into()),
            FixOutcome::ran(
                Fix::DeleteRaftDir,
                f,
                Some(100),
                (3, 3),
                lost(4),
                vec![],
                "r3".into(),
            ),
            FixOutcome::ran(
                Fix::Rollback,
                f,
                Some(9000),
                (3, 3),
                vec![],
                vec![],
                "r4".into(),
            ),
            FixOutcome::ran(
                Fix::KeepOldAddresses,
                f,
                Some(5000),
                (3, 3),
                vec![],
                vec![],
                "r5".into(),
            ),
            FixOutcome::failed(Fix::Planned, f, "boom".into(), vec![], "r6".into()),
        ];
        v.sort_by_key(|o| o.rank_key());
        let names: Vec<&str> = v.iter().map(|o| o.fix.as_str()).collect();
        assert_eq!(
            names,
            [
                "keep-old-addresses",
                "rollback",
                "delete-raft-dir",
                "rolling",
                "planned",
                "raft-reset"
            ]
        );
        assert!(v[0].recovered_whole() && !v[2].recovered_whole());
    }
}

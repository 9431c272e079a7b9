//! Human text rendering of preflight reports (`Display`).
//!
//! ```
//! use nacos_chaos::preflight::report::GroupReport;
//! use nacos_chaos::preflight::Verdict;
//! let g = GroupReport::new("nacos_config", "/d".into(), Verdict::Ok);
//! assert!(g.to_string().contains("[OK] nacos_config"));
//! ```

use std::fmt;

use super::report::{
    ConfSource, Confidence, GroupReport, LogStatus, PersistedConf, PreflightReport,
};
use super::verdict::Verdict;

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

fn source_name(c: &PersistedConf) -> &'static str {
    match c.source {
        ConfSource::Snapshot => "snapshot meta",
        ConfSource::Log => "log conf entry",
        ConfSource::RnacosIndex => "index",
        ConfSource::RnacosSnapshot => "snapshot header",
    }
}

fn write_conf(f: &mut fmt::Formatter<'_>, c: &PersistedConf) -> fmt::Result {
    let name = source_name(c);
    write!(
        f,
        "    {name}: index {} term {} peers [{}]",
        c.index,
        c.term,
        list(&c.peers)
    )?;
    if !c.old_peers.is_empty() {
        write!(f, " old_peers [{}] (joint)", list(&c.old_peers))?;
    }
    if !c.learners.is_empty() || !c.old_learners.is_empty() {
        write!(
            f,
            " learners [{}] old_learners [{}]",
            list(&c.learners),
            list(&c.old_learners)
        )?;
    }
    writeln!(f)
}

impl fmt::Display for GroupReport {
    // Over 80 lines: one report section after another, in the order an operator reads them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  [{}] {}  ({})",
            self.verdict.label(),
            self.group,
            self.path.display()
        )?;
        if !self.present {
            writeln!(
                f,
                "    no persisted state: the node starts from the target membership"
            )?;
        }
        if let Some(t) = self.term {
            let vote = self.voted_for.as_deref().unwrap_or("?");
            writeln!(f, "    term {t}, votedFor {vote}")?;
        }
        if let Some(c) = &self.snapshot {
            write_conf(f, c)?;
        }
        if let Some(c) = &self.log_conf {
            write_conf(f, c)?;
        }
        if let Some(c) = &self.effective {
            writeln!(
                f,
                "    effective: the {} at index {}",
                source_name(c),
                c.index
            )?;
        }
        match &self.log {
            LogStatus::Absent => {}
            LogStatus::Read {
                conf_entries,
                first_log_index,
            } => writeln!(
                f,
                "    log read: {conf_entries} configuration entr(y/ies), first_log_index {}",
                first_log_index.map_or("-".into(), |i| i.to_string())
            )?,
            LogStatus::NotRead { reason } => writeln!(f, "    log NOT read: {reason}")?,
        }
        if let Confidence::Low { reason } = &self.confidence {
            writeln!(f, "    confidence: LOW ({reason})")?;
        }
        match &self.verdict {
            Verdict::Ok => {}
            Verdict::StalePeers { stale, missing } => {
                writeln!(f, "    stale (persisted, not in target): {}", list(stale))?;
                writeln!(f, "    missing (target, not persisted): {}", list(missing))?;
            }
            Verdict::SelfNotInConf {
                self_peer,
                stale,
                missing,
            } => {
                writeln!(
                    f,
                    "    this node ({self_peer}) is not in the persisted conf: it will never campaign"
                )?;
                writeln!(f, "    stale: {}; missing: {}", list(stale), list(missing))?;
            }
            Verdict::QuorumImpossible {
                stale,
                missing,
                present,
                quorum,
            } => {
                writeln!(
                    f,
                    "    only {present} persisted peer(s) remain, a leader needs {quorum}"
                )?;
                writeln!(f, "    stale: {}; missing: {}", list(stale), list(missing))?;
            }
            Verdict::Unreadable { detail } => writeln!(f, "    {detail}")?,
            Verdict::Corrupt {
                file,
                offset: Some(o),
                detail,
            } => writeln!(f, "    {file} at byte {o}: {detail}")?,
            Verdict::Corrupt {
                file,
                offset: None,
                detail,
            } => writeln!(f, "    {file}: {detail}")?,
        }
        for n in &self.notes {
            writeln!(f, "    note: {n}")?;
        }
        for r in &self.remedies {
            let leader = if r.needs_leader {
                "needs a leader"
            } else {
                "works without a leader"
            };
            writeln!(f, "    way out: {} ({leader}; {})", r.action, r.scope)?;
            writeln!(f, "      how:  {}", r.how)?;
            writeln!(f, "      risk: {}", r.risk)?;
            if let Some(loss) = &r.data_loss {
                writeln!(f, "      loses: {loss}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for PreflightReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let worst = self.worst();
        writeln!(
            f,
            "nacos-chaos preflight ({}) of {}",
            self.flavor,
            self.data_dir.display()
        )?;
        writeln!(f, "  target peers: {}", list(&self.target))?;
        if let Some(s) = &self.self_peer {
            writeln!(f, "  this node:    {s}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        for g in &self.groups {
            write!(f, "{g}")?;
        }
        writeln!(
            f,
            "overall: {} (exit code {})",
            worst.label(),
            worst.exit_code()
        )
    }
}

//! Preflight: read a node's persisted Raft state offline and say, per group, whether it will
//! elect a leader in the target cluster — and if not, the ways out and what they cost.
//!
//! Official Nacos keeps one JRaft group per directory under `data/protocol/raft/`; after the
//! first election every group boots from its *persisted* configuration and ignores
//! cluster.conf, which is how an IP change ends in "No leader for raft group". r-nacos keeps
//! one Raft store in its data dir. See [`jraft`] and [`rnacos`] for exactly what is decoded.
//!
//! Exit codes ([`PreflightReport::exit_code`]): 0 ok, 1 stale peers, 2 self not in conf,
//! 3 quorum impossible, 4 unreadable or corrupt data. CLI errors (bad flags, a missing data
//! dir) exit 64, a code no verdict uses (README: Exit codes).
//!
//! Damaged state is never safe: a file that is short, cut mid-record, undecodable, or that
//! contradicts the files beside it is [`Verdict::Corrupt`] naming the file and byte offset
//! ([`damage`], [`rnacos_dir`], [`jraft_dir`]). Only a dir that persisted nothing at all is a
//! new member. `tests/preflight_fuzz.rs` mutates whole dirs to hold the readers to that.
//!
//! Cargo feature `rocksdb-log` (off by default; compiles RocksDB C++ and needs libclang for
//! bindgen) lets the official reader open each group's RocksDB `log/` read-only and use its
//! CONFIGURATION entries. Without it, a group whose `log/` holds data is reported with
//! [`LogStatus::NotRead`] and [`Confidence::Low`], judged on its snapshot meta alone (or
//! [`Verdict::Unreadable`] if it has no snapshot).
//!
//! Tests: `tests/preflight_fixtures.rs` builds every fixture byte by byte; its
//! `real_rnacos_data_dir` test reads a real r-nacos data dir only when
//! `NACOS_CHAOS_RNACOS_DATA` is set, and otherwise prints `SKIP:` and passes.
//!
//! ```
//! use nacos_chaos::preflight::{preflight, PreflightOptions};
//! use nacos_chaos::flavor::FlavorKind;
//! let home = tempfile::tempdir().unwrap();
//! std::fs::create_dir_all(home.path().join("data/protocol/raft/naming_service_metadata")).unwrap();
//! let opts = PreflightOptions::new(home.path(), FlavorKind::Official, "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848")
//!     .unwrap()
//!     .with_self("10.0.0.1:8848")
//!     .unwrap();
//! let report = preflight(&opts).unwrap();
//! assert_eq!(report.exit_code(), 0); // an empty group boots from cluster.conf
//! println!("{report}");
//! ```

pub mod damage;
pub mod jraft;
pub mod jraft_dir;
#[cfg(feature = "rocksdb-log")]
pub mod jraft_log;
pub mod members;
pub mod proto;
pub mod remedy;
pub mod report;
pub mod rnacos;
pub mod rnacos_dir;
pub mod rnacos_log;
mod text;
pub mod verdict;

use std::path::{Path, PathBuf};

pub use members::{Member, parse_members};
pub use report::{Confidence, GroupReport, LogStatus, PersistedConf, PreflightReport, Remedy};
pub use verdict::Verdict;

use crate::error::{Error, Result};
use crate::record::FlavorKind;

/// What to inspect and what to compare it with.
///
/// ```
/// use nacos_chaos::preflight::PreflightOptions;
/// use nacos_chaos::flavor::FlavorKind;
/// let o = PreflightOptions::new("/data", FlavorKind::RNacos, "1=10.0.0.1:9848,2=10.0.0.2:9848").unwrap();
/// assert_eq!(o.target.len(), 2);
/// assert!(PreflightOptions::new("/d", FlavorKind::Official, "# empty\n").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightOptions {
    /// Official: the Nacos home, its `data` dir, `data/protocol/raft`, or one group dir.
    /// r-nacos: `RNACOS_DATA_DIR` (the dir holding `index`) or its parent.
    pub data_dir: PathBuf,
    /// Target members as the servers will be told them (cluster.conf HTTP addresses for
    /// official; `id=ip:grpc_port` or `ip:grpc_port` for r-nacos).
    pub target: Vec<Member>,
    /// This node's own target address (official: `host:http_port`, raft port derived).
    pub self_addr: Option<Member>,
    /// Server flavor.
    pub flavor: FlavorKind,
    /// Official only: groups expected to exist (reported even when their dir is missing);
    /// empty = only the groups found on disk.
    pub groups: Vec<String>,
}

impl PreflightOptions {
    /// Options from a data dir, flavor and target text (cluster.conf content or comma list).
    ///
    /// ```
    /// use nacos_chaos::preflight::PreflightOptions;
    /// use nacos_chaos::flavor::FlavorKind;
    /// let o = PreflightOptions::new("/x", FlavorKind::Official, "a:8848\nb:8848\n").unwrap();
    /// assert!(o.self_addr.is_none() && o.groups.is_empty());
    /// ```
    pub fn new(data_dir: impl Into<PathBuf>, flavor: FlavorKind, target: &str) -> Result<Self> {
        Ok(PreflightOptions {
            data_dir: data_dir.into(),
            target: parse_members(target)?,
            self_addr: None,
            flavor,
            groups: vec![],
        })
    }

    /// Set this node's own address.
    ///
    /// ```
    /// use nacos_chaos::preflight::PreflightOptions;
    /// use nacos_chaos::flavor::FlavorKind;
    /// let o = PreflightOptions::new("/x", FlavorKind::Official, "a:8848").unwrap().with_self("a:8848").unwrap();
    /// assert_eq!(o.self_addr.unwrap().official_peer().unwrap(), "a:7848");
    /// ```
    pub fn with_self(mut self, addr: &str) -> Result<Self> {
        self.self_addr = Some(Member::parse(addr)?);
        Ok(self)
    }

    /// Set the groups that must be reported (official).
    ///
    /// ```
    /// use nacos_chaos::preflight::PreflightOptions;
    /// use nacos_chaos::flavor::FlavorKind;
    /// let o = PreflightOptions::new("/x", FlavorKind::Official, "a").unwrap().with_groups(&["nacos_config"]);
    /// assert_eq!(o.groups, ["nacos_config"]);
    /// ```
    pub fn with_groups(mut self, groups: &[&str]) -> Self {
        self.groups = groups.iter().map(|g| g.to_string()).collect();
        self
    }
}

/// Read and judge the persisted Raft state described by `opts`. Errors only when the data
/// dir cannot be found or listed, or the target is invalid; unreadable group files become
/// [`Verdict::Unreadable`], damaged or inconsistent ones [`Verdict::Corrupt`], in that group's
/// report.
///
/// ```
/// use nacos_chaos::preflight::{preflight, PreflightOptions};
/// use nacos_chaos::flavor::FlavorKind;
/// let d = tempfile::tempdir().unwrap();
/// let opts = PreflightOptions::new(d.path(), FlavorKind::Official, "a:8848").unwrap();
/// assert!(preflight(&opts).unwrap_err().to_string().contains("protocol/raft"));
/// ```
pub fn preflight(opts: &PreflightOptions) -> Result<PreflightReport> {
    match opts.flavor {
        FlavorKind::Official => official(opts),
        FlavorKind::RNacos => {
            let dir = rnacos::locate(&opts.data_dir)?;
            let target: Vec<String> = opts.target.iter().map(rnacos::target_label).collect();
            let group = rnacos::read_and_judge(&dir, &opts.target, opts.self_addr.as_ref());
            Ok(PreflightReport {
                flavor: opts.flavor,
                data_dir: dir,
                target,
                self_peer: opts.self_addr.as_ref().map(rnacos::target_label),
                groups: vec![group],
                notes: vec![],
            })
        }
    }
}

fn is_group_dir(p: &Path) -> bool {
    ["meta-data", "log", "snapshot"]
        .iter()
        .any(|s| p.join(s).is_dir())
}

/// Find `data/protocol/raft` from a Nacos home, data dir, the raft dir itself, or one group
/// dir (returned as `(raft dir, Some(group))`).
///
/// ```
/// use nacos_chaos::preflight::locate_raft_dir;
/// let d = tempfile::tempdir().unwrap();
/// std::fs::create_dir_all(d.path().join("data/protocol/raft")).unwrap();
/// assert!(locate_raft_dir(d.path()).unwrap().0.ends_with("protocol/raft"));
/// ```
pub fn locate_raft_dir(dir: &Path) -> Result<(PathBuf, Option<String>)> {
    for c in [dir.join("data/protocol/raft"), dir.join("protocol/raft")] {
        if c.is_dir() {
            return Ok((c, None));
        }
    }
    if is_group_dir(dir) {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = dir.parent().unwrap_or(dir).to_path_buf();
        return Ok((parent, Some(name)));
    }
    if dir.is_dir() && dir.ends_with("protocol/raft") {
        return Ok((dir.to_path_buf(), None));
    }
    Err(Error::RaftData {
        path: dir.to_path_buf(),
        detail: "no data/protocol/raft (nor protocol/raft, nor a group dir with meta-data/log/snapshot) here; \
                 point at the Nacos home or its data dir"
            .into(),
    })
}

fn official(opts: &PreflightOptions) -> Result<PreflightReport> {
    let (raft_dir, only) = locate_raft_dir(&opts.data_dir)?;
    let target = opts
        .target
        .iter()
        .map(Member::official_peer)
        .collect::<Result<Vec<_>>>()?;
    let self_peer = opts
        .self_addr
        .as_ref()
        .map(Member::official_peer)
        .transpose()?;
    let mut names: Vec<String> = match only {
        Some(g) => vec![g],
        None => {
            let rd = std::fs::read_dir(&raft_dir).map_err(|e| Error::io("list", &raft_dir, e))?;
            let mut v = Vec::new();
            for e in rd {
                let e = e.map_err(|e| Error::io("list", &raft_dir, e))?;
                if e.path().is_dir() {
                    v.push(e.file_name().to_string_lossy().into_owned());
                }
            }
            v
        }
    };
    for g in &opts.groups {
        if !names.contains(g) {
            names.push(g.clone());
        }
    }
    names.sort();
    let groups = names
        .iter()
        .map(|name| judge_official_group(name, &raft_dir.join(name), &target, self_peer.as_deref()))
        .collect();
    Ok(PreflightReport {
        flavor: FlavorKind::Official,
        data_dir: raft_dir,
        target,
        self_peer,
        groups,
        notes: vec![],
    })
}

/// Read one official group directory and judge it against target peers (`host:raft_port`).
///
/// ```
/// use nacos_chaos::preflight::judge_official_group;
/// let d = tempfile::tempdir().unwrap();
/// let g = judge_official_group("g", &d.path().join("missing"), &["a:7848".into()], None);
/// assert!(!g.present && g.verdict.exit_code() == 0);
/// ```
pub fn judge_official_group(
    name: &str,
    dir: &Path,
    target: &[String],
    self_peer: Option<&str>,
) -> GroupReport {
    let mut g = GroupReport::new(name, dir.to_path_buf(), Verdict::Ok);
    if !dir.is_dir() {
        g.notes
            .push("group directory does not exist: JRaft will boot it from cluster.conf".into());
        return g;
    }
    match jraft::read_group(dir) {
        Ok(st) => judge_state(g, st, target, self_peer),
        Err(e) => {
            g.present = true;
            g.verdict = e.into();
            g
        }
    }
}

/// Judge an already-read group state (pure: no I/O), so log configurations obtained any way
/// can be combined with the snapshot.
///
/// ```
/// use nacos_chaos::preflight::{judge_state, GroupReport, Verdict, LogStatus};
/// use nacos_chaos::preflight::jraft::GroupState;
/// use nacos_chaos::preflight::report::{ConfSource, PersistedConf};
/// let mut c = PersistedConf::new(ConfSource::Log, 5, 1);
/// c.peers = vec!["a:7848".into()];
/// let st = GroupState { stable: None, snapshot: None, log_confs: vec![c], first_log_index: None,
///     log: LogStatus::Read { conf_entries: 1, first_log_index: None }, notes: vec![] };
/// let g = judge_state(GroupReport::new("g", "/g".into(), Verdict::Ok), st, &["b:7848".into()], None);
/// assert_eq!(g.verdict.exit_code(), 3);
/// ```
pub fn judge_state(
    mut g: GroupReport,
    st: jraft::GroupState,
    target: &[String],
    self_peer: Option<&str>,
) -> GroupReport {
    g.present = st.stable.is_some() || st.snapshot.is_some() || st.log != LogStatus::Absent;
    if let Some(m) = &st.stable {
        g.term = Some(m.term);
        g.voted_for = Some(m.voted_for.clone());
    }
    g.notes.extend(st.notes);
    let effective = jraft::newest_conf(st.snapshot.as_ref(), &st.log_confs, st.first_log_index);
    g.log_conf = jraft::newest_conf(None, &st.log_confs, st.first_log_index);
    g.snapshot = st.snapshot;
    g.log = st.log;
    if let LogStatus::NotRead { reason } = &g.log {
        g.confidence = Confidence::Low {
            reason: format!("the log may hold a newer configuration than the snapshot: {reason}"),
        };
    }
    let Some(conf) = effective else {
        if let LogStatus::NotRead { reason } = &g.log {
            g.verdict = Verdict::Unreadable {
                detail: format!(
                    "no snapshot, and the membership lives only in the log, which was not read: {reason}"
                ),
            };
        } else {
            g.notes.push(
                "no persisted configuration: JRaft boots this group from cluster.conf".into(),
            );
        }
        return g;
    };
    g.verdict = verdict::judge_joint(&conf.peers, &conf.old_peers, target, self_peer);
    g.remedies = remedy::remedies(FlavorKind::Official, &g.group, &g.verdict, target);
    g.effective = Some(conf);
    g
}

//! Flavors: everything one kind of Nacos server knows — env, ports, identity, data layout,
//! log files, and how to read its Raft state. The rest of the harness talks to servers only
//! through [`Flavor`].
//!
//! ```
//! use nacos_chaos::flavor::{self, FlavorKind};
//! let f = flavor::for_kind(FlavorKind::RNacos);
//! assert_eq!(f.http_port(), 8848);
//! ```

pub mod naming;
pub mod official;
pub mod rnacos;

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::error::Result;
pub use crate::record::{FlavorKind, GroupView, Role, UpgradeState};

/// How nodes name each other: by IP address or by stable hostname.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityMode {
    /// Peers are addressed by container IP (the Nacos default, `PREFER_HOST_MODE=ip`).
    #[default]
    Ip,
    /// Peers are addressed by hostname; IPs may change underneath.
    Hostname,
}

/// How the servers run: as a cluster, or as one standalone server (official Nacos
/// `MODE=standalone`).
///
/// ```
/// use nacos_chaos::flavor::ClusterMode;
/// let m: ClusterMode = serde_json::from_str("\"standalone\"").unwrap();
/// assert_eq!(m, ClusterMode::Standalone);
/// assert_eq!(ClusterMode::default(), ClusterMode::Cluster);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterMode {
    /// Every node is told the whole membership (the default).
    #[default]
    Cluster,
    /// One node, no membership (official flavor only).
    Standalone,
}

/// One node's identity on the run's network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeIdentity {
    /// 1-based index, also the r-nacos node id.
    pub index: usize,
    /// Stable hostname / network alias, e.g. `n1`.
    pub hostname: String,
    /// Current IPv4 address on the run network.
    pub ip: Ipv4Addr,
}

impl NodeIdentity {
    /// The address other servers should use for this node in the given mode.
    pub fn address(&self, mode: IdentityMode) -> String {
        match mode {
            IdentityMode::Ip => self.ip.to_string(),
            IdentityMode::Hostname => self.hostname.clone(),
        }
    }
}

/// The membership a server is told at start (cluster.conf / NACOS_SERVERS / join address).
/// It may deliberately differ from reality (stale membership after an IP change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Identity mode.
    pub mode: IdentityMode,
    /// The members as the servers are told them.
    pub members: Vec<NodeIdentity>,
    /// How each node names itself and is listed (empty: by the identity mode).
    #[serde(default)]
    pub naming: naming::Naming,
}

impl Membership {
    /// The address `node` announces as its own (see [`naming`]).
    ///
    /// ```
    /// use nacos_chaos::flavor::{IdentityMode, Membership, NodeIdentity};
    /// let n = NodeIdentity { index: 1, hostname: "n1".into(), ip: [10, 0, 0, 11].into() };
    /// let m = Membership { mode: IdentityMode::Hostname, members: vec![n.clone()], naming: Default::default() };
    /// assert_eq!((m.self_name(&n), m.listed_name(&n)), ("n1".to_string(), "n1".to_string()));
    /// ```
    pub fn self_name(&self, node: &NodeIdentity) -> String {
        self.naming.self_name(node, self.mode)
    }

    /// The address `node`'s peers list it under (see [`naming`]).
    pub fn listed_name(&self, node: &NodeIdentity) -> String {
        self.naming.listed_name(node, self.mode)
    }
}

/// Everything a flavor needs to render one node's container.
#[derive(Debug, Clone)]
pub struct RenderCtx<'a> {
    /// The node being rendered (its real, current identity).
    pub node: &'a NodeIdentity,
    /// The membership the server is told.
    pub membership: &'a Membership,
    /// Server version, e.g. `2.4.1` or `0.8.8`.
    pub version: &'a str,
    /// For flavors that join a running cluster: the peer to join (None = bootstrap/none).
    pub join: Option<&'a NodeIdentity>,
    /// Extra server tuning (e.g. raft election timeout), flavor-interpreted.
    pub tuning: &'a [(String, String)],
}

/// A rendered container: what Docker must run for one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerSpec {
    /// Image reference.
    pub image: String,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Command override (None = image default).
    pub cmd: Option<Vec<String>>,
    /// Container ports to publish on 127.0.0.1.
    pub ports: Vec<u16>,
    /// Directory in the container holding persistent data (mounted from the node's volume).
    pub data_path: String,
    /// Files written into the container before start: (absolute path, content).
    pub files: Vec<(String, String)>,
    /// Memory limit in bytes, if the flavor needs one.
    pub memory_bytes: Option<i64>,
}

/// A raw HTTP answer handed to a flavor's parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// Request path (with query).
    pub path: String,
    /// HTTP status (0 = transport failure).
    pub status: u16,
    /// Body text (or transport error text).
    pub body: String,
}

/// Where a server writes a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LogSource {
    /// The container's stdout/stderr.
    Console,
    /// A file inside the container.
    File(String),
}

/// Where a known failure text is looked for.
///
/// ```
/// use nacos_chaos::flavor::SignatureSource;
/// let s: SignatureSource = serde_json::from_str("\"log\"").unwrap();
/// assert_eq!(s, SignatureSource::Log);
/// assert!(SignatureSource::Any.covers_api() && !SignatureSource::Log.covers_api());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureSource {
    /// Error bodies of the workload's API answers and collected node logs.
    #[default]
    Any,
    /// Only error bodies of the workload's API answers.
    Api,
    /// Only collected node logs.
    Log,
}

impl SignatureSource {
    /// Looked for in API error bodies.
    pub fn covers_api(self) -> bool {
        matches!(self, SignatureSource::Any | SignatureSource::Api)
    }
    /// Looked for in node logs.
    pub fn covers_logs(self) -> bool {
        matches!(self, SignatureSource::Any | SignatureSource::Log)
    }
}

/// How a signature matches one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignaturePattern {
    /// Exact, case-sensitive substring.
    Text(Cow<'static, str>),
    /// Regular expression (`regex` crate syntax), searched anywhere in the line.
    Regex(Cow<'static, str>),
}

/// A known failure text and what it means.
///
/// A transient signature also appears in healthy runs while a node restarts or an election
/// runs (a peer's channel cannot be opened, a restarted node has not yet seen a leader): the
/// signatures check counts its matches only outside every fault window plus a settle margin.
///
/// ```
/// use nacos_chaos::flavor::{Signature, SignatureSource};
/// let s = Signature::text("peer-down", "channel init failed", "peer unreachable")
///     .transient()
///     .only(SignatureSource::Log);
/// assert!(s.transient && s.source == SignatureSource::Log);
/// assert_eq!(s.pattern_text(), "channel init failed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Short id, e.g. `no-leader-group` (a suite entry's `name`).
    pub id: Cow<'static, str>,
    /// What to match.
    pub pattern: SignaturePattern,
    /// What it means for an operator.
    pub meaning: Cow<'static, str>,
    /// Where to look for it.
    pub source: SignatureSource,
    /// Also seen in healthy runs around restarts and elections (see the type's docs).
    pub transient: bool,
}

impl Signature {
    /// A substring signature, looked for everywhere, not transient.
    pub const fn text(id: &'static str, text: &'static str, meaning: &'static str) -> Self {
        Signature {
            id: Cow::Borrowed(id),
            pattern: SignaturePattern::Text(Cow::Borrowed(text)),
            meaning: Cow::Borrowed(meaning),
            source: SignatureSource::Any,
            transient: false,
        }
    }

    /// A regular-expression signature, looked for everywhere, not transient.
    pub const fn regex(id: &'static str, pattern: &'static str, meaning: &'static str) -> Self {
        Signature {
            id: Cow::Borrowed(id),
            pattern: SignaturePattern::Regex(Cow::Borrowed(pattern)),
            meaning: Cow::Borrowed(meaning),
            source: SignatureSource::Any,
            transient: false,
        }
    }

    /// The same signature, marked transient.
    pub fn transient(mut self) -> Self {
        self.transient = true;
        self
    }

    /// The same signature, looked for only in `source`.
    pub fn only(mut self, source: SignatureSource) -> Self {
        self.source = source;
        self
    }

    /// The text or expression, as written.
    pub fn pattern_text(&self) -> &str {
        match &self.pattern {
            SignaturePattern::Text(t) | SignaturePattern::Regex(t) => t,
        }
    }

    /// Compile into a matcher; an expression that does not compile is an error naming it.
    ///
    /// ```
    /// use nacos_chaos::flavor::Signature;
    /// let m = Signature::regex("x", r"ignore \S+ as it is not in conf", "m").matcher().unwrap();
    /// assert_eq!(m.find("ignore a:1 as it is not in conf <>"), Some((0, 31)));
    /// assert!(Signature::regex("bad", "(", "m").matcher().is_err());
    /// ```
    pub fn matcher(&self) -> std::result::Result<SignatureMatcher, String> {
        match &self.pattern {
            SignaturePattern::Text(t) => Ok(SignatureMatcher::Text(t.to_string())),
            SignaturePattern::Regex(r) => regex::Regex::new(r)
                .map(SignatureMatcher::Regex)
                .map_err(|e| format!("signature '{}': pattern {r:?} is not a regex: {e}", self.id)),
        }
    }
}

/// A compiled [`Signature`] pattern.
#[derive(Debug, Clone)]
pub enum SignatureMatcher {
    /// Substring.
    Text(String),
    /// Expression.
    Regex(regex::Regex),
}

impl SignatureMatcher {
    /// Byte range of the first match in `line` (an empty text never matches).
    pub fn find(&self, line: &str) -> Option<(usize, usize)> {
        match self {
            SignatureMatcher::Text(t) if t.is_empty() => None,
            SignatureMatcher::Text(t) => line.find(t.as_str()).map(|at| (at, at + t.len())),
            SignatureMatcher::Regex(r) => r
                .find(line)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end())),
        }
    }
}

/// A suite's own known failure text (`[[signatures]]` in a suite file), added to the
/// flavor's catalogue for that suite's runs.
///
/// ```
/// use nacos_chaos::flavor::{SignatureSource, SuiteSignature};
/// let s: SuiteSignature = toml::from_str(r#"
/// name = "jraft-snapshot-failed"
/// pattern = "Fail to (save|load) snapshot"
/// source = "log"
/// "#).unwrap();
/// assert!(s.validate().is_ok());
/// let sig = s.to_signature();
/// assert_eq!((sig.id.as_ref(), sig.source, sig.transient), ("jraft-snapshot-failed", SignatureSource::Log, false));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteSignature {
    /// Id in the verdict (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// Regular expression (`regex` crate syntax) searched in each line.
    pub pattern: String,
    /// `api` (error bodies of the workload's answers) or `log` (collected node logs).
    pub source: SignatureSource,
    /// What a match means, shown with the evidence.
    #[serde(default)]
    pub meaning: String,
    /// Count matches only outside fault windows plus the settle margin.
    #[serde(default)]
    pub transient: bool,
}

impl SuiteSignature {
    /// Name well formed, pattern compiles and matches something, source `api` or `log`.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !name_ok {
            return Err(format!(
                "signature name '{}': use letters, digits, '-', '_' or '.'",
                self.name
            ));
        }
        if self.source == SignatureSource::Any {
            return Err(format!(
                "signature '{}': source must be \"api\" or \"log\"",
                self.name
            ));
        }
        let re = regex::Regex::new(&self.pattern).map_err(|e| {
            format!(
                "signature '{}': pattern {:?} is not a regex: {e}",
                self.name, self.pattern
            )
        })?;
        if re.is_match("") {
            return Err(format!(
                "signature '{}': pattern {:?} matches the empty line, so it would match every line",
                self.name, self.pattern
            ));
        }
        Ok(())
    }

    /// The catalogue entry.
    pub fn to_signature(&self) -> Signature {
        let meaning = if self.meaning.trim().is_empty() {
            format!("suite signature '{}' matched", self.name)
        } else {
            self.meaning.clone()
        };
        Signature {
            id: Cow::Owned(self.name.clone()),
            pattern: SignaturePattern::Regex(Cow::Owned(self.pattern.clone())),
            meaning: Cow::Owned(meaning),
            source: self.source,
            transient: self.transient,
        }
    }
}

/// What a flavor can and cannot do, so a scenario that needs more fails with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Config writes go through Raft.
    pub raft_config: bool,
    /// Persistent instances go through Raft.
    pub raft_naming: bool,
    /// Hostname identity mode supported.
    pub hostname_mode: bool,
    /// Caveat for clock skew (libfaketime preloaded; needs a dynamically linked server and the
    /// lib in the image — the fault checks the image at apply time). None: no caveat.
    pub clock_skew: Option<&'static str>,
    /// Server answers gRPC (for the SDK probe).
    pub grpc: bool,
    /// Nodes after the first join a running node (r-nacos), rather than all being given the
    /// whole membership at start (official Nacos). A joining cluster is brought up node by
    /// node, and a lost join is retried by starting the whole cluster over.
    pub joins: bool,
}

/// HTTP paths of the open API a workload uses, per flavor and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiPaths {
    /// Register / deregister instance (POST / DELETE).
    pub instance: String,
    /// List instances (GET).
    pub instance_list: String,
    /// Publish / get config (POST / GET).
    pub config: String,
    /// Readiness (GET; 200 = ready).
    pub readiness: String,
}

/// Server-specific knowledge behind one interface.
pub trait Flavor: Send + Sync + fmt::Debug {
    /// Which flavor this is.
    fn kind(&self) -> FlavorKind;
    /// Image reference for a version (`registry` prefix applied by the caller's config).
    fn image(&self, version: &str) -> String;
    /// Main HTTP port inside the container.
    fn http_port(&self) -> u16;
    /// Render one node's container for a membership.
    fn render(&self, ctx: &RenderCtx<'_>) -> Result<ContainerSpec>;
    /// GET paths whose answers [`Flavor::parse_raft`] needs, in order.
    fn raft_paths(&self, version: &str) -> Vec<String>;
    /// Turn the answers of [`Flavor::raft_paths`] into per-group views of this node.
    /// Must never report a leader that is known to be gone.
    fn parse_raft(
        &self,
        version: &str,
        node: &NodeIdentity,
        answers: &[HttpAnswer],
    ) -> Result<Vec<GroupView>>;
    /// The Raft peer id a node has in this flavor (to map leaders to nodes).
    fn peer_id(&self, node: &NodeIdentity, mode: IdentityMode) -> String;
    /// The Raft peer id of a node its peers list under `listed` (a per-node name form,
    /// see [`naming`]). Default: [`Flavor::peer_id`] in IP mode (ids that are not addresses).
    fn peer_id_listed(&self, node: &NodeIdentity, listed: &str) -> String {
        let _ = listed;
        self.peer_id(node, IdentityMode::Ip)
    }
    /// Raft groups a version is expected to run.
    fn groups(&self, version: &str) -> Vec<String>;
    /// Open-API paths used by probes.
    fn api(&self, version: &str) -> ApiPaths;
    /// Directory (absolute, in the container) holding persisted Raft state, below the data path.
    fn raft_dir(&self, version: &str) -> String;
    /// Log sources to collect.
    fn logs(&self, version: &str) -> Vec<LogSource>;
    /// Known failure texts.
    fn signatures(&self) -> Vec<Signature>;
    /// Offset from UTC, in minutes, of log timestamps that carry no zone (so the signatures
    /// check can place log lines in the run's timeline); `None` when every line carries its
    /// zone or the offset is unknown.
    fn log_utc_offset_minutes(&self, _version: &str) -> Option<i32> {
        None
    }
    /// Cross-node evidence: given every node's views at one moment (from
    /// [`Flavor::parse_raft`]), withdraw leaders the server keeps reporting after they are
    /// gone. Default: the views stand as reported.
    fn confirm_leaders(&self, _nodes: &mut [crate::record::NodeObservation]) {}
    /// What this flavor supports.
    fn capabilities(&self) -> Capabilities;
    /// The longest a Raft group of this version can take to elect a leader and make it known
    /// once nothing stops it: how long nothing may change before waiting longer is pointless
    /// (final reads stop waiting for agreement after this much stillness). Default: 10 s.
    fn election_window(&self, _version: &str) -> std::time::Duration {
        std::time::Duration::from_secs(10)
    }
    /// The file (absolute path in the container) holding the membership a node of this
    /// version boots with, if it is kept apart from the Raft log and this flavor can read
    /// it while the node runs. `None` where membership lives in the log itself (JRaft), so
    /// a restart cannot forget a committed change.
    fn boot_membership_file(&self, _version: &str) -> Option<String> {
        None
    }
    /// GET path of the node's upgrade-state API at this version, where the server has one
    /// (official 2.0.x/2.1.x); `None` elsewhere (default).
    fn upgrade_state_path(&self, _version: &str) -> Option<String> {
        None
    }
    /// Read [`Flavor::upgrade_state_path`]'s answer. The default knows no such API.
    fn parse_upgrade_state(
        &self,
        _version: &str,
        node: &NodeIdentity,
        answer: &HttpAnswer,
    ) -> Result<UpgradeState> {
        Err(crate::Error::Protocol {
            node: node.hostname.clone(),
            what: format!("GET {}", answer.path),
            detail: "this flavor has no upgrade-state API".into(),
        })
    }
    /// Decode [`Flavor::boot_membership_file`]'s bytes into the peer ids (as in
    /// [`GroupView::members`], sorted) the node would boot with; `Ok(None)` for a node that
    /// was never initialised.
    fn decode_boot_membership(&self, _bytes: &[u8]) -> Result<Option<Vec<String>>> {
        Ok(None)
    }
    /// The Raft log file (absolute path in the container) whose next load
    /// [`Flavor::predict_log_cut`] can predict, for versions where that is known.
    fn boot_log_file(&self, _version: &str) -> Option<String> {
        None
    }
    /// If the server will load less of this log than it holds at its next start, say what
    /// will be lost; `None` when it loads it whole or the bytes cannot be judged.
    fn predict_log_cut(&self, _bytes: &[u8]) -> Option<String> {
        None
    }
}

/// Directory (in the container) a flavor's node keeps its persistent data in; the node's
/// volume is mounted there.
///
/// ```
/// use nacos_chaos::flavor::{data_path, FlavorKind};
/// assert_eq!(data_path(FlavorKind::RNacos), "/data");
/// assert_eq!(data_path(FlavorKind::Official), "/home/nacos/data");
/// ```
pub fn data_path(kind: FlavorKind) -> &'static str {
    match kind {
        FlavorKind::RNacos => rnacos::DATA_PATH,
        FlavorKind::Official => official::DATA_PATH,
    }
}

/// The flavor implementation for a kind.
pub fn for_kind(kind: FlavorKind) -> Box<dyn Flavor> {
    match kind {
        FlavorKind::RNacos => Box::new(rnacos::RNacos),
        FlavorKind::Official => Box::new(official::Official::default()),
    }
}

/// The flavor for a kind, an optional official image registry and a mode (standalone is
/// official only; [`Flavor::render`] of another flavor never sees it).
///
/// ```
/// use nacos_chaos::flavor::{self, ClusterMode, FlavorKind};
/// let f = flavor::build(FlavorKind::Official, Some("m.local"), ClusterMode::Standalone);
/// assert_eq!(f.image("2.0.4"), "m.local/nacos/nacos-server:v2.0.4");
/// assert!(!f.groups("2.0.4").contains(&"nacos_config".to_string()));
/// ```
pub fn build(kind: FlavorKind, registry: Option<&str>, mode: ClusterMode) -> Box<dyn Flavor> {
    match kind {
        FlavorKind::Official => {
            let f = registry.map_or_else(official::Official::default, |r| {
                official::Official::with_registry(r.to_string())
            });
            Box::new(f.mode(mode))
        }
        kind => for_kind(kind),
    }
}

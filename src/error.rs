//! The library's error type: every failure names its cause and, where one exists, the fix.

use std::path::PathBuf;

/// Errors raised by the nacos-chaos library.
///
/// ```
/// let e = nacos_chaos::Error::Config("nodes must be 1, 3 or 5".into());
/// assert!(e.to_string().contains("nodes must be"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Docker engine could not be reached or refused a request.
    #[error(
        "docker engine: {0}\n  fix: start the Docker daemon or point DOCKER_HOST at it (docker info must work)"
    )]
    Engine(String),
    /// A Docker API call failed.
    #[error("docker {op}: {source}")]
    Docker {
        /// What the harness was doing.
        op: String,
        /// The underlying bollard error.
        #[source]
        source: bollard::errors::Error,
    },
    /// An image is missing and could not be provided.
    #[error("image {image} is not available: {reason}\n  fix: {fix}")]
    ImageMissing {
        /// Image reference.
        image: String,
        /// Why it is missing.
        reason: String,
        /// How the user can provide it.
        fix: String,
    },
    /// Building an image failed at a named step.
    #[error("building image {image} failed at step '{step}': {detail}\n  fix: {fix}")]
    ImageBuild {
        /// Image being built.
        image: String,
        /// The step that failed.
        step: String,
        /// Details from the failing command.
        detail: String,
        /// How to fix it.
        fix: String,
    },
    /// Invalid configuration (suite, flags).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A suite file failed to parse or validate.
    #[error("{path}:{line}:{column}: {message}\n  hint: {hint}")]
    Suite {
        /// The suite file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// A server response could not be understood.
    #[error("unexpected response from {node} {what}: {detail}")]
    Protocol {
        /// Node name.
        node: String,
        /// Which API.
        what: String,
        /// Parse details.
        detail: String,
    },
    /// A wait did not reach its condition before the deadline.
    #[error("timed out after {waited:?} waiting for {what}; last seen: {last}")]
    Timeout {
        /// The condition.
        what: String,
        /// How long we waited.
        waited: std::time::Duration,
        /// The last observation, for diagnosis.
        last: String,
    },
    /// A cluster came up but is unfit for an experiment; bring-up starts it over, and
    /// returns this only when every attempt was.
    #[error("cluster came up unfit for an experiment: {why}")]
    Unfit {
        /// What makes it unfit, per node.
        why: String,
    },
    /// A fault could not be applied, or its read-back did not prove it in place.
    #[error("fault {fault}: {detail}")]
    Fault {
        /// The fault.
        fault: String,
        /// What failed.
        detail: String,
    },
    /// The flavor cannot do what was asked.
    #[error("flavor {flavor} does not support {what}: {why}")]
    Unsupported {
        /// The flavor.
        flavor: String,
        /// The capability asked for.
        what: String,
        /// Why not.
        why: String,
    },
    /// A suite asks for something the harness cannot do yet for this flavor.
    #[error("not implemented yet for {flavor}: {what}\n  fix: {fix}")]
    NotImplemented {
        /// The flavor.
        flavor: String,
        /// What the suite asked for.
        what: String,
        /// What to do instead.
        fix: String,
    },
    /// Reading persisted Raft state failed.
    #[error("raft data {path}: {detail}")]
    RaftData {
        /// File or directory.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Filesystem error with the path involved.
    #[error("{op} {path}: {source}")]
    Io {
        /// Operation.
        op: String,
        /// Path.
        path: PathBuf,
        /// Source error.
        #[source]
        source: std::io::Error,
    },
    /// A rehearsal input (backup, membership) is missing, corrupt or partial.
    #[error("backup {path}: {detail}\n  fix: {fix}")]
    Backup {
        /// The file or directory the user gave.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
        /// How to fix it.
        fix: String,
    },
    /// An HTTP request failed in transport (or its client could not be built); the reqwest
    /// error is kept as the source.
    #[error(
        "http {request}: {source}\n  fix: check that the node is running and its port is published (`docker ps`)"
    )]
    Http {
        /// The request (`GET http://127.0.0.1:33001/nacos/v1/raft/metrics`).
        request: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A node was asked for that the cluster does not have.
    #[error("no node {node} in a {nodes}-node cluster\n  fix: name a node from n1 to n{nodes}")]
    NoSuchNode {
        /// The node asked for (`n7`).
        node: String,
        /// How many nodes the cluster has.
        nodes: usize,
    },
    /// A node was asked to do something its state does not allow (not started, no port).
    #[error("{node} {why}\n  fix: {fix}")]
    NodeState {
        /// The node (`n3`).
        node: String,
        /// What its state is (`has no container (not started)`).
        why: String,
        /// What makes it possible (a step that starts it first).
        fix: String,
    },
    /// A record could not be serialized (a bug: every record type serializes).
    #[error(
        "serializing {what}: {source}\n  fix: a nacos-chaos bug; report it with the command line"
    )]
    Serialize {
        /// What was being written.
        what: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// The harness broke one of its own assumptions (a bug, not a configuration problem).
    #[error("internal error: {0}\n  fix: a nacos-chaos bug; report it with the command line")]
    Internal(String),
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wrap a bollard error with the operation that failed.
    pub fn docker(op: impl Into<String>, source: bollard::errors::Error) -> Self {
        Error::Docker {
            op: op.into(),
            source,
        }
    }

    /// Wrap a reqwest error with the request that failed.
    pub fn http(request: impl Into<String>, source: reqwest::Error) -> Self {
        Error::Http {
            request: request.into(),
            source,
        }
    }

    /// Wrap a serde_json error with what was being written.
    pub fn serialize(what: impl Into<String>, source: serde_json::Error) -> Self {
        Error::Serialize {
            what: what.into(),
            source,
        }
    }

    /// Wrap an io error with its path.
    pub fn io(op: impl Into<String>, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op: op.into(),
            path: path.into(),
            source,
        }
    }
}

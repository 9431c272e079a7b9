//! A node's log, as collected after a run.

use serde::{Deserialize, Serialize};

/// A collected node log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeLog {
    /// Node.
    pub node: String,
    /// Log name (`console`, `alipay-jraft.log`).
    pub file: String,
    /// Content.
    pub text: String,
    /// Offset from UTC, in minutes, of timestamps in this log that carry no zone (the
    /// flavor's [`crate::flavor::Flavor::log_utc_offset_minutes`]); `None`: unknown.
    #[serde(default)]
    pub utc_offset_minutes: Option<i32>,
}

//! Records: what a run wrote down, shared by the parts that produce it ([`crate::cluster`],
//! [`crate::workload`]) and the parts that judge or render it ([`crate::check`],
//! [`crate::report`]).
//!
//! A leaf module: it depends on nothing in this crate but [`crate::error`], so a check never
//! imports the cluster that produced its observations. The one record that lives elsewhere is
//! [`crate::fault::FaultWindow`] (its properties come from the fault kinds); it is not
//! re-exported here, since that would make this module depend on the nemesis.
//!
//! ```
//! use nacos_chaos::record::{History, Observation, Role};
//! let history = History::default();
//! assert!(history.ops.is_empty());
//! let obs: Vec<Observation> = Vec::new();
//! assert!(obs.iter().all(|o| o.nodes.is_empty()));
//! assert_eq!(Role::Leader, Role::Leader);
//! ```

mod boot;
mod flavor_kind;
pub mod history;
mod log;
mod observation;

pub use boot::{BootMembership, boot_drift};
pub use flavor_kind::FlavorKind;
pub use history::{FinalRead, History, Op, OpKind, Outcome};
pub use log::NodeLog;
pub use observation::{GroupView, NodeObservation, Observation, Role, UpgradeState};

/// A value shortened to at most `max` characters for evidence (`…` marks the cut).
///
/// ```
/// assert_eq!(nacos_chaos::record::clip("  abc ", 10), "abc");
/// assert_eq!(nacos_chaos::record::clip("abcdef", 4), "abc…");
/// ```
pub fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

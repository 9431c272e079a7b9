//! Declarative scenarios: the suite model, the runner that executes one against a real
//! cluster, and the version matrix.

mod batch;
mod build;
mod harness;
pub mod jobs;
pub(crate) mod locate;
mod membership_plan;
mod render;
mod repro;
mod runner;
pub(crate) mod steps;
mod suite;
mod upgrade;

pub use batch::{Case, aborted, expand, run_all, shard};
pub use build::SuiteBuilder;
pub use harness::Harness;
pub use jobs::Jobs;
pub use membership_plan::MembershipChange;
pub use render::{
    PLACEHOLDER_DOMAIN, PLACEHOLDER_NOTE, RenderedFile, RenderedNode, RenderedSuite,
    RenderedVersion, node_naming, render,
};
pub use repro::{compose_yaml, steps_md, write_repro};
pub use runner::{RunOptions, run};
pub use steps::describe;
pub use suite::{ClusterSection, Order, Step, Strategy, Suite, Versions};

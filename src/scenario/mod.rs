//! Declarative scenarios: the suite model, the runner that executes one against a real
//! cluster, and the version matrix.

mod batch;
mod build;
mod harness;
mod locate;
mod render;
mod repro;
mod runner;
mod steps;
mod suite;
mod upgrade;

pub use batch::{Case, aborted, expand, run_all, shard};
pub use build::SuiteBuilder;
pub use harness::Harness;
pub use render::{
    PLACEHOLDER_NOTE, RenderedFile, RenderedNode, RenderedSuite, RenderedVersion, render,
};
pub use repro::{compose_yaml, steps_md, write_repro};
pub use runner::{RunOptions, run};
pub use steps::describe;
pub use suite::{ClusterSection, Order, Step, Strategy, Suite, Versions};

//! # nacos-chaos
//!
//! A chaos-testing harness that tells a Nacos operator, with evidence, whether their
//! cluster survives an upgrade. Jepsen's parts, as modules:
//!
//! - [`cluster`] — the system under test and its lifecycle (on [`docker`] and [`image`]);
//! - [`flavor`] — everything one server implementation knows;
//! - [`fault`] — the nemesis: apply, prove in place, heal;
//! - [`workload`] — client probes writing a timestamped [`workload::History`];
//! - [`record`] — the records producers write and checks read (history, observations);
//! - [`check`] — pure verdicts over history and observations;
//! - [`scenario`] — declarative suites and the runner;
//! - [`report`] — JSON, JUnit, HTML and Markdown artifacts;
//! - [`preflight`] — reading persisted Raft state offline and judging it;
//! - [`rehearse`] — an upgrade rehearsed on the user's own backup, and the fixes compared.
//!
//! A chaos test in Rust: three r-nacos nodes, the leader isolated for 20 s while the workload
//! writes, healed. A leader throughout within the bound; and the durability check reports
//! what r-nacos 0.8.8 does here (in every run so far): config writes acknowledged around the
//! isolation are lost. `tests/harness_rnacos.rs` is this example, run for real.
//!
//! ```no_run
//! use std::time::Duration;
//! use nacos_chaos::{check::Status, fault::{Fault, Targets}, scenario::{Harness, Step, Suite}};
//!
//! #[tokio::test]
//! async fn isolating_the_leader() -> nacos_chaos::Result<()> {
//!     let isolate = Fault::isolate(Targets::Leader);
//!     let suite = Suite::rnacos("isolate-leader", "0.8.8")
//!         .steps([Step::start(), Step::workload(true), Step::fault(isolate, Duration::from_secs(20)), Step::wait_leader()])
//!         .build()?;
//!     let record = Harness::new(&suite).run().await;
//!     assert_eq!(record.status_of("leader"), Some(Status::Pass), "{:?}", record.verdicts);
//!     assert_eq!(record.status_of("durability"), Some(Status::Fail), "{:?}", record.verdicts);
//!     Ok(())
//! }
//! ```

#![warn(missing_docs)]

pub mod bench;
pub mod check;
pub mod cluster;
pub mod docker;
pub mod error;
pub mod fault;
pub mod flavor;
pub mod image;
pub mod poll;
pub mod preflight;
pub mod record;
pub mod rehearse;
pub mod report;
pub mod scenario;
#[cfg(feature = "testcontainers")]
pub mod tc;
pub mod workload;

pub use error::{Error, Result};

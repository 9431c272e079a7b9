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

#![warn(missing_docs)]

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

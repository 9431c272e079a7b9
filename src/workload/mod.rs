//! Workload: client probes against every node, recording a timestamped [`History`].
//!
//! ```no_run
//! # async fn f(cluster: &nacos_chaos::cluster::Cluster) {
//! use nacos_chaos::workload::{Workload, WorkloadSpec};
//! let w = Workload::start(cluster, &WorkloadSpec::default());
//! let history = w.stop().await;
//! println!("{} operations", history.ops.len());
//! # }
//! ```

mod final_reads;
mod history;
mod probe;
mod runner;
#[cfg(feature = "grpc-probe")]
mod sdk;

pub use crate::record::{FinalRead, History, Op, OpKind, Outcome};
pub use final_reads::final_reads;
pub use probe::{GROUP, KeySpace, Request, SERVICE, Writer, classify, next_request, send};
pub use runner::{Endpoint, Workload, WorkloadSpec, endpoints};
#[cfg(feature = "grpc-probe")]
pub use sdk::{SDK_CLIENT, SdkClients, classify_sdk_error, sdk_service};

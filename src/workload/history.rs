//! Operations the workload records without sending them.

use super::probe::Request;
use crate::record::{Op, Outcome};

impl Op {
    /// An operation the harness refused without sending anything (the node is down by its
    /// own hand, or has no port to reach): definitely did not happen, recorded as `Fail` at
    /// one instant so availability reflects it.
    ///
    /// ```
    /// use nacos_chaos::workload::{Op, OpKind, Outcome, Request};
    /// let req = Request { kind: OpKind::GetConfig, key: "k".into(), value: None };
    /// let op = Op::unsent("n2", "http", req, 1500, "node not running");
    /// assert_eq!((op.outcome, op.start_ms, op.end_ms), (Outcome::Fail, 1500, 1500));
    /// ```
    pub fn unsent(node: &str, client: &str, req: Request, at_ms: u64, why: &str) -> Op {
        Op {
            id: 0,
            node: node.into(),
            client: client.into(),
            kind: req.kind,
            key: req.key,
            value: req.value,
            start_ms: at_ms,
            end_ms: at_ms,
            outcome: Outcome::Fail,
            status: None,
            error: Some(why.into()),
            read: None,
        }
    }
}

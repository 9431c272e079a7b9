//! Small constructors for synthetic histories and observations (tests only).

use std::time::SystemTime;

use crate::fault::FaultWindow;
use crate::flavor::{GroupView, Role};
use crate::record::{FinalRead, History, Op, OpKind, Outcome};
use crate::record::{NodeObservation, Observation};

/// An operation; non-Ok outcomes get the error text `boom`.
pub fn op(
    node: &str,
    kind: OpKind,
    key: &str,
    value: Option<&str>,
    start_ms: u64,
    end_ms: u64,
    outcome: Outcome,
) -> Op {
    Op {
        id: 0,
        node: node.into(),
        client: "http".into(),
        kind,
        key: key.into(),
        value: value.map(String::from),
        start_ms,
        end_ms,
        outcome,
        status: match outcome {
            Outcome::Ok => Some(200),
            // A write answered 5xx is Unknown, so a refused write was a 4xx.
            Outcome::Fail if kind.is_write() => Some(400),
            Outcome::Fail => Some(500),
            Outcome::Unknown => None,
        },
        error: match outcome {
            Outcome::Ok => None,
            _ => Some("boom".into()),
        },
        read: None,
    }
}

/// A config publish.
pub fn publish(node: &str, key: &str, value: &str, start: u64, end: u64, o: Outcome) -> Op {
    op(node, OpKind::PublishConfig, key, Some(value), start, end, o)
}

/// A persistent registration.
pub fn register(node: &str, svc: &str, inst: &str, start: u64, end: u64, o: Outcome) -> Op {
    op(
        node,
        OpKind::RegisterPersistent,
        svc,
        Some(inst),
        start,
        end,
        o,
    )
}

/// A history from operations, ids assigned in order.
pub fn hist(ops: Vec<Op>) -> History {
    let mut h = History::default();
    for o in ops {
        h.push(o);
    }
    h
}

/// A successful final read.
pub fn read(node: &str, kind: OpKind, key: &str, values: &[&str]) -> FinalRead {
    FinalRead {
        node: node.into(),
        key: key.into(),
        kind,
        values: Some(values.iter().map(|v| v.to_string()).collect()),
        error: None,
    }
}

/// A failed final read.
pub fn failed_read(node: &str, kind: OpKind, key: &str, error: &str) -> FinalRead {
    FinalRead {
        node: node.into(),
        key: key.into(),
        kind,
        values: None,
        error: Some(error.into()),
    }
}

/// One node's view of group `g` (or another group name).
pub fn view(
    group: &str,
    role: Role,
    term: Option<u64>,
    leader: Option<&str>,
    members: &[&str],
) -> GroupView {
    GroupView {
        group: group.into(),
        role,
        term,
        leader: leader.map(String::from),
        members: members.iter().map(|m| m.to_string()).collect(),
        learners: vec![],
        discarded_leader: None,
    }
}

/// A reachable node `n<i>` with peer id `<i>`.
pub fn node(i: usize, groups: Vec<GroupView>) -> NodeObservation {
    NodeObservation {
        node: format!("n{i}"),
        peer_id: i.to_string(),
        groups,
        error: None,
    }
}

/// An unreachable node `n<i>`.
pub fn down(i: usize) -> NodeObservation {
    NodeObservation {
        node: format!("n{i}"),
        peer_id: i.to_string(),
        groups: vec![],
        error: Some("connection refused".into()),
    }
}

/// An observation at `at_ms`.
pub fn obs(at_ms: u64, nodes: Vec<NodeObservation>) -> Observation {
    Observation {
        at_ms,
        wall: SystemTime::UNIX_EPOCH,
        upgrade: Default::default(),
        nodes,
    }
}

/// A fault window.
pub fn fault(kind: &str, targets: &[&str], start_ms: u64, end_ms: Option<u64>) -> FaultWindow {
    FaultWindow {
        id: format!("f-{kind}"),
        kind: kind.into(),
        description: String::new(),
        targets: targets.iter().map(|t| t.to_string()).collect(),
        start_ms,
        end_ms,
        proof: vec![],
        heal_proof: vec![],
    }
}

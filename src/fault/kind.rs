//! Fault kinds by name, and what each does to a node's Raft state. The name a window
//! records is the suite's `kind` tag (one table: [`FaultKind`]'s serde names), so checks
//! that read a window's kind cannot drift from the faults that wrote it.

use serde::{Deserialize, Serialize};

/// The kind of a [`Fault`](super::Fault), as windows and reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// `ip_change`.
    IpChange,
    /// `latency`.
    Latency,
    /// `loss`.
    Loss,
    /// `bandwidth`.
    Bandwidth,
    /// `partition`.
    Partition,
    /// `kill`.
    Kill,
    /// `stop`.
    Stop,
    /// `pause`.
    Pause,
    /// `restart`.
    Restart,
    /// `wipe_raft`.
    WipeRaft,
    /// `snapshot_data`.
    SnapshotData,
    /// `restore_data` (records written before the names were unified say `restore_snapshot`).
    #[serde(alias = "restore_snapshot")]
    RestoreData,
    /// `clone_data`.
    CloneData,
    /// `phantom_peer`.
    PhantomPeer,
    /// `clock_skew`.
    ClockSkew,
    /// `dns`.
    Dns,
}

impl FaultKind {
    /// The name windows record (the suite's `kind` tag).
    ///
    /// ```
    /// use nacos_chaos::fault::FaultKind;
    /// assert_eq!(FaultKind::RestoreData.as_str(), "restore_data");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::IpChange => "ip_change",
            FaultKind::Latency => "latency",
            FaultKind::Loss => "loss",
            FaultKind::Bandwidth => "bandwidth",
            FaultKind::Partition => "partition",
            FaultKind::Kill => "kill",
            FaultKind::Stop => "stop",
            FaultKind::Pause => "pause",
            FaultKind::Restart => "restart",
            FaultKind::WipeRaft => "wipe_raft",
            FaultKind::SnapshotData => "snapshot_data",
            FaultKind::RestoreData => "restore_data",
            FaultKind::CloneData => "clone_data",
            FaultKind::PhantomPeer => "phantom_peer",
            FaultKind::ClockSkew => "clock_skew",
            FaultKind::Dns => "dns",
        }
    }

    /// The kind a window's name stands for (serde's table, older aliases included).
    ///
    /// ```
    /// use nacos_chaos::fault::FaultKind;
    /// assert_eq!(FaultKind::from_name("wipe_raft"), Some(FaultKind::WipeRaft));
    /// assert_eq!(FaultKind::from_name("restore_snapshot"), Some(FaultKind::RestoreData));
    /// assert_eq!(FaultKind::from_name("reboot"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<FaultKind> {
        serde_json::from_value(serde_json::Value::String(name.into())).ok()
    }

    /// Does the fault replace the Raft state of the nodes it targets (deleted, restored from
    /// a snapshot, cloned from another node), so that their term may start again lower?
    ///
    /// ```
    /// use nacos_chaos::fault::FaultKind;
    /// assert!(FaultKind::WipeRaft.resets_raft_term());
    /// assert!(!FaultKind::IpChange.resets_raft_term()); // data kept: terms carry on
    /// ```
    pub fn resets_raft_term(self) -> bool {
        matches!(
            self,
            FaultKind::WipeRaft | FaultKind::RestoreData | FaultKind::CloneData
        )
    }

    /// Does the fault begin a new Raft epoch for the nodes it targets: their state was
    /// replaced ([`FaultKind::resets_raft_term`]) or their peer ids changed (`ip_change`:
    /// official Nacos names peers `ip:port`)? Leader claims on either side of it are not
    /// claims in the same Raft history and are not compared.
    ///
    /// ```
    /// use nacos_chaos::fault::FaultKind;
    /// assert!(FaultKind::IpChange.opens_raft_epoch() && FaultKind::CloneData.opens_raft_epoch());
    /// assert!(!FaultKind::Restart.opens_raft_epoch());
    /// ```
    pub fn opens_raft_epoch(self) -> bool {
        self.resets_raft_term() || self == FaultKind::IpChange
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{Fault, Partition, Targets};

    const ALL: [FaultKind; 16] = [
        FaultKind::IpChange,
        FaultKind::Latency,
        FaultKind::Loss,
        FaultKind::Bandwidth,
        FaultKind::Partition,
        FaultKind::Kill,
        FaultKind::Stop,
        FaultKind::Pause,
        FaultKind::Restart,
        FaultKind::WipeRaft,
        FaultKind::SnapshotData,
        FaultKind::RestoreData,
        FaultKind::CloneData,
        FaultKind::PhantomPeer,
        FaultKind::ClockSkew,
        FaultKind::Dns,
    ];

    /// One fault of each kind (exhaustive: a new kind must be added here).
    fn example(k: FaultKind) -> Fault {
        let nodes = Targets::All;
        match k {
            FaultKind::IpChange => Fault::IpChange {
                nodes,
                membership: Default::default(),
            },
            FaultKind::Latency => Fault::Latency {
                nodes,
                delay_ms: 1,
                jitter_ms: 0,
                loss: 0.0,
                peers: None,
            },
            FaultKind::Loss => Fault::Loss {
                nodes,
                probability: 0.1,
            },
            FaultKind::Bandwidth => Fault::Bandwidth {
                nodes,
                rate_kbit: 8,
            },
            FaultKind::Partition => Fault::Partition {
                partition: Partition::Isolate(Targets::Leader),
            },
            FaultKind::Kill => Fault::Kill { nodes },
            FaultKind::Stop => Fault::Stop { nodes },
            FaultKind::Pause => Fault::Pause { nodes },
            FaultKind::Restart => Fault::Restart { nodes },
            FaultKind::WipeRaft => Fault::WipeRaft { nodes },
            FaultKind::SnapshotData => Fault::SnapshotData {
                node: Targets::Leader,
                name: "s".into(),
            },
            FaultKind::RestoreData => Fault::RestoreData {
                node: Targets::Leader,
                name: "s".into(),
            },
            FaultKind::CloneData => Fault::CloneData {
                from: Targets::Leader,
                to: Targets::OneFollower,
            },
            FaultKind::PhantomPeer => Fault::PhantomPeer { as_node: None },
            FaultKind::ClockSkew => Fault::ClockSkew { nodes, offset_s: 5 },
            FaultKind::Dns => Fault::Dns {
                nodes,
                peers: None,
                mode: Default::default(),
                delay_ms: None,
            },
        }
    }

    #[test]
    fn a_window_names_each_fault_by_its_suite_tag_and_reads_back_as_that_kind() {
        for k in ALL {
            let f = example(k);
            assert_eq!(f.kind(), k);
            assert_eq!(
                serde_json::to_value(&f).unwrap()["kind"],
                k.as_str(),
                "{k:?}"
            );
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(FaultKind::from_name(k.as_str()), Some(k));
            assert_eq!(k.to_string(), k.as_str());
        }
    }

    #[test]
    fn raft_state_faults_reset_terms_and_ip_change_only_opens_an_epoch() {
        let resets: Vec<FaultKind> = ALL.into_iter().filter(|k| k.resets_raft_term()).collect();
        assert_eq!(
            resets,
            [
                FaultKind::WipeRaft,
                FaultKind::RestoreData,
                FaultKind::CloneData
            ]
        );
        let epochs: Vec<FaultKind> = ALL.into_iter().filter(|k| k.opens_raft_epoch()).collect();
        assert_eq!(epochs.len(), 4);
        assert!(epochs.contains(&FaultKind::IpChange));
        // Records written before the names were unified still read as a restore.
        assert_eq!(
            FaultKind::from_name("restore_snapshot"),
            Some(FaultKind::RestoreData)
        );
    }
}

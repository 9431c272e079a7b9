//! Fault kinds by name, and what each does to a node's Raft state. [`FaultKind`] and its
//! names are generated from the registry in `kinds/mod.rs` (the suite's `kind` tag), and its
//! properties are each kind's [`Inject`](super::inject::Inject) constants, so checks that
//! read a window's kind cannot drift from the faults that wrote it.

pub use super::kinds::FaultKind;

impl FaultKind {
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
        self.props().resets_raft_term
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
        self.props().opens_raft_epoch
    }

    /// Is the fault over once applied (nothing to heal)?
    ///
    /// ```
    /// use nacos_chaos::fault::FaultKind;
    /// assert!(FaultKind::Restart.is_instant() && !FaultKind::Pause.is_instant());
    /// ```
    pub fn is_instant(self) -> bool {
        self.props().instant
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
            FaultKind::IpChange => Fault::ip_change(nodes),
            FaultKind::Latency => Fault::latency(nodes, 1),
            FaultKind::Loss => Fault::loss(nodes, 0.1),
            FaultKind::Bandwidth => crate::fault::Bandwidth {
                nodes,
                rate_kbit: 8,
            }
            .into(),
            FaultKind::Partition => crate::fault::PartitionFault {
                partition: Partition::Isolate(Targets::Leader),
            }
            .into(),
            FaultKind::Kill => Fault::kill(nodes),
            FaultKind::Stop => Fault::stop(nodes),
            FaultKind::Pause => Fault::pause(nodes),
            FaultKind::Restart => Fault::restart(nodes),
            FaultKind::WipeRaft => Fault::wipe_raft(nodes),
            FaultKind::SnapshotData => crate::fault::SnapshotData {
                node: Targets::Leader,
                name: "s".into(),
            }
            .into(),
            FaultKind::RestoreData => crate::fault::RestoreData {
                node: Targets::Leader,
                name: "s".into(),
            }
            .into(),
            FaultKind::CloneData => crate::fault::CloneData {
                from: Targets::Leader,
                to: Targets::OneFollower,
            }
            .into(),
            FaultKind::PhantomPeer => crate::fault::PhantomPeer { as_node: None }.into(),
            FaultKind::ClockSkew => Fault::clock_skew(nodes, 5),
            FaultKind::Dns => Fault::dns(nodes, Default::default()),
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
        assert_eq!(
            FaultKind::ALL,
            ALL,
            "the registry lists every kind once, in order"
        );
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

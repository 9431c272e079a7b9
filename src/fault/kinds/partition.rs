//! `partition`: cut nodes off from each other (isolate, split, one-way).

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fault::Partition;
use crate::fault::inject::{Applied, ApplyCtx, Inject, Rule};
use crate::fault::network::{self, NetHeal};

/// Parameters of a `partition` fault: its shape.
///
/// ```
/// use nacos_chaos::fault::{Fault, Partition, PartitionFault, Targets};
/// let f = Fault::isolate(Targets::Leader);
/// assert_eq!(f, PartitionFault { partition: Partition::Isolate(Targets::Leader) }.into());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionFault {
    /// Shape.
    pub partition: Partition,
}

impl Inject for PartitionFault {
    fn rules(&self, _: usize) -> Vec<Rule<'_>> {
        let at = |shape: Option<&'static str>, side: &'static str| {
            let mut p = vec!["partition"];
            p.extend(shape);
            p.push(side);
            p
        };
        match &self.partition {
            Partition::Isolate(t) => vec![Rule::Targets(at(None, "isolate"), t)],
            Partition::Split { a, b } => vec![
                Rule::Targets(at(Some("split"), "a"), a),
                Rule::Targets(at(Some("split"), "b"), b),
            ],
            Partition::OneWay { from, to } => vec![
                Rule::Targets(at(Some("one_way"), "from"), from),
                Rule::Targets(at(Some("one_way"), "to"), to),
            ],
        }
    }

    async fn apply(&self, cx: &mut ApplyCtx<'_>) -> Result<Applied> {
        let (t, desc, proof) = network::partition(cx.cluster, &self.partition, cx.net).await?;
        Ok(Applied::lasting(
            t.clone(),
            desc,
            proof,
            NetHeal::new(t, vec![]),
        ))
    }
}

//! Which nodes a fault hits: named nodes, or a role resolved at apply time.

use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::error::{Error, Result};

/// Fault targets. In suites: `"all"`, `"leader"`, `"followers"`, `"one_follower"`,
/// `"majority"`, `"minority"`, `"n2"`, or a list `["n1", "n3"]`.
///
/// ```
/// use nacos_chaos::fault::Targets;
/// let t: Targets = serde_json::from_str(r#"["n1","n3"]"#).unwrap();
/// assert_eq!(t, Targets::Nodes(vec![1, 3]));
/// let t: Targets = serde_json::from_str(r#""leader""#).unwrap();
/// assert_eq!(t, Targets::Leader);
/// assert!(serde_json::from_str::<Targets>(r#""n0""#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Repr", into = "Repr")]
pub enum Targets {
    /// Every node.
    All,
    /// The current leader (first Raft group).
    Leader,
    /// Every node but the leader.
    Followers,
    /// One follower (the lowest-numbered).
    OneFollower,
    /// The first ⌊n/2⌋+1 nodes by index.
    Majority,
    /// The last ⌊n/2⌋ nodes by index.
    Minority,
    /// Named nodes, 1-based.
    Nodes(Vec<usize>),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Repr {
    One(String),
    Many(Vec<String>),
}

fn parse_node(s: &str) -> std::result::Result<usize, String> {
    s.strip_prefix('n')
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|i| *i >= 1)
        .ok_or_else(|| format!("'{s}' is not a node name (n1, n2, ...) nor a selector (all, leader, followers, one_follower, majority, minority)"))
}

impl TryFrom<Repr> for Targets {
    type Error = String;
    fn try_from(r: Repr) -> std::result::Result<Self, String> {
        match r {
            Repr::One(s) => Ok(match s.as_str() {
                "all" => Targets::All,
                "leader" => Targets::Leader,
                "followers" => Targets::Followers,
                "one_follower" => Targets::OneFollower,
                "majority" => Targets::Majority,
                "minority" => Targets::Minority,
                other => Targets::Nodes(vec![parse_node(other)?]),
            }),
            Repr::Many(v) if v.is_empty() => Err("an empty node list targets nothing".into()),
            Repr::Many(v) => Ok(Targets::Nodes(
                v.iter()
                    .map(|s| parse_node(s))
                    .collect::<std::result::Result<_, _>>()?,
            )),
        }
    }
}

impl From<Targets> for Repr {
    fn from(t: Targets) -> Repr {
        match t {
            Targets::All => Repr::One("all".into()),
            Targets::Leader => Repr::One("leader".into()),
            Targets::Followers => Repr::One("followers".into()),
            Targets::OneFollower => Repr::One("one_follower".into()),
            Targets::Majority => Repr::One("majority".into()),
            Targets::Minority => Repr::One("minority".into()),
            Targets::Nodes(v) => Repr::Many(v.iter().map(|i| format!("n{i}")).collect()),
        }
    }
}

impl Targets {
    /// The 1-based index of a node name (`n2` → 2).
    ///
    /// ```
    /// use nacos_chaos::fault::Targets;
    /// assert_eq!(Targets::node_index("n2"), Ok(2));
    /// assert!(Targets::node_index("leader").unwrap_err().contains("not a node name"));
    /// ```
    pub fn node_index(name: &str) -> std::result::Result<usize, String> {
        parse_node(name)
    }

    /// Resolve to 1-based node indexes against the cluster as it is now.
    pub async fn resolve(&self, cluster: &mut Cluster) -> Result<Vec<usize>> {
        let n = cluster.nodes().len();
        let all: Vec<usize> = (1..=n).collect();
        let v = match self {
            Targets::All => all,
            Targets::Leader => vec![leader_of(cluster).await?],
            Targets::Followers => {
                let l = leader_of(cluster).await?;
                all.into_iter().filter(|i| *i != l).collect()
            }
            Targets::OneFollower => {
                let l = leader_of(cluster).await?;
                all.into_iter().filter(|i| *i != l).take(1).collect()
            }
            Targets::Majority => all.into_iter().take(n / 2 + 1).collect(),
            Targets::Minority => all.into_iter().skip(n - n / 2).collect(),
            Targets::Nodes(v) => {
                if let Some(bad) = v.iter().find(|i| **i > n) {
                    return Err(Error::Config(format!(
                        "n{bad} does not exist in a {n}-node cluster"
                    )));
                }
                v.clone()
            }
        };
        Ok(v)
    }

    /// Resolve to exactly one node.
    pub async fn resolve_one(&self, cluster: &mut Cluster) -> Result<usize> {
        let v = self.resolve(cluster).await?;
        match v.as_slice() {
            [one] => Ok(*one),
            _ => Err(Error::Config(format!(
                "{self:?} must name exactly one node, got {}",
                v.len()
            ))),
        }
    }
}

async fn leader_of(cluster: &mut Cluster) -> Result<usize> {
    let obs = cluster.observe().await;
    let group = cluster.leader_group();
    obs.leader_of(&group)
        .and_then(|o| cluster.index_of(&o.node))
        .ok_or_else(|| Error::Fault {
            fault: "targets".into(),
            detail: "no node currently reports itself leader, so 'leader'/'followers' cannot be resolved".into(),
        })
}

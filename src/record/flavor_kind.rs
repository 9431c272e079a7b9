//! Which server implementation a cluster runs: the name every record carries.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Which server implementation a cluster runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlavorKind {
    /// r-nacos (crate `rnacos`), built locally from crates.io.
    #[serde(rename = "rnacos")]
    RNacos,
    /// The official Java server, image `nacos/nacos-server:v<ver>`.
    Official,
}

impl fmt::Display for FlavorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlavorKind::RNacos => "rnacos",
            FlavorKind::Official => "official",
        })
    }
}

impl std::str::FromStr for FlavorKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "rnacos" | "r-nacos" => Ok(FlavorKind::RNacos),
            "official" | "nacos" => Ok(FlavorKind::Official),
            other => Err(crate::Error::Config(format!(
                "unknown flavor '{other}': expected 'rnacos' or 'official'"
            ))),
        }
    }
}

//! Official Nacos version numbers: `major.minor.patch[.hotfix]`, with or without a leading `v`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A parsed official Nacos version, e.g. `2.4.0.1`, `2.4.1` or `3.0.3`.
///
/// Ordering follows release order; a hotfix release sorts after its base release
/// (`2.4.0 < 2.4.0.1 < 2.4.1`).
///
/// ```
/// use nacos_chaos::flavor::official::NacosVersion;
/// let a = NacosVersion::parse("v2.4.0.1").unwrap();
/// let b: NacosVersion = "2.4.1".parse().unwrap();
/// assert!(a < b);
/// assert_eq!(a.to_string(), "2.4.0.1");
/// assert!(NacosVersion::parse("latest").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NacosVersion {
    /// Major version (1, 2 or 3 for the supported range).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version.
    pub patch: u32,
    /// Hotfix number, only for four-part versions such as `2.4.0.1`.
    pub hotfix: Option<u32>,
}

impl NacosVersion {
    /// Oldest version whose env contract this flavor implements: 1.4.1, read at alibaba/nacos
    /// tag 1.4.1 and the nacos-docker commit that released its image (678b2a9, "Merge pull
    /// request #155 from nacos-group/1.4.1": `build/bin/docker-startup.sh`, `build/Dockerfile`;
    /// nacos-docker has no `v1.4.1` tag).
    pub const MIN_SUPPORTED: NacosVersion = NacosVersion::new(1, 4, 1);

    /// A three-part version.
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert_eq!(NacosVersion::new(2, 4, 1).to_string(), "2.4.1");
    /// ```
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        NacosVersion {
            major,
            minor,
            patch,
            hotfix: None,
        }
    }

    /// Parse `major.minor.patch[.hotfix]`, optionally prefixed with `v`. Anything else
    /// (`latest`, `2.4`, `2.4.1-slim`, empty parts) is an [`Error::Config`].
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert_eq!(NacosVersion::parse("3.0.3").unwrap().major, 3);
    /// assert!(NacosVersion::parse("2.4").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::Config(format!(
                "official Nacos version '{text}' {why}: expected major.minor.patch[.hotfix], \
                 e.g. 2.4.1 or 2.4.0.1 (a leading 'v' is allowed)"
            ))
        };
        let trimmed = text.trim();
        let body = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let parts: Vec<&str> = body.split('.').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(bad("does not have 3 or 4 numeric parts"));
        }
        let mut nums = Vec::with_capacity(parts.len());
        for p in &parts {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("has a non-numeric part"));
            }
            nums.push(
                p.parse::<u32>()
                    .map_err(|_| bad("has a part out of range"))?,
            );
        }
        Ok(NacosVersion {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            hotfix: nums.get(3).copied(),
        })
    }

    /// Parse and check the version is in the range this flavor's contract covers
    /// (1.4.1 up to, not including, 4.0.0).
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert!(NacosVersion::supported("2.4.1").is_ok());
    /// assert!(NacosVersion::supported("1.4.1").is_ok());
    /// assert!(NacosVersion::supported("1.4.0").is_err());
    /// ```
    pub fn supported(text: &str) -> Result<Self> {
        let v = Self::parse(text)?;
        if v < Self::MIN_SUPPORTED || v.major >= 4 {
            return Err(Error::Config(format!(
                "official Nacos version {v} is outside the supported range 1.4.1 … 3.x \
                 (the env contract and APIs used here are only known for that range)"
            )));
        }
        Ok(v)
    }

    /// True for 3.x: v3 admin API, console on 8080, mandatory auth envs, API compatibility
    /// switches that answer 410 on v1/v2 admin and console paths.
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert!(NacosVersion::new(3, 0, 3).is_v3());
    /// assert!(!NacosVersion::new(2, 4, 1).is_v3());
    /// ```
    pub fn is_v3(&self) -> bool {
        self.major >= 3
    }

    /// True when this version is at least `major.minor.patch`.
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert!(NacosVersion::parse("2.4.0.1").unwrap().at_least(2, 4, 0));
    /// assert!(!NacosVersion::parse("2.4.0.1").unwrap().at_least(2, 4, 1));
    /// ```
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        *self >= NacosVersion::new(major, minor, patch)
    }

    /// 2.4.2+ and 3.x know `nacos.core.protocol.raft.strictMode` (readiness gated on leaders);
    /// without it, readiness does not reflect raft leadership on those versions.
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert!(NacosVersion::new(2, 4, 2).has_raft_strict_mode());
    /// assert!(!NacosVersion::new(2, 4, 1).has_raft_strict_mode());
    /// ```
    pub fn has_raft_strict_mode(&self) -> bool {
        self.at_least(2, 4, 2)
    }

    /// 3.0.0+ runs the extra raft group `lock_acquire_service_v2`.
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert!(NacosVersion::new(3, 0, 0).has_lock_group());
    /// ```
    pub fn has_lock_group(&self) -> bool {
        self.is_v3()
    }

    /// 2.0.0+ listens for gRPC: client port = main + 1000, cluster port = main + 1001
    /// (`core/.../remote/grpc/GrpcSdkServer`, `GrpcClusterServer` `PORT_OFFSET` @2.0.4,
    /// 2.1.2); tag 1.4.1 has no gRPC server in `core` at all.
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert!(NacosVersion::new(2, 0, 4).has_grpc());
    /// assert!(!NacosVersion::new(1, 4, 1).has_grpc());
    /// ```
    pub fn has_grpc(&self) -> bool {
        self.major >= 2
    }

    /// 2.0.x and 2.1.x carry the 1.x → 2.x upgrade machinery: `UpgradeJudgement` (double
    /// write until every member is 2.x and ready) and its ops API
    /// `/nacos/v1/ns/upgrade/ops/*` (`naming/.../controllers/UpgradeOpsController`,
    /// `naming/.../core/v2/upgrade/UpgradeJudgement` @2.0.4, 2.1.2). Tag 2.2.0 has neither.
    ///
    /// ```
    /// use nacos_chaos::flavor::official::NacosVersion;
    /// assert!(NacosVersion::new(2, 0, 4).has_upgrade_ops());
    /// assert!(NacosVersion::new(2, 1, 2).has_upgrade_ops());
    /// assert!(!NacosVersion::new(1, 4, 1).has_upgrade_ops());
    /// assert!(!NacosVersion::new(2, 2, 0).has_upgrade_ops());
    /// ```
    pub fn has_upgrade_ops(&self) -> bool {
        self.major == 2 && self.minor < 2
    }

    /// 2.4.1+ runs `naming_persistent_service` through `SwitchManager` in standalone mode
    /// too (`naming/.../misc/SwitchManager` @2.4.1 registers with the CP protocol in its
    /// constructor); 2.0.x–2.4.0.1 use `StandalonePersistentServiceProcessor` there, which
    /// registers no raft group (@2.0.4, 2.1.2).
    pub(crate) fn standalone_switch_group(&self) -> bool {
        self.at_least(2, 4, 1)
    }
}

/// Official image tags this flavor's env contract was checked against: every
/// `nacos-group/nacos-docker` release tag from v2.0.3 to v3.2.3, and the commit that released
/// 1.4.1 (678b2a9; no tag) — each one's `build/bin/docker-startup.sh` read for `MODE`,
/// `NACOS_SERVER_IP` and `PREFER_HOST_MODE`.
///
/// ```
/// use nacos_chaos::flavor::official::{IMAGE_TAGS, NacosVersion};
/// assert!(IMAGE_TAGS.iter().all(|t| NacosVersion::supported(t).is_ok()));
/// ```
pub const IMAGE_TAGS: &[&str] = &[
    "1.4.1", "2.0.3", "2.0.4", "2.1.0", "2.1.1", "2.1.2", "2.2.0", "2.2.0.1", "2.2.1", "2.2.2",
    "2.2.3", "2.3.0", "2.3.1", "2.3.2", "2.4.0", "2.4.0.1", "2.4.1", "2.4.2", "2.4.2.1", "2.4.3",
    "2.5.0", "2.5.1", "2.5.2", "2.5.3", "3.0.0", "3.0.1", "3.0.2", "3.0.3", "3.1.0", "3.1.1",
    "3.1.2", "3.2.0", "3.2.1", "3.2.2", "3.2.3",
];

impl fmt::Display for NacosVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(h) = self.hotfix {
            write!(f, ".{h}")?;
        }
        Ok(())
    }
}

impl FromStr for NacosVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Best-effort major-version test for trait methods that cannot fail (paths, groups): an
/// unparseable version counts as 3.x only if it starts with `3`. `render` and `parse_raft`
/// reject such versions before anything else uses them.
pub(crate) fn lenient_is_v3(version: &str) -> bool {
    match NacosVersion::parse(version) {
        Ok(v) => v.is_v3(),
        Err(_) => version.trim().trim_start_matches('v').starts_with('3'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_hotfix_between_patches() {
        let v = |s| NacosVersion::parse(s).unwrap();
        assert!(v("2.4.0") < v("2.4.0.1"));
        assert!(v("2.4.0.1") < v("2.4.1"));
        assert!(v("2.4.2") < v("3.0.0"));
        assert!(v("2.10.0") > v("2.9.9"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "v",
            "2",
            "2.4",
            "2.4.1-slim",
            "2.4.1.",
            "a.b.c",
            "2.4.1.1.1",
            "+2.4.1",
        ] {
            assert!(NacosVersion::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn lenient_major() {
        assert!(lenient_is_v3("v3.0.3"));
        assert!(lenient_is_v3("3-weird"));
        assert!(!lenient_is_v3("2.4.1"));
    }
}

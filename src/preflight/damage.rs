//! What went wrong reading a state file: where (the file and the byte offset in it) and why.
//!
//! The byte decoders return a [`Damage`] (offset counted from the start of the bytes they
//! were given); the directory readers attach the file and turn it into a [`ReadFailure`],
//! which becomes [`Verdict::Corrupt`] or [`Verdict::Unreadable`]. Nothing a reader finds
//! wrong may turn into an OK verdict.
//!
//! ```
//! use nacos_chaos::preflight::damage::{Damage, ReadFailure};
//! use nacos_chaos::preflight::Verdict;
//! let d = Damage::at(12, "record claims 900 bytes, 40 left");
//! assert_eq!(d.to_string(), "at byte 12: record claims 900 bytes, 40 left");
//! let v: Verdict = ReadFailure::corrupt("/d/log_1", d).into();
//! assert_eq!((v.exit_code(), v.label()), (4, "CORRUPT"));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use super::verdict::Verdict;

/// Damage found in one file's bytes.
///
/// ```
/// use nacos_chaos::preflight::damage::Damage;
/// assert_eq!(Damage::at(3, "x").shifted(10).offset, Some(13));
/// assert_eq!(Damage::new("x").to_string(), "x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset from the start of the file (or of the bytes decoded), when known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub detail: String,
}

impl Damage {
    /// Damage at a byte offset.
    pub fn at(offset: impl TryInto<u64>, detail: impl Into<String>) -> Self {
        Damage {
            offset: offset.try_into().ok(),
            detail: detail.into(),
        }
    }

    /// Damage with no particular offset (a missing file, a whole-file inconsistency).
    pub fn new(detail: impl Into<String>) -> Self {
        Damage {
            offset: None,
            detail: detail.into(),
        }
    }

    /// The same damage, its offset moved by `base` (the decoded bytes began at `base`).
    pub fn shifted(mut self, base: impl TryInto<u64>) -> Self {
        let base = base.try_into().ok();
        self.offset = match (self.offset, base) {
            (Some(o), Some(b)) => o.checked_add(b),
            _ => None,
        };
        self
    }

    /// Prefix the detail with context.
    ///
    /// ```
    /// use nacos_chaos::preflight::damage::Damage;
    /// assert_eq!(Damage::new("x").context("RaftIndex").detail, "RaftIndex: x");
    /// ```
    pub fn context(mut self, what: &str) -> Self {
        self.detail = format!("{what}: {}", self.detail);
        self
    }
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "at byte {o}: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

impl From<Damage> for String {
    fn from(d: Damage) -> String {
        d.to_string()
    }
}

/// Byte offset of `part` inside `whole`, when `part` is a subslice of it.
///
/// ```
/// use nacos_chaos::preflight::damage::offset_in;
/// let b = [1u8, 2, 3, 4];
/// assert_eq!(offset_in(&b, &b[2..]), Some(2));
/// assert_eq!(offset_in(&b, &[9u8][..]), None);
/// ```
pub fn offset_in(whole: &[u8], part: &[u8]) -> Option<u64> {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    let off = p.checked_sub(w)?;
    let end = off.checked_add(part.len())?;
    (end <= whole.len()).then_some(off as u64)
}

/// Why a group's persisted state could not be judged.
///
/// ```
/// use nacos_chaos::preflight::damage::ReadFailure;
/// let f = ReadFailure::unreadable("/d/index", "permission denied");
/// assert_eq!(f.to_string(), "/d/index: permission denied");
/// assert_eq!(f.path().to_str(), Some("/d/index"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFailure {
    /// The file could not be read at all (I/O error, or no reader for it in this build).
    Unreadable {
        /// File or directory.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The file was read and is damaged, or contradicts the files beside it.
    Corrupt {
        /// File.
        path: PathBuf,
        /// Byte offset in it, when known.
        offset: Option<u64>,
        /// What is wrong.
        detail: String,
    },
}

impl ReadFailure {
    /// A corrupt file.
    pub fn corrupt(path: impl AsRef<Path>, d: Damage) -> Self {
        ReadFailure::Corrupt {
            path: path.as_ref().to_path_buf(),
            offset: d.offset,
            detail: d.detail,
        }
    }

    /// An unreadable file.
    pub fn unreadable(path: impl AsRef<Path>, detail: impl Into<String>) -> Self {
        ReadFailure::Unreadable {
            path: path.as_ref().to_path_buf(),
            detail: detail.into(),
        }
    }

    /// The file named.
    pub fn path(&self) -> &Path {
        match self {
            ReadFailure::Unreadable { path, .. } | ReadFailure::Corrupt { path, .. } => path,
        }
    }
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFailure::Unreadable { path, detail } => write!(f, "{}: {detail}", path.display()),
            ReadFailure::Corrupt {
                path,
                offset: Some(o),
                detail,
            } => write!(f, "{} at byte {o}: {detail}", path.display()),
            ReadFailure::Corrupt {
                path,
                offset: None,
                detail,
            } => write!(f, "{}: {detail}", path.display()),
        }
    }
}

impl std::error::Error for ReadFailure {}

impl From<ReadFailure> for Verdict {
    fn from(f: ReadFailure) -> Verdict {
        match f {
            ReadFailure::Unreadable { .. } => Verdict::Unreadable {
                detail: f.to_string(),
            },
            ReadFailure::Corrupt {
                path,
                offset,
                detail,
            } => Verdict::Corrupt {
                file: path.display().to_string(),
                offset,
                detail,
            },
        }
    }
}

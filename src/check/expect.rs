//! What a suite expects of a check, and whether a verdict meets it.
//!
//! An expectation is a status — `pass` (the default), `fail`, `skip` or `any` — and,
//! optionally, a reason: a regex that the verdict's summary or one of its evidence texts must
//! match. `skip` is met only by a Skip verdict, and a Skip verdict meets only `skip` or `any`:
//! a check that judged nothing never stands in for one that did. In a suite either form works:
//!
//! ```toml
//! [expect]
//! availability = "fail"
//! leader = { status = "fail", reason = "checkpoint\\(s\\) without a leader" }
//! ```
//!
//! ```
//! use nacos_chaos::check::{Expectation, Status, Verdict, Wanted};
//! let e: Expectation = serde_json::from_str(
//!     r#"{"status": "fail", "reason": "without a leader"}"#).unwrap();
//! let v = |status, summary: &str| Verdict { check: "leader".into(), status,
//!     summary: summary.into(), evidence: vec![], metrics: Default::default() };
//! assert_eq!(e.judge(&v(Status::Fail, "1 checkpoint(s) without a leader")), None);
//! assert!(e.judge(&v(Status::Fail, "2 term regression(s)")).unwrap().contains("/without a leader/"));
//! assert!(Expectation::from(Wanted::Pass).judge(&v(Status::Skip, "no operations recorded"))
//!     .unwrap().contains("no operations recorded"));
//! ```

use std::fmt;

use regex::Regex;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Status, Verdict};

/// The status a suite expects of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wanted {
    /// The property holds (the default for a check a suite does not mention).
    #[default]
    Pass,
    /// The property is violated (a known-bad scenario).
    Fail,
    /// The check judges nothing here, on purpose.
    Skip,
    /// Any outcome, including Skip (the check is informational in this suite).
    Any,
}

impl Wanted {
    /// Does a verdict with status `s` have the wanted status?
    ///
    /// ```
    /// use nacos_chaos::check::{Status, Wanted};
    /// assert!(!Wanted::Pass.accepts(Status::Skip));
    /// assert!(!Wanted::Fail.accepts(Status::Skip));
    /// assert!(Wanted::Skip.accepts(Status::Skip) && Wanted::Any.accepts(Status::Skip));
    /// ```
    pub fn accepts(self, s: Status) -> bool {
        matches!(
            (self, s),
            (Wanted::Any, _)
                | (Wanted::Pass, Status::Pass)
                | (Wanted::Fail, Status::Fail)
                | (Wanted::Skip, Status::Skip)
        )
    }

    /// Lower-case word (`pass`, `fail`, `skip`, `any`).
    pub fn word(self) -> &'static str {
        match self {
            Wanted::Pass => "pass",
            Wanted::Fail => "fail",
            Wanted::Skip => "skip",
            Wanted::Any => "any",
        }
    }

    fn parse(s: &str) -> Option<Wanted> {
        Some(match s {
            "pass" => Wanted::Pass,
            "fail" => Wanted::Fail,
            "skip" => Wanted::Skip,
            "any" => Wanted::Any,
            _ => return None,
        })
    }
}

impl From<Status> for Wanted {
    fn from(s: Status) -> Wanted {
        match s {
            Status::Pass => Wanted::Pass,
            Status::Fail => Wanted::Fail,
            Status::Skip => Wanted::Skip,
        }
    }
}

/// A regex over a verdict's summary and evidence texts (unanchored: it may match anywhere).
#[derive(Clone)]
pub struct Reason(Regex);

impl Reason {
    /// Compile a reason; the error is one line saying what is wrong with the pattern.
    ///
    /// ```
    /// use nacos_chaos::check::Reason;
    /// assert!(Reason::new("lost acknowledged write").is_ok());
    /// assert!(Reason::new("(unclosed").unwrap_err().contains("(unclosed"));
    /// ```
    pub fn new(pattern: &str) -> Result<Reason, String> {
        Regex::new(pattern).map(Reason).map_err(|e| {
            // regex's message spans several lines (pattern, caret, error); keep the error.
            let text = e.to_string();
            let why = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid")
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            format!("reason {pattern:?} is not a valid regex: {why}")
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Does the pattern match the verdict's summary or any of its evidence texts?
    pub fn matches(&self, v: &Verdict) -> bool {
        self.0.is_match(&v.summary) || v.evidence.iter().any(|e| self.0.is_match(&e.text))
    }
}

impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.as_str())
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(d)?;
        Reason::new(&pattern).map_err(de::Error::custom)
    }
}

/// What a suite expects of one check. Written to `verdict.json` as
/// `{"status": "fail", "reason": "..."}` (`reason` null when none); read from a plain status
/// string too (suites, and records of schema_version 1).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Expectation {
    /// The wanted status.
    pub status: Wanted,
    /// A regex the verdict's summary or evidence must match (with the wanted status).
    pub reason: Option<Reason>,
}

impl From<Wanted> for Expectation {
    fn from(status: Wanted) -> Self {
        Expectation {
            status,
            reason: None,
        }
    }
}

impl From<Status> for Expectation {
    fn from(status: Status) -> Self {
        Wanted::from(status).into()
    }
}

impl Expectation {
    /// `None` when `v` meets this expectation; otherwise why not, self-contained: the
    /// verdict's summary (a skip's reason, prefixed `skipped:`), or the reason's regex that
    /// matched neither the summary nor the evidence.
    pub fn judge(&self, v: &Verdict) -> Option<String> {
        if !self.status.accepts(v.status) {
            return Some(match v.status {
                Status::Skip => format!("skipped: {}", v.summary),
                _ => v.summary.clone(),
            });
        }
        match &self.reason {
            Some(r) if !r.matches(v) => Some(format!(
                "reason /{}/ matches neither the summary nor the evidence; summary: {}",
                r.as_str(),
                v.summary
            )),
            _ => None,
        }
    }
}

impl fmt::Display for Expectation {
    /// `fail`, or `fail /reason/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status.word())?;
        if let Some(r) = &self.reason {
            write!(f, " /{}/", r.as_str())?;
        }
        Ok(())
    }
}

const CHOICES: &str = "pass, fail, skip or any";

fn wanted<E: de::Error>(s: &str) -> Result<Wanted, E> {
    Wanted::parse(s)
        .ok_or_else(|| E::custom(format!("unknown expectation {s:?}: expected {CHOICES}")))
}

/// A status string whose error names every choice (deserialised on its own so that a TOML
/// error points at the value).
struct WantedField(Wanted);

impl<'de> Deserialize<'de> for WantedField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        wanted(&s).map(WantedField)
    }
}

impl<'de> Deserialize<'de> for Expectation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Expectation;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "{CHOICES}, or a table {{ status = \"fail\", reason = \"<regex>\" }}"
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Expectation, E> {
                wanted(s).map(Expectation::from)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expectation, A::Error> {
                let (mut status, mut reason) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "status" if status.is_some() => {
                            return Err(de::Error::duplicate_field("status"));
                        }
                        "reason" if reason.is_some() => {
                            return Err(de::Error::duplicate_field("reason"));
                        }
                        "status" => status = Some(map.next_value::<WantedField>()?.0),
                        "reason" => reason = Some(map.next_value::<Option<Reason>>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["status", "reason"]));
                        }
                    }
                }
                Ok(Expectation {
                    status: status.ok_or_else(|| de::Error::missing_field("status"))?,
                    reason: reason.flatten(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A check whose verdict did not meet the suite's expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmet {
    /// Check name.
    pub check: String,
    /// What the suite expected.
    pub wanted: Expectation,
    /// What came.
    pub got: Status,
    /// Why that does not meet it ([`Expectation::judge`]).
    pub why: String,
}

impl fmt::Display for Unmet {
    /// `leader: expected fail /without a leader/, got fail — reason ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {} — {}",
            self.check,
            self.wanted,
            status_word(self.got),
            self.why
        )
    }
}

/// Lower-case status word (`pass`, `fail`, `skip`).
pub(crate) fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Evidence;

    fn v(status: Status, summary: &str, evidence: &[&str]) -> Verdict {
        Verdict {
            check: "c".into(),
            status,
            summary: summary.into(),
            evidence: evidence.iter().map(|e| Evidence::text(*e)).collect(),
            metrics: Default::default(),
        }
    }

    fn exp(status: Wanted, reason: Option<&str>) -> Expectation {
        Expectation {
            status,
            reason: reason.map(|r| Reason::new(r).unwrap()),
        }
    }

    #[test]
    fn skip_meets_only_skip_and_any() {
        let skip = v(Status::Skip, "no operations recorded", &[]);
        for w in [Wanted::Pass, Wanted::Fail] {
            let why = exp(w, None).judge(&skip).unwrap();
            assert_eq!(why, "skipped: no operations recorded");
        }
        assert_eq!(exp(Wanted::Skip, None).judge(&skip), None);
        assert_eq!(exp(Wanted::Any, None).judge(&skip), None);
        assert!(
            exp(Wanted::Skip, None)
                .judge(&v(Status::Pass, "ok", &[]))
                .is_some()
        );
    }

    #[test]
    fn a_reason_must_match_the_summary_or_an_evidence_text() {
        let e = exp(Wanted::Fail, Some("lost acknowledged write"));
        assert_eq!(
            e.judge(&v(Status::Fail, "3 lost acknowledged write(s)", &[])),
            None
        );
        assert_eq!(
            e.judge(&v(Status::Fail, "x", &["LOST: 1 lost acknowledged write"])),
            None
        );
        let why = e
            .judge(&v(Status::Fail, "0 lost, 2 phantom value(s)", &["p"]))
            .unwrap();
        assert!(why.contains("/lost acknowledged write/"), "{why}");
        assert!(why.contains("0 lost, 2 phantom"), "{why}");
        // The wrong status is reported as such, whatever the reason.
        let why = e
            .judge(&v(Status::Pass, "lost acknowledged write", &[]))
            .unwrap();
        assert_eq!(why, "lost acknowledged write");
        // A reason under `any` still has to match.
        assert!(
            exp(Wanted::Any, Some("zzz"))
                .judge(&v(Status::Pass, "a", &[]))
                .is_some()
        );
    }

    #[test]
    fn reads_strings_and_tables_and_writes_tables() {
        let plain: Expectation = serde_json::from_str("\"skip\"").unwrap();
        assert_eq!(plain, exp(Wanted::Skip, None));
        let table: Expectation =
            serde_json::from_str(r#"{"status":"fail","reason":"a|b"}"#).unwrap();
        assert_eq!(table, exp(Wanted::Fail, Some("a|b")));
        let null: Expectation = serde_json::from_str(r#"{"status":"any","reason":null}"#).unwrap();
        assert_eq!(null, exp(Wanted::Any, None));
        assert_eq!(
            serde_json::to_string(&table).unwrap(),
            r#"{"status":"fail","reason":"a|b"}"#
        );
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"status":"skip","reason":null}"#
        );
        for bad in [
            "\"maybe\"",
            r#"{"reason":"x"}"#,
            r#"{"status":"fail","why":"x"}"#,
            r#"{"status":"fail","reason":"("}"#,
            "3",
        ] {
            assert!(serde_json::from_str::<Expectation>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Expectation>("\"maybe\"").unwrap_err();
        assert!(e.to_string().contains("pass, fail, skip or any"), "{e}");
    }

    #[test]
    fn display_shows_status_and_reason() {
        assert_eq!(exp(Wanted::Fail, Some("x+")).to_string(), "fail /x+/");
        let u = Unmet {
            check: "leader".into(),
            wanted: exp(Wanted::Pass, None),
            got: Status::Skip,
            why: "skipped: nothing".into(),
        };
        assert_eq!(
            u.to_string(),
            "leader: expected pass, got skip — skipped: nothing"
        );
    }
}

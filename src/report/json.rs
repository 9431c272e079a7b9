//! `verdict.json`: the full run record, and the JSON Schema that describes it.
//!
//! The schema lives in `results/verdict.schema.json` (committed, documented) and is compiled
//! into the library; [`validate`] interprets the subset of JSON Schema it uses, so the schema
//! file is the single source of the rules.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::record::RunRecord;
use crate::error::{Error, Result};

/// The schema text, as committed in `results/verdict.schema.json`.
const SCHEMA_TEXT: &str = include_str!("../../results/verdict.schema.json");

/// File name of the record in a run's results directory.
///
/// ```
/// assert_eq!(nacos_chaos::report::VERDICT_FILE, "verdict.json");
/// ```
pub const VERDICT_FILE: &str = "verdict.json";

/// Write `verdict.json` (the full record, pretty-printed) into `dir`, creating `dir`.
///
/// ```
/// use nacos_chaos::report::{write_verdict_json, RunRecord};
/// let dir = tempfile::tempdir().unwrap();
/// let path = write_verdict_json(&RunRecord::example(), dir.path()).unwrap();
/// assert!(path.ends_with("verdict.json"));
/// ```
pub fn write_verdict_json(record: &RunRecord, dir: &Path) -> Result<PathBuf> {
    let text = serde_json::to_string_pretty(record).map_err(|e| {
        Error::io(
            "serialise verdict for",
            dir.join(VERDICT_FILE),
            std::io::Error::other(e),
        )
    })?;
    super::write_file(dir, VERDICT_FILE, &(text + "\n"))
}

/// The JSON Schema of `verdict.json` (draft 2020-12), as committed in
/// `results/verdict.schema.json`.
///
/// ```
/// let s = nacos_chaos::report::schema();
/// let versions = s["properties"]["schema_version"]["enum"].as_array().unwrap();
/// assert_eq!(versions.last().unwrap(), nacos_chaos::report::SCHEMA_VERSION);
/// ```
pub fn schema() -> Value {
    serde_json::from_str(SCHEMA_TEXT).expect("results/verdict.schema.json is valid JSON (tested)")
}

/// Read and validate a `verdict.json` file; every failure names the file.
///
/// ```
/// use nacos_chaos::report::{read_verdict_json, write_verdict_json, RunRecord};
/// let dir = tempfile::tempdir().unwrap();
/// let path = write_verdict_json(&RunRecord::example(), dir.path()).unwrap();
/// assert_eq!(read_verdict_json(&path).unwrap(), RunRecord::example());
/// std::fs::write(&path, "{ not json").unwrap();
/// assert!(read_verdict_json(&path).unwrap_err().to_string().contains("verdict.json"));
/// ```
pub fn read_verdict_json(path: &Path) -> Result<RunRecord> {
    let bad = |what: String| {
        Error::io(
            "read verdict",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, what),
        )
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read verdict", path, e))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    validate(&value).map_err(|errs| {
        bad(format!(
            "does not match verdict.schema.json: {}",
            errs.join("; ")
        ))
    })?;
    serde_json::from_value(value).map_err(|e| bad(format!("cannot be read as a run record: {e}")))
}

/// Validate a JSON value against [`schema`]. Returns every violation, each as
/// `<json path>: <problem>`.
///
/// ```
/// use nacos_chaos::report::{validate, RunRecord};
/// let mut v = serde_json::to_value(RunRecord::example()).unwrap();
/// assert!(validate(&v).is_ok());
/// v["flavor"] = "nacos".into();
/// let errs = validate(&v).unwrap_err();
/// assert!(errs[0].starts_with("$.flavor"), "{errs:?}");
/// ```
pub fn validate(value: &Value) -> Result<(), Vec<String>> {
    let schema = schema();
    let mut errs = Vec::new();
    Validator { root: &schema }.check(&schema, value, "$", &mut errs);
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// Interpreter for the schema subset documented in the schema's description.
struct Validator<'a> {
    root: &'a Value,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(want: &str, v: &Value) -> bool {
    let have = type_name(v);
    have == want || (want == "number" && have == "integer")
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

impl<'a> Validator<'a> {
    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let name = reference.strip_prefix("#/$defs/")?;
        self.root.get("$defs")?.get(name)
    }

    fn check(&self, schema: &'a Value, v: &Value, path: &str, errs: &mut Vec<String>) {
        let Some(s) = schema.as_object() else {
            return; // `true` / `{}`-like schemas accept anything
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Some(target) => self.check(target, v, path, errs),
                None => errs.push(format!("{path}: schema error: unresolved $ref {r}")),
            }
        }
        if let Some(t) = s.get("type") {
            let wanted: Vec<&str> = match t {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !wanted.iter().any(|w| type_matches(w, v)) {
                errs.push(format!(
                    "{path}: expected {}, found {} {}",
                    wanted.join(" or "),
                    type_name(v),
                    show(v)
                ));
                return; // further keywords would only repeat the problem
            }
        }
        if let Some(c) = s.get("const")
            && c != v
        {
            errs.push(format!("{path}: expected {c}, found {}", show(v)));
        }
        if let Some(Value::Array(allowed)) = s.get("enum")
            && !allowed.contains(v)
        {
            let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
            errs.push(format!(
                "{path}: {} is not one of {}",
                show(v),
                list.join(", ")
            ));
        }
        if let Some(n) = v.as_f64() {
            if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                && n < min
            {
                errs.push(format!("{path}: {n} is below the minimum {min}"));
            }
            if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                && n > max
            {
                errs.push(format!("{path}: {n} is above the maximum {max}"));
            }
        }
        if let Some(Value::Array(options)) = s.get("anyOf") {
            let ok = options.iter().any(|o| {
                let mut sub = Vec::new();
                self.check(o, v, path, &mut sub);
                sub.is_empty()
            });
            if !ok {
                errs.push(format!(
                    "{path}: {} matches none of the allowed forms",
                    show(v)
                ));
            }
        }
        if let Value::Object(obj) = v {
            self.check_object(s, obj, path, errs);
        }
        if let (Value::Array(items), Some(item_schema)) = (v, s.get("items")) {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{path}[{i}]"), errs);
            }
        }
    }

    fn check_object(
        &self,
        s: &'a Map<String, Value>,
        obj: &Map<String, Value>,
        path: &str,
        errs: &mut Vec<String>,
    ) {
        if let Some(Value::Array(required)) = s.get("required") {
            for key in required.iter().filter_map(Value::as_str) {
                if !obj.contains_key(key) {
                    errs.push(format!("{path}: missing required field \"{key}\""));
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (key, val) in obj {
            let sub = format!("{path}.{key}");
            match (
                props.and_then(|p| p.get(key)),
                s.get("additionalProperties"),
            ) {
                (Some(ps), _) => self.check(ps, val, &sub, errs),
                (None, Some(Value::Bool(false))) => {
                    errs.push(format!("{path}: unknown field \"{key}\""))
                }
                (None, Some(extra @ Value::Object(_))) => self.check(extra, val, &sub, errs),
                (None, _) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Value {
        serde_json::to_value(RunRecord::example()).unwrap()
    }

    #[test]
    fn schema_parses_and_matches_schema_version() {
        let s = schema();
        let versions = s["properties"]["schema_version"]["enum"]
            .as_array()
            .unwrap();
        assert_eq!(versions.last().unwrap(), super::super::SCHEMA_VERSION);
        // Every field a record writes is a property; all are required but those added
        // after schema_version 1 was first written (older records lack them).
        let optional = [
            "boot_memberships",
            "boot_memberships_unread",
            "provision_ms",
            "attempts",
            "configured_members",
            "disk",
        ];
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let fields = example();
        for key in fields.as_object().unwrap().keys() {
            assert!(
                s["properties"].get(key).is_some(),
                "{key} not in the schema"
            );
            assert_eq!(
                required.contains(&key.as_str()),
                !optional.contains(&key.as_str()),
                "{key}"
            );
        }
        assert_eq!(
            required.len() + optional.len(),
            fields.as_object().unwrap().len()
        );
    }

    #[test]
    fn example_record_validates() {
        assert_eq!(validate(&example()), Ok(()));
    }

    #[test]
    fn missing_field_is_named() {
        let mut v = example();
        v.as_object_mut().unwrap().remove("run_id");
        let errs = validate(&v).unwrap_err();
        assert_eq!(
            errs,
            vec!["$: missing required field \"run_id\"".to_string()]
        );
    }

    #[test]
    fn wrong_type_is_named() {
        let mut v = example();
        v["nodes"] = "three".into();
        let errs = validate(&v).unwrap_err();
        assert!(
            errs[0].contains("$.nodes: expected integer, found string"),
            "{errs:?}"
        );
    }

    #[test]
    fn negative_and_fractional_ms_are_rejected() {
        let mut v = example();
        v["duration_ms"] = (-5).into();
        assert!(validate(&v).unwrap_err()[0].contains("below the minimum"));
        v["duration_ms"] = 1.5.into();
        assert!(validate(&v).unwrap_err()[0].contains("expected integer, found number"));
    }

    #[test]
    fn bad_status_enum_is_named_with_allowed_values() {
        let mut v = example();
        v["verdicts"] = serde_json::json!([{ "check": "leader", "status": "maybe",
            "summary": "", "evidence": [], "metrics": {} }]);
        let errs = validate(&v).unwrap_err();
        assert!(
            errs[0].contains(
                "$.verdicts[0].status: \"maybe\" is not one of \"pass\", \"fail\", \"skip\""
            ),
            "{errs:?}"
        );
    }

    #[test]
    fn expectations_are_objects_and_old_plain_strings_still_validate() {
        let mut r = RunRecord::example();
        let fail: crate::check::Expectation =
            serde_json::from_str(r#"{"status": "fail", "reason": "without a leader"}"#).unwrap();
        r.expectations.insert("leader".into(), fail);
        r.expectations
            .insert("durability".into(), crate::check::Wanted::Any.into());
        let mut v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["expectations"],
            serde_json::json!({
                "leader": { "status": "fail", "reason": "without a leader" },
                "durability": { "status": "any", "reason": null },
            })
        );
        assert_eq!(validate(&v), Ok(()));
        let back: RunRecord = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, r);
        // schema_version 1 wrote plain status strings.
        v["schema_version"] = 1.into();
        v["expectations"] = serde_json::json!({ "leader": "fail" });
        assert_eq!(validate(&v), Ok(()));
        for bad in [
            serde_json::json!({ "leader": "maybe" }),
            serde_json::json!({ "leader": { "status": "fail" } }),
            serde_json::json!({ "leader": { "status": "often", "reason": null } }),
        ] {
            v["expectations"] = bad.clone();
            let errs = validate(&v).unwrap_err();
            assert!(
                errs[0].starts_with("$.expectations.leader: "),
                "{bad}: {errs:?}"
            );
        }
    }

    #[test]
    fn unknown_field_and_schema_version_are_rejected() {
        let mut v = example();
        v["extra"] = 1.into();
        v["schema_version"] = 4.into();
        let errs = validate(&v).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("unknown field \"extra\"")));
        assert!(
            errs.iter()
                .any(|e| e.contains("$.schema_version: 4 is not one of 1, 2, 3")),
            "{errs:?}"
        );
    }

    #[test]
    fn every_role_serialises_to_a_valid_form_and_garbage_role_is_not() {
        use crate::cluster::observe::{NodeObservation, Observation};
        use crate::flavor::{GroupView, Role};
        let roles = [
            Role::Leader,
            Role::Follower,
            Role::Candidate,
            Role::NonVoter,
            Role::Other("Learner".into()),
            Role::Unknown,
        ];
        let mut r = RunRecord::example();
        r.observations.push(Observation {
            at_ms: 0,
            wall: std::time::SystemTime::UNIX_EPOCH,
            upgrade: Default::default(),
            nodes: vec![NodeObservation {
                node: "n1".into(),
                peer_id: "1".into(),
                error: None,
                groups: roles
                    .into_iter()
                    .map(|role| GroupView {
                        group: "g".into(),
                        role,
                        term: None,
                        leader: None,
                        members: vec![],
                        learners: vec![],
                        discarded_leader: Some("2".into()),
                    })
                    .collect(),
            }],
        });
        let mut v = serde_json::to_value(&r).unwrap();
        assert_eq!(validate(&v), Ok(()));
        assert_eq!(
            v["observations"][0]["nodes"][0]["groups"][4]["role"]["other"],
            "Learner"
        );
        v["observations"][0]["nodes"][0]["groups"][0]["role"] = "boss".into();
        let errs = validate(&v).unwrap_err();
        assert!(
            errs[0].starts_with("$.observations[0].nodes[0].groups[0].role: \"boss\""),
            "{errs:?}"
        );
    }

    #[test]
    fn attempts_is_written_and_old_records_without_it_still_read() {
        let v = example();
        assert_eq!(v["attempts"], 1, "{v}");
        let mut old = v.clone();
        old.as_object_mut().unwrap().remove("attempts");
        assert_eq!(validate(&old), Ok(()));
        let back: RunRecord = serde_json::from_value(old).unwrap();
        assert_eq!(serde_json::to_value(back).unwrap()["attempts"], 0);
        let mut bad = v;
        bad["attempts"] = (-1).into();
        assert!(validate(&bad).unwrap_err()[0].starts_with("$.attempts"));
    }
}

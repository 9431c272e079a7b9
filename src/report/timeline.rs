//! The run timeline as an inline SVG: Raft roles per node and group over time, fault windows,
//! and probe outcomes per node.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::esc;
use super::record::RunRecord;
use crate::cluster::observe::Observation;
use crate::flavor::Role;
use crate::workload::Outcome;

const LABEL_W: f64 = 190.0;
const PLOT_W: f64 = 900.0;
const RIGHT_PAD: f64 = 24.0;
const LEGEND_H: f64 = 26.0;
const FAULT_LABEL_H: f64 = 30.0;
const LANE_H: f64 = 16.0;
const LANE_GAP: f64 = 4.0;
const SECTION_GAP: f64 = 10.0;
const AXIS_H: f64 = 28.0;

const STYLE: &str = "text{font:11px sans-serif;fill:#222}.lane{fill:#f4f4f4}\
.seg.leader{fill:#1d6fd8}.seg.follower{fill:#8fb8ec}.seg.candidate{fill:#f2a93b}\
.seg.learner{fill:#b59ad9}.seg.unknown{fill:#c9c9c9}.seg.unreachable{fill:#444}\
.fault{fill:#d33;fill-opacity:.13;stroke:#d33;stroke-opacity:.6;stroke-dasharray:4 3}\
.fault-label{fill:#a11;font-weight:bold}.grid{stroke:#ddd}.axis{stroke:#888}\
line{stroke-width:1.5}.probe-ok{stroke:#1a9b3c}.probe-fail{stroke:#d42020}\
.probe-unknown{stroke:#d42020;stroke-dasharray:2 1}.lane-label{font-size:11px}\
.axis-end{font-weight:bold}";

/// Legend entries: (css class of a swatch, label).
const LEGEND: &[(&str, &str)] = &[
    ("seg leader", "leader"),
    ("seg follower", "follower"),
    ("seg candidate", "candidate"),
    ("seg learner", "learner"),
    ("seg unknown", "unknown / not reported"),
    ("lane", "not observed"),
    ("seg unreachable", "unreachable"),
    ("fault", "fault window"),
];

/// Build the run's timeline as a standalone `<svg>` element (inline styles, no script).
///
/// x is milliseconds since the scenario started; the axis spans its `duration_ms` (image
/// provisioning is not part of it) and its end is labelled with that duration
/// (`<text class="axis-end" data-ms="…">`). Lanes, top to bottom:
/// - one per Raft group × node (`class="lane role-lane"`), coloured by the node's role from
///   each observation until the next one (the last holds until the end of the run);
/// - one per node (`class="lane probe-lane"`) with a tick per client operation at its start:
///   green (upper half) for ok, red (lower half) for refused, dashed red for indeterminate.
///
/// Fault windows are shaded across every lane (`class="fault"`), labelled with id and kind;
/// a window never healed extends to the end. Every shape has a `<title>` tooltip.
///
/// ```
/// use nacos_chaos::report::{timeline_svg, RunRecord};
/// let svg = timeline_svg(&RunRecord::example());
/// assert!(svg.starts_with("<svg"));
/// assert!(svg.ends_with("</svg>"));
/// ```
pub fn timeline_svg(record: &RunRecord) -> String {
    let mut obs: Vec<&Observation> = record.observations.iter().collect();
    obs.sort_by_key(|o| o.at_ms);
    let t_end = end_ms(record).max(1);
    let nodes = node_order(record);
    let groups: BTreeSet<&str> = obs
        .iter()
        .flat_map(|o| &o.nodes)
        .flat_map(|n| &n.groups)
        .map(|g| g.group.as_str())
        .collect();
    let x = |t: u64| LABEL_W + (t.min(t_end) as f64) * PLOT_W / (t_end as f64);

    let lanes_top = LEGEND_H + FAULT_LABEL_H;
    let role_lane_count = groups.len() * nodes.len();
    let probes_top = lanes_top
        + role_lane_count as f64 * (LANE_H + LANE_GAP)
        + if role_lane_count > 0 {
            SECTION_GAP
        } else {
            0.0
        };
    let lanes_bottom = probes_top + nodes.len() as f64 * (LANE_H + LANE_GAP);
    let width = LABEL_W + PLOT_W + RIGHT_PAD;
    let height = lanes_bottom + AXIS_H;

    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"run timeline\"><style>{STYLE}</style>"
    );
    legend(&mut s);
    axis(&mut s, t_end, lanes_top, lanes_bottom, &x);

    role_lanes(&mut s, &obs, &groups, &nodes, lanes_top, t_end, &x);
    probe_lanes(&mut s, record, &nodes, probes_top, &x);
    fault_bands(&mut s, record, t_end, (lanes_top, lanes_bottom), &x);
    s.push_str("</svg>");
    s
}

/// One lane per group and node: the node's role in the group over time.
fn role_lanes(
    s: &mut String,
    obs: &[&Observation],
    groups: &BTreeSet<&str>,
    nodes: &[String],
    top: f64,
    t_end: u64,
    x: &dyn Fn(u64) -> f64,
) {
    let mut y = top;
    for group in groups {
        for node in nodes {
            let _ = write!(
                s,
                "<text class=\"lane-label\" x=\"4\" y=\"{}\">{} · {}</text>\
                 <rect class=\"lane role-lane\" data-node=\"{}\" data-group=\"{}\" x=\"{LABEL_W}\" \
                 y=\"{y}\" width=\"{PLOT_W}\" height=\"{LANE_H}\"/>",
                y + LANE_H - 4.0,
                esc(node),
                esc(group),
                esc(node),
                esc(group)
            );
            for (from, to, class, detail) in segments(obs, node, group, t_end) {
                let _ = write!(
                    s,
                    "<rect class=\"seg {class}\" x=\"{:.1}\" y=\"{y}\" width=\"{:.1}\" \
                     height=\"{LANE_H}\"><title>{} · {}: {} ({from}–{to} ms)</title></rect>",
                    x(from),
                    (x(to) - x(from)).max(1.0),
                    esc(node),
                    esc(group),
                    esc(&detail)
                );
            }
            y += LANE_H + LANE_GAP;
        }
    }
}

/// One lane per node: a tick per operation sent to it, up for ok, down for fail or unknown.
fn probe_lanes(
    s: &mut String,
    record: &RunRecord,
    nodes: &[String],
    top: f64,
    x: &dyn Fn(u64) -> f64,
) {
    let mut y = top;
    for node in nodes {
        let _ = write!(
            s,
            "<text class=\"lane-label\" x=\"4\" y=\"{}\">{} · probes</text>\
             <rect class=\"lane probe-lane\" data-node=\"{}\" x=\"{LABEL_W}\" y=\"{y}\" \
             width=\"{PLOT_W}\" height=\"{LANE_H}\"/>",
            y + LANE_H - 4.0,
            esc(node),
            esc(node)
        );
        for op in record
            .history
            .by_start()
            .into_iter()
            .filter(|o| &o.node == node)
        {
            let (class, y1, y2) = match op.outcome {
                Outcome::Ok => ("probe-ok", y + 1.0, y + LANE_H / 2.0),
                Outcome::Fail => ("probe-fail", y + LANE_H / 2.0, y + LANE_H - 1.0),
                Outcome::Unknown => ("probe-unknown", y + LANE_H / 2.0, y + LANE_H - 1.0),
            };
            let status = op.status.map(|c| format!(" HTTP {c}")).unwrap_or_default();
            let err = op
                .error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            let xx = x(op.start_ms);
            let _ = write!(
                s,
                "<line class=\"{class}\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{y1}\" y2=\"{y2}\">\
                 <title>#{} {} {:?} {} via {} ({}–{} ms){status}{}</title></line>",
                op.id,
                esc(&op.node),
                op.outcome,
                esc(&format!("{:?}", op.kind)),
                esc(&op.client),
                op.start_ms,
                op.end_ms,
                esc(&err)
            );
        }
        y += LANE_H + LANE_GAP;
    }
}

/// Fault windows, shaded across every lane, labels staggered on two rows.
fn fault_bands(
    s: &mut String,
    record: &RunRecord,
    t_end: u64,
    (lanes_top, lanes_bottom): (f64, f64),
    x: &dyn Fn(u64) -> f64,
) {
    for (i, f) in record.faults.iter().enumerate() {
        let end = f.end_ms.unwrap_or(t_end);
        let (x0, x1) = (x(f.start_ms), x(end));
        let healed = match f.end_ms {
            Some(e) => format!("{}–{e} ms", f.start_ms),
            None => format!("from {} ms, not healed", f.start_ms),
        };
        let label_y = LEGEND_H + 12.0 + (i % 2) as f64 * 13.0;
        let _ = write!(
            s,
            "<rect class=\"fault\" data-fault=\"{}\" x=\"{x0:.1}\" y=\"{lanes_top}\" \
             width=\"{:.1}\" height=\"{}\"><title>{} {}: {} on {} ({healed})</title></rect>\
             <text class=\"fault-label\" x=\"{x0:.1}\" y=\"{label_y}\">{} {}{}{}</text>",
            esc(&f.id),
            (x1 - x0).max(2.0),
            lanes_bottom - lanes_top - LANE_GAP,
            esc(&f.id),
            esc(&f.kind),
            esc(&f.description),
            esc(&f.targets.join(", ")),
            esc(&f.id),
            esc(&f.kind),
            if f.targets.is_empty() {
                String::new()
            } else {
                format!(" → {}", esc(&f.targets.join(", ")))
            },
            if f.end_ms.is_none() {
                " (not healed)"
            } else {
                ""
            }
        );
    }
}

/// The time the timeline spans: the scenario's duration (`duration_ms`, which excludes image
/// provisioning), or when it was not recorded (an aborted run), the latest recorded event.
/// Anything recorded after `duration_ms` is drawn at the end.
fn end_ms(r: &RunRecord) -> u64 {
    if r.duration_ms > 0 {
        return r.duration_ms;
    }
    let obs = r.observations.iter().map(|o| o.at_ms);
    let faults = r.faults.iter().map(|f| f.end_ms.unwrap_or(f.start_ms));
    let ops = r.history.ops.iter().map(|o| o.end_ms);
    let steps = r.steps.iter().map(|s| s.end_ms);
    obs.chain(faults).chain(ops).chain(steps).fold(0, u64::max)
}

/// Nodes in first-seen order: observed nodes first, then nodes only the history names.
fn node_order(r: &RunRecord) -> Vec<String> {
    let mut nodes: Vec<String> = Vec::new();
    let seen = r
        .observations
        .iter()
        .flat_map(|o| o.nodes.iter().map(|n| &n.node))
        .chain(r.history.ops.iter().map(|o| &o.node));
    for n in seen {
        if !nodes.contains(n) {
            nodes.push(n.clone());
        }
    }
    nodes
}

/// Minimum time one observation is taken to describe the cluster (polls are 100 ms apart);
/// twice the median gap between observations if that is longer.
const HOLD_MS: u64 = 2000;

/// Role segments `(from_ms, to_ms, css class, detail)` of one node in one group; consecutive
/// observations with the same state are merged; moments the node was not observed are gaps.
fn segments(
    obs: &[&Observation],
    node: &str,
    group: &str,
    t_end: u64,
) -> Vec<(u64, u64, &'static str, String)> {
    let mut out: Vec<(u64, u64, &'static str, String)> = Vec::new();
    // Sparse records (observations seconds apart by design) hold longer.
    let mut gaps: Vec<u64> = obs
        .windows(2)
        .map(|w| w[1].at_ms.saturating_sub(w[0].at_ms))
        .collect();
    gaps.sort_unstable();
    let hold = gaps
        .get(gaps.len() / 2)
        .map_or(HOLD_MS, |g| (2 * g).max(HOLD_MS));
    for (i, o) in obs.iter().enumerate() {
        // A state is drawn until the next observation, but never more than HOLD_MS past
        // its own: stretches nobody observed stay blank instead of showing a stale role.
        let to = obs
            .get(i + 1)
            .map_or(t_end, |n| n.at_ms)
            .min(o.at_ms + hold)
            .max(o.at_ms);
        let Some(n) = o.nodes.iter().find(|n| n.node == node) else {
            continue;
        };
        let (class, detail) = match (&n.error, n.group(group)) {
            (Some(e), _) => ("unreachable", format!("unreachable: {e}")),
            (None, None) => ("unknown", "group not reported".to_string()),
            (None, Some(g)) => {
                let (class, name) = match &g.role {
                    Role::Leader => ("leader", "leader".to_string()),
                    Role::Follower => ("follower", "follower".to_string()),
                    Role::Candidate => ("candidate", "candidate".to_string()),
                    Role::NonVoter => ("learner", "learner".to_string()),
                    Role::Other(t) => ("unknown", format!("role {t}")),
                    Role::Unknown => ("unknown", "role not exposed".to_string()),
                };
                let term = g.term.map(|t| format!(", term {t}")).unwrap_or_default();
                let leader = g.leader.as_deref().unwrap_or("none");
                (class, format!("{name}{term}, leader {leader}"))
            }
        };
        match out.last_mut() {
            Some(last) if last.1 == o.at_ms && last.2 == class && last.3 == detail => last.1 = to,
            _ => out.push((o.at_ms, to, class, detail)),
        }
    }
    out
}

fn legend(s: &mut String) {
    let mut lx = 4.0;
    for (class, label) in LEGEND {
        let _ = write!(
            s,
            "<rect class=\"{class} swatch\" x=\"{lx}\" y=\"6\" width=\"12\" height=\"12\"/>\
             <text x=\"{}\" y=\"16\">{}</text>",
            lx + 16.0,
            esc(label)
        );
        lx += 26.0 + label.len() as f64 * 6.0;
    }
    for (class, label, y1, y2) in [
        ("probe-ok", "probe ok", 6.0, 12.0),
        ("probe-fail", "probe refused", 12.0, 18.0),
        ("probe-unknown", "probe indeterminate", 12.0, 18.0),
    ] {
        let _ = write!(
            s,
            "<line class=\"{class} swatch\" x1=\"{lx}\" x2=\"{lx}\" y1=\"{y1}\" y2=\"{y2}\" \
             stroke-width=\"2\"/><text x=\"{}\" y=\"16\">{label}</text>",
            lx + 6.0
        );
        lx += 16.0 + label.len() as f64 * 6.0;
    }
}

/// Gridlines and a time axis with 1/2/5×10^k steps.
fn axis(s: &mut String, t_end: u64, top: f64, bottom: f64, x: &dyn Fn(u64) -> f64) {
    let raw = (t_end as f64 / 8.0).max(1.0);
    let pow = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * pow)
        .find(|st| *st >= raw)
        .unwrap_or(10.0 * pow)
        .max(1.0) as u64;
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{LABEL_W}\" x2=\"{}\" y1=\"{bottom}\" y2=\"{bottom}\"/>",
        LABEL_W + PLOT_W
    );
    let mut t = 0;
    while t <= t_end {
        let xx = x(t);
        // The end label says the span; a tick too close to it gives way.
        if t > 0 && (t_end - t) * 12 < t_end {
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{top}\" y2=\"{bottom}\"/>"
            );
            t += step;
            continue;
        }
        let label = if step >= 1000 {
            format!("{} s", t as f64 / 1000.0)
        } else {
            format!("{t} ms")
        };
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{top}\" y2=\"{bottom}\"/>\
             <text x=\"{xx:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            bottom + 16.0
        );
        t += step;
    }
    let xe = x(t_end);
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{xe:.1}\" x2=\"{xe:.1}\" y1=\"{top}\" y2=\"{}\"/>\
         <text class=\"axis-end\" data-ms=\"{t_end}\" x=\"{xe:.1}\" y=\"{}\" \
         text-anchor=\"end\">{}</text>",
        bottom + 4.0,
        bottom + 16.0,
        super::fmt::fmt_ms(t_end)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::observe::NodeObservation;
    use crate::flavor::GroupView;
    use std::time::SystemTime;

    fn obs(at_ms: u64, roles: &[Option<Role>]) -> Observation {
        Observation {
            at_ms,
            wall: SystemTime::UNIX_EPOCH,
            upgrade: Default::default(),
            nodes: roles
                .iter()
                .enumerate()
                .map(|(i, r)| NodeObservation {
                    node: format!("n{}", i + 1),
                    peer_id: (i + 1).to_string(),
                    groups: r
                        .iter()
                        .map(|role| GroupView {
                            group: "g".into(),
                            role: role.clone(),
                            term: Some(1),
                            leader: Some("1".into()),
                            members: vec![],
                            learners: vec![],
                            discarded_leader: None,
                        })
                        .collect(),
                    error: r.is_none().then(|| "refused".to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn unobserved_stretches_stay_blank() {
        let mut o: Vec<Observation> = (0..10)
            .map(|i| obs(i * 100, &[Some(Role::Leader)]))
            .collect();
        o.push(obs(20_000, &[Some(Role::Candidate)]));
        let refs: Vec<&Observation> = o.iter().collect();
        let n1 = segments(&refs, "n1", "g", 21_000);
        // The leader role is held 2 s past the last poll, not across the 19 s nobody looked.
        assert_eq!((n1[0].0, n1[0].1, n1[0].2), (0, 2_900, "leader"));
        assert_eq!((n1[1].0, n1[1].2), (20_000, "candidate"));
    }

    #[test]
    fn equal_states_merge_and_changes_split() {
        let o = [
            obs(0, &[Some(Role::Leader), Some(Role::Follower)]),
            obs(100, &[Some(Role::Leader), None]),
            obs(200, &[Some(Role::Leader), Some(Role::Follower)]),
        ];
        let refs: Vec<&Observation> = o.iter().collect();
        let n1 = segments(&refs, "n1", "g", 500);
        assert_eq!(n1.len(), 1);
        assert_eq!((n1[0].0, n1[0].1, n1[0].2), (0, 500, "leader"));
        let n2: Vec<_> = segments(&refs, "n2", "g", 500)
            .into_iter()
            .map(|s| (s.0, s.1, s.2))
            .collect();
        assert_eq!(
            n2,
            vec![
                (0, 100, "follower"),
                (100, 200, "unreachable"),
                (200, 500, "follower")
            ]
        );
    }

    #[test]
    fn axis_spans_the_scenario_not_provisioning() {
        let mut r = RunRecord::example();
        r.duration_ms = 26_711;
        r.provision_ms = 600_000;
        let svg = timeline_svg(&r);
        assert!(
            svg.contains("data-ms=\"26711\"") && svg.contains(">26.7 s</text>"),
            "{svg}"
        );
        let end = format!("x=\"{:.1}\"", LABEL_W + PLOT_W);
        assert!(svg.contains(&format!("class=\"axis-end\" data-ms=\"26711\" {end}")));
        // The 25 s tick is too close to the end label to carry its own.
        assert!(
            svg.contains(">20 s</text>") && !svg.contains(">25 s</text>"),
            "{svg}"
        );
    }

    #[test]
    fn unhealed_fault_extends_to_end_and_is_labelled() {
        let mut r = RunRecord::example();
        r.duration_ms = 1000;
        r.faults.push(crate::fault::FaultWindow {
            id: "f1".into(),
            kind: "ip_change".into(),
            description: "new IP".into(),
            targets: vec!["n2".into()],
            start_ms: 500,
            end_ms: None,
            proof: vec![],
            heal_proof: vec![],
        });
        let svg = timeline_svg(&r);
        assert!(svg.contains("f1 ip_change → n2 (not healed)"), "{svg}");
        let expected_w = format!("width=\"{:.1}\"", PLOT_W / 2.0);
        assert!(svg.contains(&expected_w), "{svg}");
    }
}

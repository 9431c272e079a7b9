//! Numbers for people: durations in ms or s, ratios as percentages, other figures to three
//! significant digits. Used by every human-facing report (HTML, Markdown, index page);
//! `verdict.json` keeps the exact values.

/// A duration: `850 ms`, `6.39 s`, `26.7 s`, `125 s`, `12 min 5 s`.
///
/// ```
/// use nacos_chaos::report::fmt_ms;
/// assert_eq!(fmt_ms(850), "850 ms");
/// assert_eq!(fmt_ms(6395), "6.39 s");
/// assert_eq!(fmt_ms(26_711), "26.7 s");
/// assert_eq!(fmt_ms(725_000), "12 min 5 s");
/// ```
pub fn fmt_ms(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..10_000 => format!("{} s", trim(&format!("{:.2}", ms as f64 / 1000.0))),
        10_000..100_000 => format!("{} s", trim(&format!("{:.1}", ms as f64 / 1000.0))),
        100_000..600_000 => format!("{} s", (ms as f64 / 1000.0).round()),
        _ => {
            let s = (ms as f64 / 1000.0).round() as u64;
            format!("{} min {} s", s / 60, s % 60)
        }
    }
}

/// A ratio in 0..=1 as a percentage to three significant digits (`76.4%`, `100%`); a ratio
/// below 1 never shows as `100%` (`>99.9%`).
///
/// ```
/// use nacos_chaos::report::fmt_ratio;
/// assert_eq!(fmt_ratio(0.7638888888888888), "76.4%");
/// assert_eq!(fmt_ratio(1.0), "100%");
/// assert_eq!(fmt_ratio(0.125), "12.5%");
/// assert_eq!(fmt_ratio(0.99996), ">99.9%");
/// assert_eq!(fmt_ratio(0.0), "0%");
/// ```
pub fn fmt_ratio(r: f64) -> String {
    let p = sig3(r * 100.0);
    if r < 1.0 && p == "100" {
        return ">99.9%".into();
    }
    format!("{p}%")
}

/// A metric by its name: `*_ms` (or `*_ms.<part>`) as a duration, `*ratio*` as a
/// percentage, whole numbers as integers, anything else to three significant digits.
///
/// ```
/// use nacos_chaos::report::fmt_metric;
/// assert_eq!(fmt_metric("longest_outage_ms.publish_config", 52745.0), "52.7 s");
/// assert_eq!(fmt_metric("success_ratio.writes", 0.7638888888888888), "76.4%");
/// assert_eq!(fmt_metric("ops", 123.0), "123");
/// assert_eq!(fmt_metric("mean_lag", 2.0 / 3.0), "0.667");
/// ```
pub fn fmt_metric(name: &str, v: f64) -> String {
    let base = name.split('.').next().unwrap_or(name);
    if !v.is_finite() {
        return v.to_string();
    }
    if base.ends_with("_ms") && v >= 0.0 {
        return fmt_ms(v.round() as u64);
    }
    if base.contains("ratio") && (0.0..=1.0).contains(&v) {
        return fmt_ratio(v);
    }
    sig3(v)
}

/// Three significant digits after the point at most; whole numbers as integers (`123`,
/// `0.667`, `1235`).
fn sig3(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (2 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if decimals == 0 { s } else { trim(&s) }
}

/// Drop trailing zeros (and a trailing point) of a decimal.
fn trim(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_figures() {
        assert_eq!(fmt_ms(0), "0 ms");
        assert_eq!(fmt_ms(1000), "1 s");
        assert_eq!(fmt_ms(9_999), "10 s");
        assert_eq!(fmt_ms(100_000), "100 s");
        assert_eq!(fmt_metric("max_time_to_leader_ms", 6395.0), "6.39 s");
        assert_eq!(fmt_metric("x", 0.000123456), "0.000123");
        assert_eq!(fmt_metric("x", 1234.5678), "1235");
        assert_eq!(fmt_metric("x", -0.5), "-0.5");
        assert_eq!(fmt_metric("success_ratio", 0.999), "99.9%");
        assert_eq!(fmt_metric("success_ratio", 0.875), "87.5%");
        assert_eq!(fmt_metric("x", f64::NAN), "NaN");
    }
}

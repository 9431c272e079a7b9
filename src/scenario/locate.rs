//! Where a key or value sits in suite text, so that semantic errors (found after
//! deserialisation, where spans are gone) still name `file:line:column`.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a path into a TOML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    /// A key of a table: points at the key.
    Key(&'a str),
    /// The value of the key before: points at the value.
    Value,
    /// Element `n` of an array (of a single value: the value itself, for `n == 0`).
    Index(usize),
}

/// The span of the deepest part of `path` present in `text` (`None`: not even the first).
///
/// ```ignore
/// let text = "[cluster]\nnodes = 4\n";
/// assert_eq!(locate(text, &[Seg::Key("cluster"), Seg::Key("nodes")]), Some(10..15));
/// ```
pub(crate) fn locate(text: &str, path: &[Seg<'_>]) -> Option<Range<usize>> {
    let doc = DeTable::parse(text).ok()?;
    let span = doc.span();
    let root = Spanned::new(span, DeValue::Table(doc.into_inner()));
    let mut cur = &root;
    let mut best = None;
    for seg in path {
        match (seg, cur.get_ref()) {
            (Seg::Key(k), DeValue::Table(t)) => {
                let Some((key, value)) = t.get_key_value(*k) else {
                    break;
                };
                best = Some(key.span());
                cur = value;
            }
            (Seg::Value, _) => best = Some(cur.span()),
            (Seg::Index(n), DeValue::Array(a)) => {
                let Some(v) = a.get(*n) else {
                    break;
                };
                best = Some(v.span());
                cur = v;
            }
            (Seg::Index(0), _) => best = Some(cur.span()),
            _ => break,
        }
    }
    best
}

/// 1-based line and column (in characters) of byte `offset`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::Seg::*;
    use super::*;

    const TEXT: &str = "name = \"t\"\n[cluster]\nnodes = 4\n[[steps]]\naction = \"start\"\n[[steps]]\naction = \"upgrade\"\norder = [\"n1\", \"n4\"]\nfault = { kind = \"kill\", nodes = \"n9\" }\n";

    fn at(path: &[Seg<'_>]) -> Option<(usize, usize)> {
        locate(TEXT, path).map(|s| line_col(TEXT, s.start))
    }

    #[test]
    fn keys_values_and_elements() {
        assert_eq!(at(&[Key("cluster"), Key("nodes")]), Some((3, 1)));
        assert_eq!(at(&[Key("cluster"), Key("nodes"), Value]), Some((3, 9)));
        assert_eq!(at(&[Key("steps"), Index(1), Key("action")]), Some((7, 1)));
        assert_eq!(
            at(&[Key("steps"), Index(1), Key("order"), Index(1)]),
            Some((8, 16))
        );
        // A single value stands for a one-element list.
        assert_eq!(
            at(&[Key("steps"), Index(1), Key("fault"), Key("nodes"), Index(0)]),
            Some((9, 34))
        );
    }

    #[test]
    fn missing_parts_fall_back_to_the_deepest_found() {
        assert_eq!(at(&[Key("cluster"), Key("identity")]), Some((2, 2)));
        assert_eq!(
            at(&[Key("steps"), Index(1), Key("order"), Index(7)]),
            Some((8, 1))
        );
        assert_eq!(at(&[Key("nope")]), None);
        assert_eq!(locate("not = [toml", &[Key("not")]), None);
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("é = 1\nx", 7), (2, 1));
        assert_eq!(line_col("aé", 2), (1, 2));
    }
}

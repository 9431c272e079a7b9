//! A minimal, allocation-light protobuf wire-format reader.
//!
//! Why hand-written rather than `prost`: `prost` is not in this crate's dependency graph,
//! the messages we need are tiny (a handful of varint / length-delimited fields), and a
//! reader that returns an error — never panics — on every truncated or malformed byte is
//! exactly what an offline inspector of possibly-damaged files needs. Unknown fields are
//! skipped, so newer writers with extra fields still decode.
//!
//! ```
//! use nacos_chaos::preflight::proto::{Field, Fields};
//! // field 1 = varint 150, field 2 = "hi"
//! let bytes = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i'];
//! let fields: Vec<_> = Fields::new(&bytes).collect::<Result<_, _>>().unwrap();
//! assert_eq!(fields[0], (1, Field::Varint(150)));
//! assert_eq!(fields[1], (2, Field::Bytes(b"hi")));
//! ```

use super::damage::Damage;

/// One decoded field value (groups, wire types 3/4, are rejected as malformed).
///
/// ```
/// use nacos_chaos::preflight::proto::Field;
/// assert_eq!(Field::Varint(7).as_u64(), Some(7));
/// assert_eq!(Field::Bytes(b"x").as_u64(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2 (string, bytes, sub-message, packed repeated).
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

impl<'a> Field<'a> {
    /// The integer value of a varint or fixed field.
    ///
    /// ```
    /// use nacos_chaos::preflight::proto::Field;
    /// assert_eq!(Field::Fixed64(9).as_u64(), Some(9));
    /// ```
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Field::Varint(v) | Field::Fixed64(v) => Some(v),
            Field::Fixed32(v) => Some(u64::from(v)),
            Field::Bytes(_) => None,
        }
    }

    /// The payload of a length-delimited field.
    ///
    /// ```
    /// use nacos_chaos::preflight::proto::Field;
    /// assert_eq!(Field::Bytes(b"ab").as_bytes(), Some(&b"ab"[..]));
    /// ```
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Field::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// Read one base-128 varint from the front of `buf`; returns the value and bytes consumed.
///
/// ```
/// use nacos_chaos::preflight::proto::read_varint;
/// assert_eq!(read_varint(&[0xAC, 0x02]).unwrap(), (300, 2));
/// assert!(read_varint(&[0x80]).is_err()); // truncated
/// ```
pub fn read_varint(buf: &[u8]) -> Result<(u64, usize), String> {
    let mut value: u64 = 0;
    for (i, &b) in buf.iter().enumerate() {
        if i >= 10 {
            return Err("varint longer than 10 bytes".into());
        }
        value |= u64::from(b & 0x7F) << (7 * i as u32);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(format!("truncated varint after {} byte(s)", buf.len()))
}

/// Iterator over `(field number, value)` pairs of one message; yields an error (and then
/// stops) at the first malformed or truncated field.
///
/// ```
/// use nacos_chaos::preflight::proto::Fields;
/// let bad = [0x12, 0x05, b'a']; // length 5, only 1 byte present
/// assert!(Fields::new(&bad).next().unwrap().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    last: usize,
    failed: bool,
}

impl<'a> Fields<'a> {
    /// Iterate the fields of `buf`.
    ///
    /// ```
    /// use nacos_chaos::preflight::proto::Fields;
    /// assert_eq!(Fields::new(&[]).count(), 0);
    /// ```
    pub fn new(buf: &'a [u8]) -> Self {
        Fields {
            buf,
            pos: 0,
            last: 0,
            failed: false,
        }
    }

    /// Offset (in the buffer) of the field most recently yielded or rejected.
    ///
    /// ```
    /// use nacos_chaos::preflight::proto::Fields;
    /// let mut f = Fields::new(&[0x08, 1, 0x10, 2]);
    /// f.next();
    /// f.next();
    /// assert_eq!(f.last_offset(), 2);
    /// ```
    pub fn last_offset(&self) -> usize {
        self.last
    }

    fn step(&mut self) -> Result<(u32, Field<'a>), String> {
        let at = self.pos;
        self.last = at;
        let (key, n) =
            read_varint(&self.buf[self.pos..]).map_err(|e| format!("at byte {at}: {e}"))?;
        self.pos += n;
        let field_no =
            u32::try_from(key >> 3).map_err(|_| format!("at byte {at}: field number too large"))?;
        if field_no == 0 {
            return Err(format!("at byte {at}: field number 0 is invalid"));
        }
        let rest = &self.buf[self.pos..];
        let value = match key & 7 {
            0 => {
                let (v, n) = read_varint(rest).map_err(|e| format!("field {field_no}: {e}"))?;
                self.pos += n;
                Field::Varint(v)
            }
            1 => {
                let b: [u8; 8] = rest
                    .get(..8)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(|| format!("field {field_no}: truncated fixed64"))?;
                self.pos += 8;
                Field::Fixed64(u64::from_le_bytes(b))
            }
            2 => {
                let (len, n) = read_varint(rest).map_err(|e| format!("field {field_no}: {e}"))?;
                let start = n;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|l| start.checked_add(l))
                    .filter(|&e| e <= rest.len())
                    .ok_or_else(|| {
                        format!(
                            "field {field_no}: length {len} exceeds the {} byte(s) left (truncated?)",
                            rest.len().saturating_sub(start)
                        )
                    })?;
                self.pos += end;
                Field::Bytes(&rest[start..end])
            }
            5 => {
                let b: [u8; 4] = rest
                    .get(..4)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(|| format!("field {field_no}: truncated fixed32"))?;
                self.pos += 4;
                Field::Fixed32(u32::from_le_bytes(b))
            }
            w => {
                return Err(format!(
                    "at byte {at}: unsupported wire type {w} (field {field_no})"
                ));
            }
        };
        Ok((field_no, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Field<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let r = self.step();
        self.failed = r.is_err();
        Some(r)
    }
}

/// Visit every field of `msg`, a message that begins at byte `base` of its file. The first
/// malformed field, or the first error `f` returns, becomes a [`Damage`]; an error without an
/// offset is placed at the start of the field being visited.
///
/// ```
/// use nacos_chaos::preflight::proto::{visit, int};
/// let mut sum = 0;
/// visit(&[0x08, 2, 0x10, 3], 0, |_, v, _| { sum += int(1, v)?; Ok(()) }).unwrap();
/// assert_eq!(sum, 5);
/// let e = visit(&[0x08, 2, 0x12, 9], 100, |_, _, _| Ok(())).unwrap_err();
/// assert_eq!(e.offset, Some(102));
/// ```
pub fn visit<'a>(
    msg: &'a [u8],
    base: u64,
    mut f: impl FnMut(u32, Field<'a>, u64) -> Result<(), Damage>,
) -> Result<(), Damage> {
    let mut it = Fields::new(msg);
    while let Some(next) = it.next() {
        let at = base.saturating_add(it.last_offset() as u64);
        let (no, v) = next.map_err(|e| Damage::at(at, e))?;
        f(no, v, at).map_err(|d| match d.offset {
            Some(_) => d,
            None => Damage {
                offset: Some(at),
                ..d
            },
        })?;
    }
    Ok(())
}

impl From<String> for Damage {
    fn from(detail: String) -> Damage {
        Damage::new(detail)
    }
}

impl From<&str> for Damage {
    fn from(detail: &str) -> Damage {
        Damage::new(detail)
    }
}

/// Decode a string field as UTF-8 (peer ids are ASCII).
///
/// ```
/// use nacos_chaos::preflight::proto::{utf8, Field};
/// assert_eq!(utf8(1, Field::Bytes(b"a:1")).unwrap(), "a:1");
/// assert!(utf8(1, Field::Varint(1)).is_err());
/// ```
pub fn utf8(field_no: u32, f: Field<'_>) -> Result<String, String> {
    let b = f
        .as_bytes()
        .ok_or_else(|| format!("field {field_no}: expected a string, found {f:?}"))?;
    String::from_utf8(b.to_vec()).map_err(|_| format!("field {field_no}: not valid UTF-8"))
}

/// Decode an integer field (varint or fixed).
///
/// ```
/// use nacos_chaos::preflight::proto::{int, Field};
/// assert_eq!(int(2, Field::Varint(5)).unwrap(), 5);
/// assert!(int(2, Field::Bytes(b"")).is_err());
/// ```
pub fn int(field_no: u32, f: Field<'_>) -> Result<u64, String> {
    f.as_u64()
        .ok_or_else(|| format!("field {field_no}: expected an integer, found bytes"))
}

/// Decode a repeated uint64 field occurrence, packed (wire type 2) or not (wire type 0),
/// appending to `out`.
///
/// ```
/// use nacos_chaos::preflight::proto::{push_u64s, Field};
/// let mut v = vec![];
/// push_u64s(9, Field::Bytes(&[1, 2, 3]), &mut v).unwrap();
/// push_u64s(9, Field::Varint(4), &mut v).unwrap();
/// assert_eq!(v, [1, 2, 3, 4]);
/// ```
pub fn push_u64s(field_no: u32, f: Field<'_>, out: &mut Vec<u64>) -> Result<(), String> {
    match f {
        Field::Bytes(mut b) => {
            while !b.is_empty() {
                let (v, n) =
                    read_varint(b).map_err(|e| format!("field {field_no} (packed): {e}"))?;
                out.push(v);
                b = &b[n..];
            }
            Ok(())
        }
        other => {
            out.push(int(field_no, other)?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        // Deterministic pseudo-random buffers (xorshift), plus every 2-byte prefix.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut errors = 0;
        for len in 0..64 {
            for _ in 0..64 {
                let buf: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                errors += Fields::new(&buf).filter(|f| f.is_err()).count();
            }
        }
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let _ = Fields::new(&[a, b]).count();
            }
        }
        assert!(errors > 0, "random bytes must produce some decode errors");
    }

    #[test]
    fn rejects_overlong_varint_and_groups() {
        assert!(read_varint(&[0xFF; 11]).is_err());
        assert!(Fields::new(&[0x0B]).next().unwrap().is_err()); // wire type 3 (start group)
        assert!(Fields::new(&[0x00]).next().unwrap().is_err()); // field number 0
        assert_eq!(read_varint(&[0x7F]).unwrap(), (127, 1));
    }
}

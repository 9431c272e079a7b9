//! r-nacos `log_<id>` segments (read against 0.8.8): where the records are, and where
//! r-nacos's own loader will stop counting them at its next start.
//!
//! Layout: a 32-byte header (`magic u32, version u16, last_term u64, first_index u64,
//! data_area_index u16 = 4096, index_interval u16 = 128, ...`, big-endian), then from byte 32
//! the index area — one varint per `index_interval` records, the byte distance from the
//! previous indexed record to the one after them — then from `data_area_index` the records
//! `[varint len][LogRecord{1 index, 2 term, 5 value}]`; a zero length ends the data.
//!
//! At start r-nacos finds the end of its log by reading from the last indexed record in
//! 1024-byte chunks into a growing buffer, taking complete records out of it, and treating
//! "the buffer has been consumed and the next byte in it is zero, or there is no next byte"
//! as the end. When the records consumed so far end exactly where a chunk ended, the next
//! byte in the buffer is not the file's next record but a zero (or nothing): the log is
//! taken to end there. r-nacos then boots with a shorter log than it applied, replays only
//! that prefix, and the records after it are lost. [`loader_stop`] models that reading and
//! says where it stops, so preflight can predict it from a data dir.

//!
//! [`check_segment`] is the strict reading preflight judges by: a segment that is shorter than
//! its data area, whose records stop mid-way or run into the end of the file without the zeros
//! r-nacos always leaves after its last record (it preallocates 1 MiB and grows the file before
//! a record would reach its end: `LogInnerManager::write`), whose entries are not consecutive,
//! or whose index area points anywhere but at a record, is damage with the byte offset where it
//! was found. Every size and offset read from the file is checked arithmetic; nothing is
//! allocated from a length field.

use super::damage::Damage;
use super::proto::{self, Field, Fields, read_varint};

/// Chunk size of r-nacos's log loader.
const CHUNK: usize = 1024;
/// Header length before the index area.
const HEADER_LEN: usize = 32;
/// Where the records begin. r-nacos writes 4096 into the header and reads from 4096 whatever
/// the header says (`LogInnerManager::init`, `InnerIdxDto { file_index: 4096 }`).
pub const DATA_AREA: usize = 4096;
/// Header magic, "B16D".
const MAGIC: [u8; 4] = [0x42, 0x31, 0x36, 0x44];

/// One record of a log segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRecordPos {
    /// Raft log index.
    pub index: u64,
    /// Raft term.
    pub term: u64,
    /// Byte offset of the record's length prefix.
    pub offset: u64,
    /// Length including the prefix.
    pub len: u64,
}

impl LogRecordPos {
    /// The record's value, r-nacos's JSON `EntryPayload` (`{"Normal":{"data":{..}}}` or
    /// `{"ConfigChange":..}`), from the segment it was scanned in; `None` if unreadable.
    ///
    /// ```
    /// use nacos_chaos::preflight::rnacos_log::{scan_log, test_segment};
    /// let seg = test_segment(&[40]); // its value is not JSON
    /// assert_eq!(scan_log(&seg).unwrap()[0].payload(&seg), None);
    /// ```
    pub fn payload(&self, log: &[u8]) -> Option<serde_json::Value> {
        let start = usize::try_from(self.offset).ok()?;
        let end = start.checked_add(usize::try_from(self.len).ok()?)?;
        let rec = log.get(start..end)?;
        let (_, n) = read_varint(rec).ok()?;
        let value = Fields::new(rec.get(n..)?).find_map(|f| match f {
            Ok((5, Field::Bytes(v))) => Some(v),
            _ => None,
        })?;
        serde_json::from_slice(value).ok()
    }

    /// The members a `Members` record sets, if this is one.
    ///
    /// ```
    /// use nacos_chaos::preflight::rnacos_log::{scan_log, test_segment};
    /// let seg = test_segment(&[40]);
    /// assert_eq!(scan_log(&seg).unwrap()[0].members(&seg), None);
    /// ```
    pub fn members(&self, log: &[u8]) -> Option<Vec<u64>> {
        let json = self.payload(log)?;
        let members = json.pointer("/Normal/data/Members")?.as_array()?;
        members.iter().map(serde_json::Value::as_u64).collect()
    }
}

/// One record starting at `at`: its total length and its body, or `None` at the zero length
/// that ends the data. Damage if the length prefix or the record runs past the end of `bytes`.
fn record_at(bytes: &[u8], at: usize) -> Result<Option<(usize, &[u8])>, Damage> {
    let rest = bytes.get(at..).unwrap_or_default();
    let (len, n) = read_varint(rest).map_err(|e| Damage::at(at, format!("record length: {e}")))?;
    if len == 0 {
        return Ok(None);
    }
    let total = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(n))
        .filter(|&t| t <= rest.len())
        .ok_or_else(|| {
            Damage::at(
                at,
                format!(
                    "a record claims {len} bytes but only {} remain in the file: the log stops mid-record (truncated?)",
                    rest.len().saturating_sub(n)
                ),
            )
        })?;
    Ok(Some((total, &rest[n..total])))
}

/// Index and term of one record body (a `LogRecord` message at file offset `base`).
fn record_ids(body: &[u8], base: u64) -> Result<(Option<u64>, u64), Damage> {
    let (mut index, mut term) = (None, 0);
    proto::visit(body, base, |no, v, _| {
        match (no, v) {
            (1, Field::Varint(i)) => index = Some(i),
            (2, Field::Varint(t)) => term = t,
            (1 | 2, other) => {
                return Err(format!("LogRecord field {no} is not an integer ({other:?})").into());
            }
            _ => {}
        }
        Ok(())
    })
    .map_err(|d| d.context("LogRecord"))?;
    Ok((index, term))
}

/// The records of a log segment, in file order, up to the first zero length (or the end of
/// the file). Lenient about what the records say; damage only when a record cannot be
/// delimited or decoded, or the file is shorter than its data area.
///
/// ```
/// use nacos_chaos::preflight::rnacos_log::{scan_log, test_segment};
/// let seg = test_segment(&[40, 50]);
/// let recs = scan_log(&seg).unwrap();
/// assert_eq!(recs.iter().map(|r| (r.index, r.offset, r.len)).collect::<Vec<_>>(),
///            vec![(1, 4096, 40), (2, 4136, 50)]);
/// assert!(scan_log(&seg[..4100]).unwrap_err().to_string().contains("at byte 4096"));
/// ```
pub fn scan_log(bytes: &[u8]) -> Result<Vec<LogRecordPos>, Damage> {
    header(bytes)?;
    let mut out = vec![];
    let mut at = DATA_AREA;
    while at < bytes.len() {
        let Some((total, body)) = record_at(bytes, at)? else {
            break;
        };
        let (index, term) = record_ids(body, (at + (total - body.len())) as u64)?;
        out.push(LogRecordPos {
            index: index.unwrap_or(0),
            term,
            offset: at as u64,
            len: total as u64,
        });
        at += total;
    }
    Ok(out)
}

/// Header fields preflight uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    last_term: u64,
    first_index: u64,
    data_area: u16,
    interval: u16,
}

fn be_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}

fn header(bytes: &[u8]) -> Result<Header, Damage> {
    if bytes.len() < DATA_AREA {
        return Err(Damage::at(
            bytes.len(),
            format!(
                "the file ends at byte {}, before the records begin at byte {DATA_AREA} (a segment is never shorter: truncated)",
                bytes.len()
            ),
        ));
    }
    if bytes[..4] != MAGIC {
        return Err(Damage::at(
            0,
            format!(
                "not an r-nacos log segment: magic {:02x?}, expected 42 31 36 44 (B16D)",
                &bytes[..4]
            ),
        ));
    }
    Ok(Header {
        last_term: be_u64(bytes, 6),
        first_index: be_u64(bytes, 14),
        data_area: u16::from_be_bytes([bytes[22], bytes[23]]),
        interval: u16::from_be_bytes([bytes[24], bytes[25]]),
    })
}

/// The index area as r-nacos reads it (`LogInnerManager::read_indexs`): `(offset of the entry
/// in the file, file offset of the record it points at)` per entry, until the first zero.
fn index_entries(bytes: &[u8]) -> Result<Vec<(usize, u64)>, Damage> {
    let area = &bytes[HEADER_LEN..DATA_AREA];
    let last_end = area.len() - 10;
    let mut out = vec![];
    let (mut off, mut file_index) = (0usize, DATA_AREA as u64);
    let (mut next, _) =
        read_varint(area).map_err(|e| Damage::at(HEADER_LEN, format!("index area: {e}")))?;
    while next > 0 {
        file_index = file_index.checked_add(next).ok_or_else(|| {
            Damage::at(
                HEADER_LEN + off,
                "index-area entry points past any possible file size",
            )
        })?;
        out.push((HEADER_LEN + off, file_index));
        off += read_varint(&area[off..]).map(|(_, n)| n).unwrap_or(1);
        if off > last_end {
            break;
        }
        next = read_varint(&area[off..]).map(|(v, _)| v).unwrap_or(0);
    }
    Ok(out)
}

/// A log segment read strictly (see [`check_segment`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// First entry (header).
    pub first_index: u64,
    /// The records, in order.
    pub records: Vec<LogRecordPos>,
    /// Offset of the zero that ends the records.
    pub end: u64,
}

impl Segment {
    /// Index of the last record, if any.
    pub fn last_index(&self) -> Option<u64> {
        self.records.last().map(|r| r.index)
    }
}

/// Read a segment strictly: any damage, or any contradiction between its header, index
/// area and records, is an error naming the byte offset. `start_index` is where the index
/// file's `LogRange` says this segment starts.
///
/// ```
/// use nacos_chaos::preflight::rnacos_log::{check_segment, test_segment};
/// let seg = test_segment(&[40, 50]);
/// let s = check_segment(&seg, Some(1)).unwrap();
/// assert_eq!((s.records.len(), s.end), (2, 4186));
/// // cut in the middle of the second record
/// let e = check_segment(&seg[..4150], Some(1)).unwrap_err();
/// assert_eq!(e.offset, Some(4136));
/// // cut right after it: no end marker
/// assert_eq!(check_segment(&seg[..4186], Some(1)).unwrap_err().offset, Some(4186));
/// // the index says the segment starts elsewhere
/// assert_eq!(check_segment(&seg, Some(7)).unwrap_err().offset, Some(14));
/// ```
// Over 80 lines: one pass over a segment's bytes in file order, each check naming the offset
// it failed at; split, the offsets would have to be threaded through every piece.
pub fn check_segment(bytes: &[u8], start_index: Option<u64>) -> Result<Segment, Damage> {
    let h = header(bytes)?;
    if usize::from(h.data_area) != DATA_AREA {
        return Err(Damage::at(
            22,
            format!(
                "header says the records begin at byte {}; r-nacos always writes {DATA_AREA}",
                h.data_area
            ),
        ));
    }
    if h.interval == 0 {
        return Err(Damage::at(
            24,
            "index interval 0 (r-nacos writes 128 and divides by it at start)",
        ));
    }
    if let Some(s) = start_index.filter(|s| *s != h.first_index) {
        return Err(Damage::at(
            14,
            format!(
                "header says this segment starts at entry {}, the index file's LogRange says {s}",
                h.first_index
            ),
        ));
    }
    let mut records: Vec<LogRecordPos> = vec![];
    let mut at = DATA_AREA;
    let end = loop {
        if at >= bytes.len() {
            return Err(Damage::at(
                bytes.len(),
                format!(
                    "the records run to the end of the file after {} record(s) with no end marker (r-nacos always leaves zeros after its last record): truncated",
                    records.len()
                ),
            ));
        }
        let Some((total, body)) = record_at(bytes, at)? else {
            break at;
        };
        let (index, term) = record_ids(body, (at + (total - body.len())) as u64)?;
        let expected = h
            .first_index
            .checked_add(records.len() as u64)
            .ok_or_else(|| Damage::at(at, "entry index overflows"))?;
        let Some(index) = index else {
            return Err(Damage::at(
                at,
                format!("record of entry {expected} has no index (field 1)"),
            ));
        };
        if index != expected {
            return Err(Damage::at(
                at,
                format!(
                    "record holds entry {index} where entry {expected} belongs: a duplicated, lost or damaged record"
                ),
            ));
        }
        let prev_term = records.last().map_or(h.last_term, |r| r.term);
        if term < prev_term {
            return Err(Damage::at(
                at,
                format!("entry {index} has term {term}, lower than the {prev_term} before it"),
            ));
        }
        records.push(LogRecordPos {
            index,
            term,
            offset: at as u64,
            len: total as u64,
        });
        at += total;
    };
    for (k, (entry_at, points_at)) in index_entries(bytes)?.into_iter().enumerate() {
        let nth = (k as u64 + 1).saturating_mul(u64::from(h.interval));
        let want = match usize::try_from(nth)
            .ok()
            .map(|n| records.get(n).map(|r| r.offset))
        {
            Some(Some(o)) => Some(o),
            Some(None) if nth == records.len() as u64 => Some(end as u64),
            _ => None,
        };
        if want != Some(points_at) {
            return Err(Damage::at(
                entry_at,
                match want {
                    Some(w) => format!(
                        "index-area entry {} points at byte {points_at}, but record {} begins at byte {w}",
                        k + 1,
                        nth.saturating_add(1)
                    ),
                    None => format!(
                        "index-area entry {} stands for {nth} records, but the segment holds only {}: records are missing",
                        k + 1,
                        records.len()
                    ),
                },
            ));
        }
    }
    Ok(Segment {
        first_index: h.first_index,
        records,
        end: end as u64,
    })
}

/// Where r-nacos's loader will take this segment to end: the number of records it will
/// count (from the start of the data area) and the byte offset it stops at. Fewer records
/// than [`scan_log`] finds means the records after that count are lost at the next start.
///
/// ```
/// use nacos_chaos::preflight::rnacos_log::{loader_stop, scan_log, test_segment};
/// // Records of 1000 and 24 bytes: the second ends exactly where the first 1024-byte read
/// // ends, so the third is never seen.
/// let seg = test_segment(&[1000, 24, 60]);
/// assert_eq!(scan_log(&seg).unwrap().len(), 3);
/// assert_eq!(loader_stop(&seg).unwrap(), (2, 4096 + 1024));
/// let fine = test_segment(&[1000, 25, 60]);
/// assert_eq!(loader_stop(&fine).unwrap().0, 3);
/// ```
pub fn loader_stop(bytes: &[u8]) -> Result<(u64, u64), Damage> {
    let h = header(bytes)?;
    let interval = u64::from(h.interval);
    // The loader starts at the last indexed record.
    let entries = index_entries(bytes)?;
    let counted0 = (entries.len() as u64).saturating_mul(interval);
    let from = entries.last().map_or(DATA_AREA as u64, |e| e.1);
    let mut counted = counted0;
    let mut buf = vec![0u8; CHUNK];
    let mut cursor = from;
    let mut next_read = usize::try_from(from).unwrap_or(usize::MAX);
    let (mut start, mut end) = (0usize, 0usize);
    loop {
        let lo = next_read.min(bytes.len());
        let chunk = &bytes[lo..next_read.saturating_add(CHUNK).min(bytes.len())];
        if chunk.is_empty() {
            return Ok((counted, cursor));
        }
        next_read = next_read.saturating_add(chunk.len());
        // Keep the unconsumed tail (and whatever follows it in the buffer) at the front.
        buf.copy_within(start.., 0);
        end -= start;
        start = 0;
        while buf.len() - end < chunk.len() {
            buf.resize(buf.len() * 2, 0);
        }
        buf[end..end + chunk.len()].copy_from_slice(chunk);
        end += chunk.len();
        while start < buf.len() && buf[start] != 0 {
            let Ok((len, n)) = read_varint(&buf[start..end]) else {
                break; // length prefix not complete yet
            };
            let Some(total) = usize::try_from(len).ok().and_then(|l| l.checked_add(n)) else {
                break; // can never complete
            };
            if end - start < total {
                break;
            }
            start += total;
            cursor = cursor.saturating_add(total as u64);
            counted = counted.saturating_add(1);
        }
        if start >= buf.len() || buf[start] == 0 {
            return Ok((counted, cursor));
        }
    }
}

/// A synthetic segment (first index 1, data at 4096) holding records of the given total
/// lengths, for examples and tests.
///
/// # Panics
/// If a length cannot be built (below 7 bytes, or one of the few lengths near 130 where a
/// varint widens); never called on user data.
///
/// ```
/// let seg = nacos_chaos::preflight::rnacos_log::test_segment(&[30]);
/// assert_eq!(seg.len(), 4096 + 30 + 1024);
/// ```
pub fn test_segment(record_lens: &[usize]) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    b[..4].copy_from_slice(&[0x42, 0x31, 0x36, 0x44]);
    b[14..22].copy_from_slice(&1u64.to_be_bytes());
    b[22..24].copy_from_slice(&4096u16.to_be_bytes());
    b[24..26].copy_from_slice(&128u16.to_be_bytes());
    for (i, &total) in record_lens.iter().enumerate() {
        // [len][0x08 index][0x10 1][0x2a vlen value]: pad the value to the total length.
        let head = |body: usize| if body < 128 { 1 } else { 2 };
        let index = (i + 1) as u8;
        let mut body = total - 1;
        if head(body) == 2 {
            body -= 1;
        }
        let fixed = 2 + 2 + 1; // index, term, value tag
        let mut vlen = body - fixed - 1;
        if vlen >= 128 {
            vlen -= 1;
        }
        let mut rec = vec![];
        push_varint(&mut rec, body as u64);
        rec.extend([0x08, index, 0x10, 1, 0x2a]);
        push_varint(&mut rec, vlen as u64);
        rec.extend(std::iter::repeat_n(b'x', vlen));
        assert_eq!(rec.len(), total, "record length {total} cannot be built");
        b.extend(rec);
    }
    b.extend(std::iter::repeat_n(0u8, 1024));
    b
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The voting members named by the last `Members` record among `records` (r-nacos's
/// startup replay rewrites the boot membership from these), if any.
///
/// ```
/// use nacos_chaos::preflight::rnacos_log::{last_members, scan_log};
/// let seg = nacos_chaos::preflight::rnacos_log::test_segment(&[]);
/// let v = br#"{"Normal":{"data":{"Members":[1,2]}}}"#;
/// let mut rec = vec![0x08, 1, 0x10, 1, 0x2a, v.len() as u8];
/// rec.extend_from_slice(v);
/// let mut bytes = seg[..4096].to_vec();
/// bytes.push(rec.len() as u8);
/// bytes.extend(rec);
/// bytes.extend([0u8; 64]);
/// let recs = scan_log(&bytes).unwrap();
/// assert_eq!(last_members(&bytes, &recs), Some(vec![1, 2]));
/// ```
pub fn last_members(bytes: &[u8], records: &[LogRecordPos]) -> Option<Vec<u64>> {
    records.iter().rev().find_map(|r| r.members(bytes))
}

/// What r-nacos will make of one log segment at its next start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPrediction {
    /// Records in the file.
    pub records: usize,
    /// Records r-nacos's loader will count.
    pub loaded: u64,
    /// Raft indexes of the records it will not see (first, last), if any.
    pub lost: Option<(u64, u64)>,
    /// Members named by the last `Members` record it will see.
    pub replayed_members: Option<Vec<u64>>,
}

impl LoadPrediction {
    /// One sentence on the cut, if the loader stops early.
    ///
    /// ```
    /// use nacos_chaos::preflight::rnacos_log::{predict_load, test_segment};
    /// let p = predict_load(&test_segment(&[1000, 24, 60])).unwrap();
    /// assert_eq!(p.cut().unwrap(), "r-nacos's next start will load only 2 of 3 log record(s) \
    ///     (record 3 begins where one of its 1024-byte reads ends): entries 3..=3 will be lost");
    /// assert_eq!(predict_load(&test_segment(&[60])).unwrap().cut(), None);
    /// ```
    pub fn cut(&self) -> Option<String> {
        let (first, last) = self.lost?;
        Some(format!(
            "r-nacos's next start will load only {} of {} log record(s) (record {first} begins \
             where one of its 1024-byte reads ends): entries {first}..={last} will be lost",
            self.loaded, self.records
        ))
    }
}

/// Predict one segment's load (see [`loader_stop`]).
///
/// ```
/// use nacos_chaos::preflight::rnacos_log::{predict_load, test_segment};
/// let p = predict_load(&test_segment(&[1000, 24, 60, 70])).unwrap();
/// assert_eq!((p.records, p.loaded, p.lost), (4, 2, Some((3, 4))));
/// ```
pub fn predict_load(bytes: &[u8]) -> Result<LoadPrediction, Damage> {
    let records = scan_log(bytes)?;
    let (loaded, _) = loader_stop(bytes)?;
    let seen = &records[..usize::try_from(loaded)
        .unwrap_or(usize::MAX)
        .min(records.len())];
    let lost = records
        .get(seen.len()..)
        .filter(|r| !r.is_empty())
        .map(|r| (r[0].index, r[r.len() - 1].index));
    Ok(LoadPrediction {
        records: records.len(),
        loaded,
        lost,
        replayed_members: last_members(bytes, seen),
    })
}

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

use super::proto::{Field, Fields, read_varint};

/// Chunk size of r-nacos's log loader.
const CHUNK: usize = 1024;
/// Header length before the index area.
const HEADER_LEN: usize = 32;

/// One record of a log segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRecordPos {
    /// Raft log index.
    pub index: u64,
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
        let rec = log.get(self.offset as usize..(self.offset + self.len) as usize)?;
        let (_, n) = read_varint(rec).ok()?;
        let value = Fields::new(rec.get(n..)?).find_map(|f| match f {
            Ok((5, Field::Bytes(v))) => Some(v),
            _ => None,
        })?;
        serde_json::from_slice(value).ok()
    }
}

/// The records of a log segment, in file order, up to the first zero length.
///
/// ```
/// use nacos_chaos::preflight::rnacos_log::{scan_log, test_segment};
/// let seg = test_segment(&[40, 50]);
/// let recs = scan_log(&seg).unwrap();
/// assert_eq!(recs.iter().map(|r| (r.index, r.offset, r.len)).collect::<Vec<_>>(),
///            vec![(1, 4096, 40), (2, 4136, 50)]);
/// ```
pub fn scan_log(bytes: &[u8]) -> Result<Vec<LogRecordPos>, String> {
    let data = data_area(bytes)?;
    let mut out = vec![];
    let mut at = data;
    while at < bytes.len() {
        let (len, n) =
            read_varint(&bytes[at..]).map_err(|e| format!("record length at {at}: {e}"))?;
        if len == 0 {
            break;
        }
        let end = at + n + len as usize;
        let body = bytes
            .get(at + n..end)
            .ok_or_else(|| format!("record at {at} claims {len} bytes past the end of the file"))?;
        let mut index = 0;
        for f in Fields::new(body) {
            if let (1, Field::Varint(v)) = f.map_err(|e| format!("record at {at}: {e}"))? {
                index = v;
            }
        }
        out.push(LogRecordPos {
            index,
            offset: at as u64,
            len: (end - at) as u64,
        });
        at = end;
    }
    Ok(out)
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
pub fn loader_stop(bytes: &[u8]) -> Result<(u64, u64), String> {
    let data = data_area(bytes)?;
    let interval = u16::from_be_bytes([bytes[24], bytes[25]]) as u64;
    // The loader starts at the last indexed record.
    let (mut counted, mut from) = (0u64, data);
    let mut at = HEADER_LEN;
    while at + 10 < data {
        let (step, n) =
            read_varint(&bytes[at..]).map_err(|e| format!("index area at {at}: {e}"))?;
        if step == 0 {
            break;
        }
        counted += interval;
        from += step as usize;
        at += n;
    }
    let mut buf = vec![0u8; CHUNK];
    let (mut start, mut end, mut next_read, mut cursor) = (0usize, 0usize, from, from as u64);
    loop {
        let chunk = &bytes[next_read.min(bytes.len())..(next_read + CHUNK).min(bytes.len())];
        if chunk.is_empty() {
            return Ok((counted, cursor));
        }
        next_read += chunk.len();
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
            let total = n + len as usize;
            if end - start < total {
                break;
            }
            start += total;
            cursor += total as u64;
            counted += 1;
        }
        if start >= buf.len() || buf[start] == 0 {
            return Ok((counted, cursor));
        }
    }
}

fn data_area(bytes: &[u8]) -> Result<usize, String> {
    if bytes.len() < HEADER_LEN || bytes[..4] != [0x42, 0x31, 0x36, 0x44] {
        return Err("not an r-nacos log segment (no B16D header)".into());
    }
    Ok(u16::from_be_bytes([bytes[22], bytes[23]]) as usize)
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
    records.iter().rev().find_map(|r| {
        let json = r.payload(bytes)?;
        let members = json.pointer("/Normal/data/Members")?.as_array()?;
        members.iter().map(serde_json::Value::as_u64).collect()
    })
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
pub fn predict_load(bytes: &[u8]) -> Result<LoadPrediction, String> {
    let records = scan_log(bytes)?;
    let (loaded, _) = loader_stop(bytes)?;
    let seen = &records[..(loaded as usize).min(records.len())];
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

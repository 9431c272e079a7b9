//! Target membership: parsing cluster.conf text or comma lists, and mapping a member to the
//! Raft peer id each flavor persists.
//!
//! ```
//! use nacos_chaos::preflight::members::parse_members;
//! let m = parse_members("# cluster\n10.0.0.1:8848\n\n10.0.0.2:8848,10.0.0.3:8848 # trailing\n").unwrap();
//! assert_eq!(m.len(), 3);
//! assert_eq!(m[0].official_peer().unwrap(), "10.0.0.1:7848");
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Default Nacos HTTP port when a cluster.conf entry has none.
pub const DEFAULT_HTTP_PORT: u16 = 8848;
/// Official Nacos: the Raft port is the HTTP port minus this offset.
pub const RAFT_PORT_OFFSET: u16 = 1000;
/// Default r-nacos Raft (gRPC) port when an address has none.
pub const DEFAULT_RNACOS_RAFT_PORT: u16 = 9848;

/// One target member: an optional r-nacos node id and a `host[:port]` address.
///
/// ```
/// use nacos_chaos::preflight::members::Member;
/// let m = Member::parse("2=10.0.0.2:9848").unwrap();
/// assert_eq!((m.id, m.host.as_str(), m.port), (Some(2), "10.0.0.2", Some(9848)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// r-nacos node id (`id=addr` form); None for plain addresses.
    pub id: Option<u64>,
    /// Host name or IP as written.
    pub host: String,
    /// Port as written, if any.
    pub port: Option<u16>,
}

impl Member {
    /// Parse `host`, `host:port`, `[v6]:port`, or `id=host:port`.
    ///
    /// ```
    /// use nacos_chaos::preflight::members::Member;
    /// assert!(Member::parse("nacos-1").is_ok());
    /// assert!(Member::parse("a:notaport").is_err());
    /// assert!(Member::parse("x=a:1").is_err());
    /// ```
    pub fn parse(token: &str) -> Result<Member> {
        let token = token.trim();
        let bad = |why: &str| Error::Config(format!("member '{token}': {why}"));
        let (id, addr) = match token.split_once('=') {
            Some((id, addr)) => (
                Some(
                    id.trim()
                        .parse::<u64>()
                        .map_err(|_| bad("node id before '=' must be a number"))?,
                ),
                addr.trim(),
            ),
            None => (None, token),
        };
        if addr.is_empty() {
            return Err(bad("empty address"));
        }
        let (host, port) = split_host_port(addr).map_err(|e| bad(&e))?;
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        Ok(Member {
            id,
            host: host.to_string(),
            port,
        })
    }

    /// The JRaft peer id official Nacos derives: `host:(http port − 1000)`; the HTTP port
    /// defaults to 8848.
    ///
    /// ```
    /// use nacos_chaos::preflight::members::Member;
    /// assert_eq!(Member::parse("n1:8850").unwrap().official_peer().unwrap(), "n1:7850");
    /// assert_eq!(Member::parse("n1").unwrap().official_peer().unwrap(), "n1:7848");
    /// assert!(Member::parse("n1:80").unwrap().official_peer().is_err());
    /// ```
    pub fn official_peer(&self) -> Result<String> {
        let http = self.port.unwrap_or(DEFAULT_HTTP_PORT);
        let raft = http.checked_sub(RAFT_PORT_OFFSET).filter(|p| *p > 0).ok_or_else(|| {
            Error::Config(format!(
                "member {}:{http}: HTTP port must be above {RAFT_PORT_OFFSET} (raft port = HTTP port - {RAFT_PORT_OFFSET})",
                self.host
            ))
        })?;
        Ok(join_host_port(&self.host, raft))
    }

    /// The address r-nacos persists for a node (`RNACOS_RAFT_NODE_ADDR`, `ip:grpc_port`),
    /// taken as written; the port defaults to 9848.
    ///
    /// ```
    /// use nacos_chaos::preflight::members::Member;
    /// assert_eq!(Member::parse("1=10.0.0.1").unwrap().rnacos_addr(), "10.0.0.1:9848");
    /// ```
    pub fn rnacos_addr(&self) -> String {
        join_host_port(&self.host, self.port.unwrap_or(DEFAULT_RNACOS_RAFT_PORT))
    }
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn split_host_port(addr: &str) -> std::result::Result<(&str, Option<u16>), String> {
    let parse_port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("'{p}' is not a port number"))
    };
    if let Some(rest) = addr.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("missing ']' in IPv6 address")?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(parse_port(p)?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(format!("unexpected '{after}' after ']'")),
        };
    }
    match addr.split_once(':') {
        Some((host, p)) => Ok((host, Some(parse_port(p)?))),
        None => Ok((addr, None)),
    }
}

/// Parse a target membership: cluster.conf text (one `host:port` per line, blank lines and
/// `#` comments ignored, several comma- or space-separated entries per line allowed) or a
/// plain comma list. Entries may be `id=addr` (r-nacos). Duplicates are removed.
///
/// ```
/// use nacos_chaos::preflight::members::parse_members;
/// assert_eq!(parse_members("a:8848,b:8848").unwrap().len(), 2);
/// assert!(parse_members("# only a comment\n").is_err());
/// ```
pub fn parse_members(text: &str) -> Result<Vec<Member>> {
    let mut out: Vec<Member> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        for token in line.split(|c: char| c == ',' || c.is_whitespace()) {
            if token.is_empty() {
                continue;
            }
            let m = Member::parse(token)?;
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Config(
            "target membership is empty: give cluster.conf text or a comma list of host:port"
                .into(),
        ));
    }
    Ok(out)
}

/// Reduce a persisted JRaft `PeerId` string (`ip:port[:idx[:priority]]`) to `host:port`,
/// the form Nacos writes and the form targets are compared in.
///
/// ```
/// use nacos_chaos::preflight::members::normalize_peer;
/// assert_eq!(normalize_peer("10.0.0.1:7848:0:0"), "10.0.0.1:7848");
/// assert_eq!(normalize_peer("[::1]:7848:1"), "[::1]:7848");
/// assert_eq!(normalize_peer("nacos-1:7848"), "nacos-1:7848");
/// ```
pub fn normalize_peer(peer: &str) -> String {
    let peer = peer.trim();
    if peer.starts_with('[') {
        if let Some(end) = peer.find(']') {
            let rest = &peer[end + 1..];
            let port = rest
                .strip_prefix(':')
                .and_then(|r| r.split(':').next())
                .unwrap_or("");
            return format!("{}:{port}", &peer[..=end]);
        }
        return peer.to_string();
    }
    let mut parts = peer.split(':');
    match (parts.next(), parts.next()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        _ => peer.to_string(),
    }
}

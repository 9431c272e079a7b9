//! A second, real-client probe through the official Rust client (`nacos-sdk`, gRPC), recording
//! [`Op`]s with `client: "sdk"` into the same [`History`] as the HTTP probe.
//!
//! One client per node (never a multi-server list: the SDK fails over silently, which would
//! hide which node answered), pointed at `127.0.0.1:<http host port>` with
//! `remote_grpc_port(<grpc host port>)`, `env_first(false)` (no `NACOS_CLIENT_*` variable can
//! redirect it), no load-at-start cache and a private cache directory. Every SDK call,
//! including `build()`, shares one per-tick deadline (`timeout`): the SDK retries internally
//! while a server is unreachable, and must never hang the probe. Instance lists are queried
//! with `subscribe = false` (a subscription serves the client's cache and would mask an
//! outage).
//!
//! Keys are distinct from the HTTP probe's: config dataIds `chaos-sdk-<run>.s<session>-<node>-<seq>` (group
//! [`GROUP`]), and persistent instances in the run's own service [`sdk_service`] on ports
//! 60000-64999 (the HTTP probe uses 20000-59999), at addresses inside the run's own subnet
//! `10.231.<octet>.200-249`.
//!
//! **Trap (SDK redo).** The SDK remembers the last registration per service and re-sends it
//! in the background every 3 s until the server accepts it, and again after every reconnect
//! — also after the call returned an error, timed out, or the client was dropped (0.8.3 has
//! no shutdown). So a refused registration is recorded as `Unknown`, never `Fail` (it may
//! still land), and registrations go to a per-run service so a stale client of an earlier
//! run cannot write into what a later run reads.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nacos_sdk::api::config::{ConfigService, ConfigServiceBuilder};
use nacos_sdk::api::error::Error as SdkError;
use nacos_sdk::api::naming::{NamingService, NamingServiceBuilder, ServiceInstance};
use nacos_sdk::api::props::ClientProps;
use tokio::sync::watch;

use super::probe::{GROUP, KeySpace, Request, SERVICE, Writer, next_request};
use super::runner::Endpoint;
use crate::record::{History, Op, OpKind, Outcome};

/// The `client` field of every operation this probe records.
///
/// ```
/// assert_eq!(nacos_chaos::workload::SDK_CLIENT, "sdk");
/// ```
pub const SDK_CLIENT: &str = "sdk";

/// The service the SDK probe registers persistent instances into: per run, so a stale SDK
/// client's background re-registration can never land in another run's probe service.
///
/// ```
/// use nacos_chaos::workload::sdk_service;
/// assert_eq!(sdk_service("r0123"), "nacos-chaos-probe-sdk-r0123");
/// ```
pub fn sdk_service(run_id: &str) -> String {
    format!("{SERVICE}-sdk-{run_id}")
}

/// Classify an SDK error (a call that did not return `Ok`): (outcome, read values, error text).
///
/// - anything on the transport (no server, connection, gRPC status) is `Unknown`;
/// - `get_config` of a missing dataId is `Ok` with an empty read (as HTTP 404 is);
/// - registrations the server refused are `Unknown`: the SDK keeps re-sending them in the
///   background (see the module docs);
/// - other writes (publish, deregister) are `Unknown` unless the server refused them with a
///   client error code (4xx, the gRPC answer's `error_code`) or the SDK rejected a parameter
///   before sending: as with HTTP 5xx, a write the server answered with a server error (or
///   with no code to tell) may have committed;
/// - reads the server refused are `Fail` (they returned nothing).
///
/// ```
/// use nacos_chaos::workload::{OpKind, Outcome, classify_sdk_error};
/// use nacos_sdk::api::error::Error;
/// let no_leader = Error::ErrResult(
///     "handle publish_config failed: result_code=500, error_code=500, message=no leader".into());
/// let (o, _, e) = classify_sdk_error(OpKind::PublishConfig, &no_leader);
/// assert_eq!(o, Outcome::Unknown);
/// assert!(e.unwrap().contains("no leader"));
/// assert_eq!(classify_sdk_error(OpKind::GetConfig, &no_leader).0, Outcome::Fail);
/// let invalid = Error::ErrResponse(None, 500, 400, Some("dataId invalid".into()));
/// assert_eq!(classify_sdk_error(OpKind::PublishConfig, &invalid).0, Outcome::Fail);
/// assert_eq!(classify_sdk_error(OpKind::GetConfig, &Error::NoAvailableServer).0, Outcome::Unknown);
/// let (o, read, _) = classify_sdk_error(OpKind::GetConfig, &Error::ConfigNotFound("k".into()));
/// assert_eq!((o, read), (Outcome::Ok, Some(vec![])));
/// ```
pub fn classify_sdk_error(
    kind: OpKind,
    err: &SdkError,
) -> (Outcome, Option<Vec<String>>, Option<String>) {
    let text: String = err.to_string().chars().take(400).collect();
    let answered = matches!(
        err,
        SdkError::ErrResult(_)
            | SdkError::ErrResponse(..)
            | SdkError::ConfigNotFound(_)
            | SdkError::ConfigQueryConflict(_)
            | SdkError::InvalidParam(..)
            | SdkError::Serialization(_)
    );
    if kind == OpKind::GetConfig && matches!(err, SdkError::ConfigNotFound(_)) {
        return (Outcome::Ok, Some(vec![]), None);
    }
    if !answered {
        return (Outcome::Unknown, None, Some(format!("transport: {text}")));
    }
    match kind {
        OpKind::RegisterPersistent | OpKind::RegisterEphemeral
            if !matches!(err, SdkError::InvalidParam(..)) =>
        {
            (
                Outcome::Unknown,
                None,
                Some(format!(
                    "server refused (the SDK re-sends registrations in the background): {text}"
                )),
            )
        }
        k if k.is_write()
            && !matches!(
                err,
                SdkError::InvalidParam(..)
                    | SdkError::ConfigNotFound(_)
                    | SdkError::ConfigQueryConflict(_)
            )
            && !server_code(err).is_some_and(|c| (400..500).contains(&c)) =>
        {
            (
                Outcome::Unknown,
                None,
                Some(format!(
                    "server error (the write may have happened): {text}"
                )),
            )
        }
        _ => (Outcome::Fail, None, Some(format!("server: {text}"))),
    }
}

/// The code a server's refusal carries: the gRPC answer's `error_code` (its `result_code`
/// when no error code was set), from the error itself or from the SDK's text
/// (`handle <op> failed: result_code=500, error_code=400, message=...`).
fn server_code(err: &SdkError) -> Option<i32> {
    let field = |text: &str, key: &str| -> Option<i32> {
        let rest = &text[text.find(key)? + key.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    match err {
        SdkError::ErrResponse(_, result, error, _) => {
            Some(if *error > 0 { *error } else { *result })
        }
        SdkError::ErrResult(text) => field(text, "error_code=")
            .filter(|c| *c > 0)
            .or_else(|| field(text, "result_code=")),
        _ => None,
    }
}

/// The SDK clients for one node, built lazily (config and naming are separate gRPC
/// connections) against one pair of host ports.
///
/// ```no_run
/// # async fn f() {
/// use std::time::{Duration, Instant};
/// use nacos_chaos::workload::{OpKind, Request, SdkClients};
/// let mut c = SdkClients::new("127.0.0.1:8848", 9848, std::env::temp_dir().join("sdk-cache"));
/// let req = Request { kind: OpKind::GetConfig, key: "k".into(), value: None };
/// let op = c.run("n1", "svc", &req, Instant::now(), Duration::from_secs(3)).await;
/// println!("{:?} {:?}", op.outcome, op.error);
/// # }
/// ```
pub struct SdkClients {
    server_addr: String,
    grpc_port: u16,
    cache_dir: std::path::PathBuf,
    config: Option<ConfigService>,
    naming: Option<NamingService>,
}

enum Built<'a> {
    Config(&'a ConfigService),
    Naming(&'a NamingService),
}

impl SdkClients {
    /// Clients for the node whose HTTP port is `server_addr` (`127.0.0.1:<port>`) and whose
    /// gRPC port is published on `grpc_port`; nothing is connected until the first [`run`].
    ///
    /// [`run`]: SdkClients::run
    ///
    /// ```
    /// let c = nacos_chaos::workload::SdkClients::new("127.0.0.1:4000", 5000, "/tmp/c".into());
    /// assert_eq!(c.target(), ("127.0.0.1:4000", 5000));
    /// ```
    pub fn new(server_addr: &str, grpc_port: u16, cache_dir: std::path::PathBuf) -> Self {
        SdkClients {
            server_addr: server_addr.into(),
            grpc_port,
            cache_dir,
            config: None,
            naming: None,
        }
    }

    /// The (server address, gRPC port) these clients talk to.
    ///
    /// ```
    /// let c = nacos_chaos::workload::SdkClients::new("127.0.0.1:1", 2, "/tmp/c".into());
    /// assert_eq!(c.target().1, 2);
    /// ```
    pub fn target(&self) -> (&str, u16) {
        (&self.server_addr, self.grpc_port)
    }

    fn props(&self) -> ClientProps {
        ClientProps::new()
            .server_addr(self.server_addr.clone())
            .remote_grpc_port(self.grpc_port)
            .env_first(false)
            .namespace("")
            .app_name("nacos-chaos-sdk-probe")
            .load_cache_at_start(false)
            .naming_push_empty_protection(false)
            .cache_dir(self.cache_dir.clone())
    }

    /// Build (if needed) the client `kind` uses. Errors are the error text.
    async fn client(&mut self, kind: OpKind) -> Result<Built<'_>, String> {
        if kind == OpKind::PublishConfig || kind == OpKind::GetConfig {
            if self.config.is_none() {
                let c = ConfigServiceBuilder::new(self.props())
                    .build()
                    .await
                    .map_err(|e| format!("sdk config client build: {e}"))?;
                self.config = Some(c);
            }
            Ok(Built::Config(self.config.as_ref().expect("just built")))
        } else {
            if self.naming.is_none() {
                let c = NamingServiceBuilder::new(self.props())
                    .build()
                    .await
                    .map_err(|e| format!("sdk naming client build: {e}"))?;
                self.naming = Some(c);
            }
            Ok(Built::Naming(self.naming.as_ref().expect("just built")))
        }
    }

    /// Run one request through the SDK and record it as an [`Op`] (`client: "sdk"`, times
    /// relative to `epoch`). Building the client and the call together are bounded by
    /// `timeout`; instance operations use `service` (group `DEFAULT_GROUP`), config
    /// operations group [`GROUP`].
    ///
    /// ```no_run
    /// # async fn f(c: &mut nacos_chaos::workload::SdkClients) {
    /// use std::time::{Duration, Instant};
    /// use nacos_chaos::workload::{OpKind, Request};
    /// let req = Request { kind: OpKind::ListInstances, key: "svc".into(), value: None };
    /// let op = c.run("n1", "svc", &req, Instant::now(), Duration::from_secs(3)).await;
    /// assert_eq!(op.client, "sdk");
    /// # }
    /// ```
    pub async fn run(
        &mut self,
        node: &str,
        service: &str,
        req: &Request,
        epoch: Instant,
        timeout: Duration,
    ) -> Op {
        let start_ms = epoch.elapsed().as_millis() as u64;
        let res = tokio::time::timeout(timeout, self.call(service, req)).await;
        let (outcome, read, error) = match res {
            Ok(r) => r,
            Err(_) => (
                Outcome::Unknown,
                None,
                Some(format!("timeout after {timeout:?}")),
            ),
        };
        Op {
            id: 0,
            node: node.into(),
            client: SDK_CLIENT.into(),
            kind: req.kind,
            key: req.key.clone(),
            value: req.value.clone(),
            start_ms,
            end_ms: epoch.elapsed().as_millis() as u64,
            outcome,
            status: None,
            error,
            read,
        }
    }

    async fn call(
        &mut self,
        service: &str,
        req: &Request,
    ) -> (Outcome, Option<Vec<String>>, Option<String>) {
        let kind = req.kind;
        let value = req.value.clone().unwrap_or_default();
        let client = match self.client(kind).await {
            Ok(c) => c,
            // Nothing of the operation was sent: it definitely did not happen.
            Err(e) => return (Outcome::Fail, None, Some(e)),
        };
        let ok = |read| (Outcome::Ok, read, None);
        match (client, kind) {
            (Built::Config(c), OpKind::PublishConfig) => {
                match c
                    .publish_config(req.key.clone(), GROUP.into(), value, None)
                    .await
                {
                    Ok(true) => ok(None),
                    Ok(false) => (
                        Outcome::Fail,
                        None,
                        Some("server: publish_config returned false".into()),
                    ),
                    Err(e) => classify_sdk_error(kind, &e),
                }
            }
            (Built::Config(c), _) => match c.get_config(req.key.clone(), GROUP.into()).await {
                Ok(r) => ok(Some(vec![r.content().clone()])),
                Err(e) => classify_sdk_error(kind, &e),
            },
            (Built::Naming(n), OpKind::ListInstances) => {
                match n
                    .get_all_instances(service.into(), None, vec![], false)
                    .await
                {
                    Ok(list) => {
                        let mut v: Vec<String> = list
                            .iter()
                            .map(|i| format!("{}:{}", i.ip, i.port))
                            .collect();
                        v.sort();
                        ok(Some(v))
                    }
                    Err(e) => classify_sdk_error(kind, &e),
                }
            }
            (Built::Naming(n), _) => {
                let (ip, port) = value.split_once(':').unwrap_or((value.as_str(), "0"));
                let instance = ServiceInstance {
                    ip: ip.into(),
                    port: port.parse().unwrap_or(0),
                    ephemeral: kind == OpKind::RegisterEphemeral,
                    ..Default::default()
                };
                let r = if kind == OpKind::Deregister {
                    n.deregister_instance(service.into(), None, instance).await
                } else {
                    n.register_instance(service.into(), None, instance).await
                };
                match r {
                    Ok(()) => ok(None),
                    Err(e) => classify_sdk_error(kind, &e),
                }
            }
        }
    }
}

/// What one SDK probe task needs.
pub(crate) struct SdkCtx {
    pub node: String,
    pub index: usize,
    pub tag: String,
    pub history: Arc<Mutex<History>>,
    pub endpoints: watch::Receiver<Vec<Endpoint>>,
    pub stop: watch::Receiver<bool>,
    pub ops: Vec<OpKind>,
    pub timeout: Duration,
    pub epoch: Instant,
    pub subnet_octet: u8,
    pub service: String,
}

/// The SDK request for tick `seq` (1-based) of node `index`.
fn request(ctx: &SdkCtx, kind: OpKind, seq: u64, last_key: &mut Option<String>) -> Request {
    // Ports 60000-64999 are the SDK's own (the HTTP probe's are 20000-59999).
    let ks = KeySpace {
        key_prefix: "chaos-sdk-",
        value_prefix: "sdk-v",
        service: &ctx.service,
        port_base: 60000,
        port_stride: 1000,
        port_span: 5000,
    };
    let writer = Writer {
        node: &ctx.node,
        index: ctx.index,
        octet: ctx.subnet_octet,
        tag: &ctx.tag,
    };
    next_request(&ks, &writer, kind, seq, last_key)
}

/// One node's SDK probe loop: same tick rate and mix as the HTTP probe. Clients are rebuilt
/// when the node's host ports change and dropped while it is down.
pub(crate) async fn sdk_loop(ctx: SdkCtx, period: Duration) {
    let cache = match tempfile::Builder::new()
        .prefix("nacos-chaos-sdk-cache-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("sdk probe {}: no cache directory: {e}", ctx.node);
            return;
        }
    };
    let mut clients: Option<SdkClients> = None;
    let mut schedule = super::runner::Schedule::new(
        period,
        ctx.stop.clone(),
        ctx.ops.clone(),
        ctx.history.clone(),
        format!("{SDK_CLIENT}/{}", ctx.node),
    );
    let mut last_key: Option<String> = None;
    while let Some((kind, seq)) = schedule.next().await {
        let ep = ctx.endpoints.borrow().get(ctx.index).cloned();
        let Some(ep) = ep else { continue };
        if ep.drained {
            continue;
        }
        let req = request(&ctx, kind, seq, &mut last_key);
        let target = ep
            .base
            .as_deref()
            .map(|b| b.trim_start_matches("http://").to_string())
            .zip(ep.grpc);
        let op = match target {
            Some((addr, grpc)) => {
                if clients.as_ref().map(|c| c.target()) != Some((addr.as_str(), grpc)) {
                    clients = Some(SdkClients::new(&addr, grpc, cache.path().to_path_buf()));
                }
                let c = clients.as_mut().expect("set above");
                c.run(&ctx.node, &ctx.service, &req, ctx.epoch, ctx.timeout)
                    .await
            }
            None => {
                // Down by the harness's own hand (or no gRPC port published): record a
                // refused operation without sending anything, as the HTTP probe does.
                clients = None;
                let now = ctx.epoch.elapsed().as_millis() as u64;
                let why = if ep.base.is_some() {
                    "no gRPC port published"
                } else {
                    "node not running"
                };
                Op::unsent(&ctx.node, SDK_CLIENT, req, now, why)
            }
        };
        if let Ok(mut h) = ctx.history.lock() {
            h.push(op);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sdk_errors() {
        let refused = SdkError::ErrResult("handle register failed".into());
        // No code to tell a refusal from a server error: a write may have happened.
        assert_eq!(
            classify_sdk_error(OpKind::PublishConfig, &refused).0,
            Outcome::Unknown
        );
        // Registrations are re-sent by the SDK's redo task: never definitely failed.
        let (o, _, e) = classify_sdk_error(OpKind::RegisterPersistent, &refused);
        assert_eq!(o, Outcome::Unknown);
        assert!(e.unwrap().contains("re-sends"));
        assert_eq!(
            classify_sdk_error(
                OpKind::RegisterPersistent,
                &SdkError::InvalidParam("ip".into(), "blank".into())
            )
            .0,
            Outcome::Fail
        );
        let resp = SdkError::ErrResponse(None, 500, 302, Some("Not Found".into()));
        assert_eq!(
            classify_sdk_error(OpKind::ListInstances, &resp).0,
            Outcome::Fail
        );
        let (o, _, e) = classify_sdk_error(
            OpKind::ListInstances,
            &SdkError::ClientUnhealthy("x".into()),
        );
        assert_eq!(o, Outcome::Unknown);
        assert!(e.unwrap().starts_with("transport:"));
        let (o, read, e) =
            classify_sdk_error(OpKind::GetConfig, &SdkError::ConfigNotFound("k".into()));
        assert_eq!((o, read, e), (Outcome::Ok, Some(vec![]), None));
        assert_eq!(
            classify_sdk_error(OpKind::PublishConfig, &SdkError::ConfigNotFound("k".into())).0,
            Outcome::Fail
        );
    }

    /// The gRPC analogue of HTTP 5xx: a write refused with a server error code may have
    /// committed (forwarded to the leader, answered late) and is Unknown; a client error
    /// code is a definite refusal. Reads are unaffected.
    #[test]
    fn sdk_write_refused_with_a_server_error_is_unknown_client_error_is_fail() {
        use OpKind::*;
        let server = || {
            SdkError::ErrResult(
                "handle publish_config failed: result_code=500, error_code=500, message=forward failed"
                    .into(),
            )
        };
        let response = || SdkError::ErrResponse(None, 500, 503, Some("no leader".into()));
        let client = || {
            SdkError::ErrResult(
                "handle publish_config failed: result_code=500, error_code=400, message=dataId invalid"
                    .into(),
            )
        };
        for kind in [PublishConfig, Deregister] {
            assert_eq!(
                classify_sdk_error(kind, &server()).0,
                Outcome::Unknown,
                "{kind:?}"
            );
            assert_eq!(
                classify_sdk_error(kind, &response()).0,
                Outcome::Unknown,
                "{kind:?}"
            );
            let (o, _, e) = classify_sdk_error(kind, &client());
            assert_eq!(o, Outcome::Fail, "{kind:?}");
            assert!(e.unwrap().contains("error_code=400"));
        }
        assert_eq!(classify_sdk_error(GetConfig, &server()).0, Outcome::Fail);
        assert_eq!(
            classify_sdk_error(ListInstances, &response()).0,
            Outcome::Fail
        );
    }

    #[test]
    fn suites_accept_sdk_true_in_this_build() {
        let text = "name = \"d\"\n[cluster]\nflavor = \"rnacos\"\n[versions]\nfrom = [\"0.8.8\"]\n\
                    [workload]\nsdk = true\n[[steps]]\naction = \"start\"\n";
        let s = crate::scenario::Suite::parse("x.toml", text).unwrap();
        assert!(s.workload.sdk);
        assert!(s.workload.validate().is_ok());
        let bad = text.replace("sdk = true", "sdk = true\nsdk_typo = 1");
        assert!(crate::scenario::Suite::parse("x.toml", &bad).is_err());
    }

    #[test]
    fn sdk_keys_are_distinct_from_http_and_inside_the_subnet() {
        let (_tx, rx) = watch::channel(vec![]);
        let (_stx, srx) = watch::channel(false);
        let ctx = SdkCtx {
            node: "n2".into(),
            index: 1,
            tag: "r1.s1".into(),
            history: Default::default(),
            endpoints: rx,
            stop: srx,
            ops: vec![],
            timeout: Duration::from_secs(1),
            epoch: Instant::now(),
            subnet_octet: 9,
            service: sdk_service("r1"),
        };
        let mut last = None;
        let p = request(&ctx, OpKind::PublishConfig, 3, &mut last);
        assert_eq!(p.key, "chaos-sdk-r1.s1-n2-3");
        assert_eq!(request(&ctx, OpKind::GetConfig, 4, &mut last).key, p.key);
        for seq in 1..200 {
            let r = request(&ctx, OpKind::RegisterPersistent, seq, &mut last);
            assert_eq!(r.key, "nacos-chaos-probe-sdk-r1");
            let v = r.value.unwrap();
            let (ip, port) = v.split_once(':').unwrap();
            let last_octet: u8 = ip.strip_prefix("10.231.9.").unwrap().parse().unwrap();
            assert!((200..250).contains(&last_octet), "{ip}");
            assert!((60000..65000).contains(&port.parse::<u32>().unwrap()));
        }
    }
}

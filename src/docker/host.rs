//! Which engine the harness talks to (`DOCKER_HOST`), and where the ports it publishes can
//! be reached from this machine.
//!
//! A local engine (`unix://…`, or `tcp://` on a loopback address) publishes node ports on
//! 127.0.0.1 and the harness dials 127.0.0.1. A remote engine (`tcp://build-box:2375`)
//! publishes them on all of *its* interfaces (0.0.0.0) and the harness dials its host name:
//! 127.0.0.1 of another machine is out of reach. `NACOS_CHAOS_PUBLISH_HOST` names another
//! address to dial (a tunnel, a VPN name); a loopback one keeps ports on 127.0.0.1.

use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The engine address used when `DOCKER_HOST` is unset.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

/// Where an engine's published ports are: the address they are bound to on the engine's
/// host, and the address this machine dials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The engine address (`DOCKER_HOST`).
    pub docker_host: String,
    /// `HostIp` of every port binding (`127.0.0.1`, or `0.0.0.0` for a remote engine).
    pub bind_ip: String,
    /// Host this machine dials to reach a published port.
    pub reach_host: String,
}

/// `DOCKER_HOST`, or [`DEFAULT_DOCKER_HOST`] when unset or empty.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_DOCKER_HOST.to_string())
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The endpoint of the engine at `docker_host`, with `publish_host` (from
/// `NACOS_CHAOS_PUBLISH_HOST`) overriding the address dialled. A scheme the harness cannot
/// use is an error naming the supported ones.
///
/// ```
/// use nacos_chaos::docker::endpoint;
/// let local = endpoint("unix:///var/run/docker.sock", None).unwrap();
/// assert_eq!((local.bind_ip.as_str(), local.reach_host.as_str()), ("127.0.0.1", "127.0.0.1"));
/// let remote = endpoint("tcp://build-box:2375", None).unwrap();
/// assert_eq!((remote.bind_ip.as_str(), remote.reach_host.as_str()), ("0.0.0.0", "build-box"));
/// assert!(endpoint("ssh://me@build-box", None).unwrap_err().to_string().contains("tcp://"));
/// ```
pub fn endpoint(docker_host: &str, publish_host: Option<&str>) -> Result<Endpoint> {
    let engine_host = if docker_host.starts_with("unix://") {
        "127.0.0.1".to_string()
    } else if let Some(rest) = docker_host
        .strip_prefix("tcp://")
        .or_else(|| docker_host.strip_prefix("http://"))
    {
        let authority = rest.split('/').next().unwrap_or_default();
        let host = match authority.rsplit_once(':') {
            // `[::1]:2375`, `host:2375`; a bare IPv6 address has more colons.
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
            _ => authority,
        };
        if host.is_empty() {
            return Err(unsupported(docker_host, "no host in the address"));
        }
        host.to_string()
    } else {
        return Err(unsupported(docker_host, "unsupported scheme"));
    };
    let reach = publish_host
        .filter(|h| !h.is_empty())
        .map(String::from)
        .unwrap_or(engine_host);
    let (bind_ip, reach_host) = if is_loopback(&reach) {
        ("127.0.0.1".to_string(), "127.0.0.1".to_string())
    } else {
        ("0.0.0.0".to_string(), reach)
    };
    Ok(Endpoint {
        docker_host: docker_host.to_string(),
        bind_ip,
        reach_host,
    })
}

fn unsupported(docker_host: &str, why: &str) -> Error {
    Error::Engine(format!(
        "DOCKER_HOST={docker_host}: {why}; nacos-chaos speaks unix:///path/to/docker.sock and \
         tcp://host:port (for ssh, forward the socket: ssh -NL 2375:/var/run/docker.sock host, \
         then DOCKER_HOST=tcp://127.0.0.1:2375 and NACOS_CHAOS_PUBLISH_HOST=host)"
    ))
}

/// The endpoint of this process's engine, from `DOCKER_HOST` and `NACOS_CHAOS_PUBLISH_HOST`
/// as they were at first use (an unusable `DOCKER_HOST` falls back to loopback here; the
/// connection itself reports it).
pub fn current() -> &'static Endpoint {
    static EP: OnceLock<Endpoint> = OnceLock::new();
    EP.get_or_init(|| {
        let host = docker_host();
        let publish = std::env::var("NACOS_CHAOS_PUBLISH_HOST").ok();
        endpoint(&host, publish.as_deref()).unwrap_or(Endpoint {
            docker_host: host,
            bind_ip: "127.0.0.1".into(),
            reach_host: "127.0.0.1".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_local_and_remote_engines() {
        let ep = |h: &str, p: Option<&str>| endpoint(h, p).ok().map(|e| (e.bind_ip, e.reach_host));
        let local = Some(("127.0.0.1".to_string(), "127.0.0.1".to_string()));
        assert_eq!(ep("unix:///run/user/1000/docker.sock", None), local);
        assert_eq!(ep("tcp://127.0.0.1:2375", None), local);
        assert_eq!(ep("tcp://localhost:2375", None), local);
        assert_eq!(ep("tcp://[::1]:2375", None), local);
        assert_eq!(
            ep("tcp://10.1.2.3:2375", None),
            Some(("0.0.0.0".into(), "10.1.2.3".into()))
        );
        assert_eq!(
            ep("http://box.lan:2375/", None),
            Some(("0.0.0.0".into(), "box.lan".into()))
        );
        // A tunnel to a remote engine: dial the remote host, not the tunnel's end.
        assert_eq!(
            ep("tcp://127.0.0.1:2375", Some("box.lan")),
            Some(("0.0.0.0".into(), "box.lan".into()))
        );
        for bad in [
            "ssh://box",
            "https://box:2376",
            "/var/run/docker.sock",
            "tcp://",
        ] {
            let e = endpoint(bad, None).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains("unix://"), "{e}");
        }
    }
}

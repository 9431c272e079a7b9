//! Rendering: the docker-startup.sh env contract, cluster.conf, ports and validation.

use std::net::Ipv4Addr;

use nacos_chaos::Error;
use nacos_chaos::flavor::official::{
    IMAGE_TAGS, Official, cluster_conf, server_ip, server_ip_accepted,
};
use nacos_chaos::flavor::{
    ClusterMode, ContainerSpec, Flavor, IdentityMode, Membership, NodeIdentity, RenderCtx,
};
use rstest::rstest;

use super::{membership, node, node_at};

const TOKEN: &str = "bmFjb3MtY2hhb3Mtb2ZmaWNpYWwtZmxhdm9yLWp3dC1zZWNyZXQta2V5LTM2";

fn render(
    version: &str,
    me: &nacos_chaos::flavor::NodeIdentity,
    m: &Membership,
    tuning: &[(String, String)],
) -> Result<ContainerSpec, Error> {
    Official::default().render(&RenderCtx {
        node: me,
        membership: m,
        version,
        join: None,
        tuning,
    })
}

fn render_standalone(
    version: &str,
    me: &NodeIdentity,
    mode: IdentityMode,
) -> Result<ContainerSpec, Error> {
    let m = Membership {
        mode,
        members: vec![me.clone()],
        naming: Default::default(),
    };
    Official::default()
        .mode(ClusterMode::Standalone)
        .render(&RenderCtx {
            node: me,
            membership: &m,
            version,
            join: None,
            tuning: &[],
        })
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The exact env for n1 (contract §1: docker-startup.sh and application.properties).
/// `self_addr` empty: no `NACOS_SERVER_IP` (hostname mode with a bare name).
fn expected_env(v3: bool, servers: &str, self_addr: &str, prefer: &str) -> Vec<(String, String)> {
    let mut env = pairs(&[("MODE", "cluster"), ("NACOS_SERVERS", servers)]);
    if !self_addr.is_empty() {
        env.extend(pairs(&[("NACOS_SERVER_IP", self_addr)]));
    }
    env.extend(pairs(&[
        ("PREFER_HOST_MODE", prefer),
        ("EMBEDDED_STORAGE", "embedded"),
        ("SPRING_DATASOURCE_PLATFORM", ""),
        ("JVM_XMS", "512m"),
        ("JVM_XMX", "512m"),
        ("JVM_XMN", "256m"),
        ("NACOS_AUTH_ENABLE", "false"),
    ]));
    if v3 {
        env.extend(pairs(&[
            ("NACOS_AUTH_TOKEN", TOKEN),
            ("NACOS_AUTH_IDENTITY_KEY", "nacos-chaos-identity"),
            ("NACOS_AUTH_IDENTITY_VALUE", "nacos-chaos-peer"),
            ("NACOS_AUTH_ADMIN_ENABLE", "false"),
            ("NACOS_AUTH_CONSOLE_ENABLE", "false"),
        ]));
    }
    env
}

#[rstest]
#[case::ip_2_4_1(
    "2.4.1",
    IdentityMode::Ip,
    "172.28.0.11:8848 172.28.0.12:8848 172.28.0.13:8848",
    "172.28.0.11",
    "ip",
    "172.28.0.11:8848\n172.28.0.12:8848\n172.28.0.13:8848\n"
)]
#[case::hostname_2_4_1(
    "2.4.1",
    IdentityMode::Hostname,
    "n1:8848 n2:8848 n3:8848",
    "",
    "hostname",
    "n1:8848\nn2:8848\nn3:8848\n"
)]
#[case::ip_3_0_3(
    "3.0.3",
    IdentityMode::Ip,
    "172.28.0.11:8848 172.28.0.12:8848 172.28.0.13:8848",
    "172.28.0.11",
    "ip",
    "172.28.0.11:8848\n172.28.0.12:8848\n172.28.0.13:8848\n"
)]
#[case::hostname_3_0_3(
    "v3.0.3",
    IdentityMode::Hostname,
    "n1:8848 n2:8848 n3:8848",
    "",
    "hostname",
    "n1:8848\nn2:8848\nn3:8848\n"
)]
fn render_env_contract(
    #[case] version: &str,
    #[case] mode: IdentityMode,
    #[case] servers: &str,
    #[case] self_addr: &str,
    #[case] prefer: &str,
    #[case] conf: &str,
) {
    let v3 = version.trim_start_matches('v').starts_with('3');
    let spec = render(version, &node(1), &membership(mode), &[]).unwrap();
    assert_eq!(spec.env, expected_env(v3, servers, self_addr, prefer));
    assert_eq!(
        spec.image,
        format!("nacos/nacos-server:v{}", version.trim_start_matches('v'))
    );
    assert_eq!(spec.cmd, None);
    let ports: &[u16] = if v3 {
        &[8848, 9848, 9849, 7848, 8080]
    } else {
        &[8848, 9848, 9849, 7848]
    };
    assert_eq!(spec.ports, ports);
    assert_eq!(spec.data_path, "/home/nacos/data");
    assert_eq!(
        spec.files,
        vec![(
            "/home/nacos/conf/cluster.conf".to_string(),
            conf.to_string()
        )]
    );
    assert_eq!(spec.memory_bytes, Some(1536 * 1024 * 1024));
    // The startup script regenerates cluster.conf from NACOS_SERVERS: both must agree.
    let from_env: Vec<&str> = servers.split(' ').collect();
    let from_file: Vec<&str> = conf.lines().collect();
    assert_eq!(from_env, from_file);
    assert_eq!(cluster_conf(&membership(mode)), conf);
}

/// 1.4.1, 2.0.4 and 2.1.2, each from its own source: the same env contract as 2.2+
/// (`build/bin/docker-startup.sh` @nacos-docker 678b2a9 (1.4.1), v2.0.4, v2.1.2), and gRPC
/// ports only from 2.0 (`GrpcSdkServer`/`GrpcClusterServer` @2.0.4; none @1.4.1).
#[rstest]
#[case::v1_4_1("1.4.1", &[8848, 7848])]
#[case::v2_0_4("2.0.4", &[8848, 9848, 9849, 7848])]
#[case::v2_1_2("2.1.2", &[8848, 9848, 9849, 7848])]
fn older_versions_render(
    #[case] version: &str,
    #[case] ports: &[u16],
    #[values(IdentityMode::Ip, IdentityMode::Hostname)] mode: IdentityMode,
) {
    let spec = render(version, &node(1), &membership(mode), &[]).unwrap();
    assert_eq!(spec.ports, ports);
    assert_eq!(spec.image, format!("nacos/nacos-server:v{version}"));
    let (servers, self_addr, prefer) = match mode {
        IdentityMode::Ip => (
            "172.28.0.11:8848 172.28.0.12:8848 172.28.0.13:8848",
            "172.28.0.11",
            "ip",
        ),
        IdentityMode::Hostname => ("n1:8848 n2:8848 n3:8848", "", "hostname"),
    };
    assert_eq!(spec.env, expected_env(false, servers, self_addr, prefer));
    assert_eq!(spec.files.len(), 1);
}

#[rstest]
#[case::v2_0_4("2.0.4")]
#[case::v2_1_2("2.1.2")]
#[case::v2_4_1("2.4.1")]
#[case::v3_0_3("3.0.3")]
fn standalone_renders_mode_and_no_membership(
    #[case] version: &str,
    #[values(IdentityMode::Ip, IdentityMode::Hostname)] mode: IdentityMode,
) {
    let spec = render_standalone(version, &node(1), mode).unwrap();
    let get = |k: &str| {
        spec.env
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("MODE"), Some("standalone"));
    // The image's standalone branch skips print_servers and never reads EMBEDDED_STORAGE.
    assert_eq!(get("NACOS_SERVERS"), None);
    assert_eq!(get("EMBEDDED_STORAGE"), None);
    assert_eq!(get("SPRING_DATASOURCE_PLATFORM"), Some(""));
    assert!(spec.files.is_empty(), "{:?}", spec.files);
    match mode {
        IdentityMode::Ip => assert_eq!(get("NACOS_SERVER_IP"), Some("172.28.0.11")),
        IdentityMode::Hostname => assert_eq!(get("NACOS_SERVER_IP"), None),
    }
    // Known-bad twin: the same node in cluster mode is told a membership.
    let cluster = render(version, &node(1), &membership(mode), &[]).unwrap();
    assert!(cluster.env.iter().any(|(k, _)| k == "NACOS_SERVERS"));
}

#[test]
fn standalone_refuses_1x_and_more_than_one_node() {
    let e = config_error(render_standalone("1.4.1", &node(1), IdentityMode::Ip));
    assert!(e.contains("runs no raft group"), "{e}");
    let three = Official::default()
        .mode(ClusterMode::Standalone)
        .render(&RenderCtx {
            node: &node(1),
            membership: &membership(IdentityMode::Ip),
            version: "2.0.4",
            join: None,
            tuning: &[],
        });
    assert!(config_error(three).contains("one node"));
}

#[test]
fn stale_membership_ip_mode() {
    // n1 came back with a new IP but is told the old membership: allowed, rendered as told.
    let me = node_at(1, Ipv4Addr::new(172, 28, 0, 21));
    let spec = render("2.4.1", &me, &membership(IdentityMode::Ip), &[]).unwrap();
    let env = |k: &str| {
        spec.env
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(env("NACOS_SERVER_IP"), Some("172.28.0.21"));
    assert_eq!(
        env("NACOS_SERVERS"),
        Some("172.28.0.11:8848 172.28.0.12:8848 172.28.0.13:8848")
    );
    let conf = &spec.files[0].1;
    assert_eq!(
        conf,
        "172.28.0.11:8848\n172.28.0.12:8848\n172.28.0.13:8848\n"
    );
    assert!(
        !conf.contains("172.28.0.21"),
        "self is not in the stale membership"
    );
}

#[test]
fn stale_membership_hostname_mode() {
    let m = Membership {
        mode: IdentityMode::Hostname,
        members: vec![node(2), node(3)],
        naming: Default::default(),
    };
    let spec = render("3.0.3", &node(1), &m, &[]).unwrap();
    assert!(!spec.env.iter().any(|(k, _)| k == "NACOS_SERVER_IP"));
    assert!(
        spec.env
            .contains(&("NACOS_SERVERS".into(), "n2:8848 n3:8848".into()))
    );
    assert_eq!(spec.files[0].1, "n2:8848\nn3:8848\n");
}

#[test]
fn tuning_goes_to_java_opt_ext() {
    let t = pairs(&[
        ("election_timeout_ms", "6000"),
        ("snapshot_interval_secs", "30"),
        ("strictMode", "true"),
    ]);
    let spec = render("2.4.2", &node(1), &membership(IdentityMode::Ip), &t).unwrap();
    let want = "--nacos.core.protocol.raft.data.election_timeout_ms=6000 \
                --nacos.core.protocol.raft.data.snapshot_interval_secs=30 \
                --nacos.core.protocol.raft.strictMode=true";
    assert_eq!(
        spec.env.last(),
        Some(&("JAVA_OPT_EXT".to_string(), want.to_string()))
    );
    // Below the server's 5000 ms clamp: still rendered as asked (the server ignores it).
    let low = pairs(&[("election_timeout_ms", "1000")]);
    let spec = render("2.4.1", &node(1), &membership(IdentityMode::Ip), &low).unwrap();
    assert!(spec.env.contains(&(
        "JAVA_OPT_EXT".into(),
        "--nacos.core.protocol.raft.data.election_timeout_ms=1000".into()
    )));
}

fn config_error(r: Result<ContainerSpec, Error>) -> String {
    match r {
        Err(e @ Error::Config(_)) => e.to_string(),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[rstest]
#[case::latest("latest", "major.minor.patch")]
#[case::two_parts("2.4", "major.minor.patch")]
#[case::slim_tag("2.4.1-slim", "major.minor.patch")]
#[case::too_old("1.4.0", "outside the supported range")]
#[case::too_new("4.0.0", "outside the supported range")]
fn bad_versions_rejected(#[case] version: &str, #[case] want: &str) {
    let msg = config_error(render(
        version,
        &node(1),
        &membership(IdentityMode::Ip),
        &[],
    ));
    assert!(msg.contains(want), "{msg}");
}

#[test]
fn empty_membership_rejected() {
    let m = Membership {
        mode: IdentityMode::Ip,
        members: vec![],
        naming: Default::default(),
    };
    assert!(config_error(render("2.4.1", &node(1), &m, &[])).contains("empty"));
}

#[test]
fn duplicate_member_rejected() {
    let m = Membership {
        mode: IdentityMode::Ip,
        members: vec![node(1), node(1)],
        naming: Default::default(),
    };
    assert!(config_error(render("2.4.1", &node(1), &m, &[])).contains("twice"));
}

#[rstest]
#[case::space("n 1")]
#[case::colon("n1:1")]
#[case::empty("")]
fn bad_hostname_rejected(#[case] hostname: &str) {
    let mut bad = node(1);
    bad.hostname = hostname.into();
    let m = Membership {
        mode: IdentityMode::Hostname,
        members: vec![bad.clone(), node(2)],
        naming: Default::default(),
    };
    assert!(config_error(render("2.4.1", &node(2), &m, &[])).contains("address"));
    // The node itself with a bad name is rejected too, even outside the membership.
    let ok = membership(IdentityMode::Hostname);
    assert!(config_error(render("2.4.1", &bad, &ok, &[])).contains("address"));
}

#[rstest]
#[case::unknown_key("election_timeout", "6000", "unknown official Nacos raft tuning key")]
#[case::unused_key(
    "request_failoverRetries",
    "3",
    "unknown official Nacos raft tuning key"
)]
#[case::shell_split("election_timeout_ms", "6000 --x", "non-empty word")]
#[case::strict_too_old("strictMode", "true", "needs Nacos 2.4.2")]
fn bad_tuning_rejected(#[case] key: &str, #[case] value: &str, #[case] want: &str) {
    let t = pairs(&[(key, value)]);
    let msg = config_error(render("2.4.1", &node(1), &membership(IdentityMode::Ip), &t));
    assert!(msg.contains(want), "{msg}");
}

/// What `-Dnacos.server.ip` the image would pass and whether `InetUtils` would take it.
fn server_ip_env(spec: &ContainerSpec) -> Option<&str> {
    spec.env
        .iter()
        .find(|(k, _)| k == "NACOS_SERVER_IP")
        .map(|(_, v)| v.as_str())
}

fn prefer(spec: &ContainerSpec) -> Option<&str> {
    spec.env
        .iter()
        .find(|(k, _)| k == "PREFER_HOST_MODE")
        .map(|(_, v)| v.as_str())
}

#[rstest]
fn every_version_starts_in_both_modes(
    #[values(IdentityMode::Ip, IdentityMode::Hostname)] mode: IdentityMode,
) {
    for version in IMAGE_TAGS {
        // Standalone too, where the version has one (2.0.0+): same self-address rule.
        if !version.starts_with('1') {
            let spec = render_standalone(version, &node(1), mode).unwrap();
            if let Some(ip) = server_ip_env(&spec) {
                assert!(server_ip_accepted(ip), "{version} standalone: {ip}");
            }
            let want = (mode == IdentityMode::Ip).then_some("172.28.0.11");
            assert_eq!(server_ip_env(&spec), want, "{version} standalone");
        }
        for i in 1..=3 {
            let spec = render(version, &node(i), &membership(mode), &[]).unwrap();
            // Whatever NACOS_SERVER_IP is rendered, InetUtils' initialiser accepts it.
            if let Some(ip) = server_ip_env(&spec) {
                assert!(
                    server_ip_accepted(ip),
                    "{version} n{i}: {ip} would stop the server"
                );
            }
            match mode {
                IdentityMode::Ip => {
                    assert_eq!(
                        server_ip_env(&spec),
                        Some(format!("172.28.0.{}", 10 + i).as_str())
                    );
                    assert_eq!(prefer(&spec), Some("ip"));
                }
                IdentityMode::Hostname => {
                    // A bare name is left to PREFER_HOST_MODE=hostname and the container's
                    // host name, which equals the node's cluster.conf entry.
                    assert_eq!(server_ip_env(&spec), None, "{version} n{i}");
                    assert_eq!(prefer(&spec), Some("hostname"));
                    let me = format!("{}:8848", node(i).hostname);
                    assert!(spec.files[0].1.lines().any(|l| l == me), "{version}");
                }
            }
        }
    }
}

#[rstest]
#[case::ipv4("172.28.0.11", true)]
#[case::ipv6("::1", true)]
#[case::ipv6_brackets("[fe80::1]", true)]
#[case::localhost("localhost", true)]
#[case::dotted("n1.nacos-chaos", true)]
#[case::dotted_trailing_dot("n1.nacos-chaos.", true)]
#[case::bare("n1", false)]
#[case::underscore("n_1.nacos", false)]
#[case::leading_dash("-n1.nacos", false)]
#[case::empty_label("n1..nacos", false)]
#[case::long_label(&format!("{}.x", "a".repeat(64)), false)]
#[case::empty("", false)]
fn server_ip_rule(#[case] value: &str, #[case] ok: bool) {
    assert_eq!(server_ip_accepted(value), ok, "{value}");
}

#[test]
fn dotted_hostname_is_passed_explicitly() {
    let mut me = node(1);
    me.hostname = "n1.nacos-chaos".into();
    assert_eq!(
        server_ip(&me, IdentityMode::Hostname).as_deref(),
        Some("n1.nacos-chaos")
    );
    let m = Membership {
        mode: IdentityMode::Hostname,
        members: vec![me.clone(), node(2), node(3)],
        naming: Default::default(),
    };
    let spec = render("2.4.1", &me, &m, &[]).unwrap();
    assert_eq!(server_ip_env(&spec), Some("n1.nacos-chaos"));
}

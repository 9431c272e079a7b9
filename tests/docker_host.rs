//! `DOCKER_HOST` decides which engine the harness drives: an explicit
//! `unix:///var/run/docker.sock`, and the same engine over `tcp://` (through a forwarder
//! this test runs, which counts the connections — proof the harness went through it, not
//! to the default socket). A scheme the harness cannot use is a CLI error naming it.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_nacos-chaos");
const SOCKET: &str = "/var/run/docker.sock";

/// `up` a one-node r-nacos cluster against `docker_host`, torn down on exit.
fn up_one_node(docker_host: &str) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .env("DOCKER_HOST", docker_host)
        .args([
            "up",
            "--nodes",
            "1",
            "--version",
            common::RNACOS_TO,
            "--timeout",
            "120s",
        ])
        .output()
        .expect("run nacos-chaos up");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_unix_docker_host_drives_the_local_engine() {
    let test = "an_explicit_unix_docker_host_drives_the_local_engine";
    if common::engine_or_skip(test).await.is_none() {
        return;
    }
    if !std::path::Path::new(SOCKET).exists() {
        common::skip(test, &format!("the engine is not at {SOCKET}"));
        return;
    }
    let (code, out) = up_one_node(&format!("unix://{SOCKET}"));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("time to agreed leader"), "{out}");
    // The variable is honoured, not ignored: a socket that is not there fails.
    let (code, out) = up_one_node("unix:///nonexistent/docker.sock");
    assert_eq!(code, Some(64), "{out}");
    assert!(out.contains("unix:///nonexistent/docker.sock"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_docker_host_is_used_not_the_default_socket() {
    let test = "a_tcp_docker_host_is_used_not_the_default_socket";
    if common::engine_or_skip(test).await.is_none() {
        return;
    }
    if !std::path::Path::new(SOCKET).exists() {
        common::skip(test, &format!("the engine is not at {SOCKET}"));
        return;
    }
    // tcp://127.0.0.1:<port> → the local socket, counting connections.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let conns = Arc::new(AtomicUsize::new(0));
    let counted = conns.clone();
    let forwarder = tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut unix) = tokio::net::UnixStream::connect(SOCKET).await {
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
                }
            });
        }
    });
    let host = format!("tcp://127.0.0.1:{port}");
    let (code, out) = tokio::task::spawn_blocking(move || up_one_node(&host))
        .await
        .unwrap();
    forwarder.abort();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("time to agreed leader"), "{out}");
    assert!(
        conns.load(Ordering::SeqCst) > 0,
        "no connection reached tcp://127.0.0.1:{port}: DOCKER_HOST was ignored"
    );
}

#[test]
fn an_unusable_docker_host_is_a_cli_error_naming_it() {
    let out = Command::new(BIN)
        .env("DOCKER_HOST", "ssh://me@build-box")
        .args(["gc", "--dry-run"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{text}");
    assert!(
        text.contains("DOCKER_HOST=ssh://me@build-box") && text.contains("tcp://host:port"),
        "{text}"
    );
}

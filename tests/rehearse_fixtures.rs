//! The official flavor's baseline by fixtures: a stand-in server answering the official
//! open API's JSON shapes (`nacos-contract.md`: console namespaces, `cs/configs?search=blur`
//! pages, `ns/service/list` `doms`, `ns/instance/list` `hosts`) is read by
//! `rehearse::baseline::read` as a restored official node would be, and the comparison
//! names each baseline entry gone or changed. No image needed.

use std::sync::{Arc, Mutex};

use nacos_chaos::flavor::FlavorKind;
use nacos_chaos::rehearse::baseline::{self, Entry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the stand-in serves: configs (group, dataId, content) and persistent/ephemeral
/// instances (port, ephemeral) of `svc-a` in DEFAULT_GROUP, public namespace only.
#[derive(Clone, Default)]
struct State {
    configs: Vec<(&'static str, &'static str, &'static str)>,
    instances: Vec<(u16, bool)>,
}

fn answer(state: &State, target: &str) -> (u16, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let q = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .unwrap_or("")
            .to_string()
    };
    let body = match path {
        "/nacos/v1/console/namespaces" => serde_json::json!({"code": 200, "data": [
            {"namespace": "", "namespaceShowName": "public", "type": 0}]}),
        "/nacos/v1/cs/configs" => {
            let items: Vec<_> = state
                .configs
                .iter()
                .map(|(g, id, c)| serde_json::json!({"dataId": id, "group": g, "content": c, "tenant": ""}))
                .collect();
            serde_json::json!({"totalCount": items.len(), "pageNumber": 1, "pagesAvailable": 1, "pageItems": items})
        }
        "/nacos/v1/ns/service/list" if q("groupName") == "DEFAULT_GROUP" => {
            let doms: Vec<&str> = if state.instances.is_empty() {
                vec![]
            } else {
                vec!["svc-a"]
            };
            serde_json::json!({"count": doms.len(), "doms": doms})
        }
        "/nacos/v1/ns/service/list" => serde_json::json!({"count": 0, "doms": []}),
        "/nacos/v1/ns/instance/list" => {
            let hosts: Vec<_> = state
                .instances
                .iter()
                .map(|(p, e)| serde_json::json!({"ip": "10.1.0.1", "port": p, "ephemeral": e, "healthy": true}))
                .collect();
            serde_json::json!({"name": "DEFAULT_GROUP@@svc-a", "hosts": hosts})
        }
        _ => return (404, "no such path".into()),
    };
    (200, body.to_string())
}

/// Serve `state` on 127.0.0.1 until the test ends; returns the base URL.
async fn stand_in(state: Arc<Mutex<State>>) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let state = state.lock().unwrap().clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let target = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (code, body) = answer(&state, &target);
                let resp = format!(
                    "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    base
}

#[tokio::test]
async fn official_baseline_is_read_through_the_api_and_losses_are_named() {
    let state = Arc::new(Mutex::new(State {
        configs: vec![
            ("DEFAULT_GROUP", "app.yaml", "port: 8080"),
            ("G2", "flags", "{}"),
        ],
        instances: vec![(9001, false), (9002, false), (9100, true)],
    }));
    let base = stand_in(state.clone()).await;
    let http = reqwest::Client::new();
    let before = baseline::read(&http, &base, FlavorKind::Official)
        .await
        .unwrap();
    assert_eq!(before.counts(), (1, 2, 1, 2), "{before:?}");
    assert!(
        before.entries.contains(&Entry::Instance {
            namespace: String::new(),
            group: "DEFAULT_GROUP".into(),
            service: "svc-a".into(),
            addr: "10.1.0.1:9001".into()
        }),
        "persistent instances are baseline; the ephemeral one is not: {before:?}"
    );
    assert!(baseline::diff(&before, &before).is_empty());

    // After a fix: one config rewritten, one persistent instance gone.
    {
        let mut s = state.lock().unwrap();
        s.configs[0].2 = "port: 9090";
        s.instances.retain(|(p, _)| *p != 9002);
    }
    let after = baseline::read(&http, &base, FlavorKind::Official)
        .await
        .unwrap();
    let lost: Vec<String> = baseline::diff(&before, &after)
        .into_iter()
        .map(|l| format!("{} ({})", l.entry, l.how))
        .collect();
    assert_eq!(
        lost,
        [
            "config public/DEFAULT_GROUP/app.yaml (changed)",
            "instance public/DEFAULT_GROUP/svc-a 10.1.0.1:9002 (gone)"
        ]
    );
}

#[tokio::test]
async fn an_official_node_that_refuses_the_read_is_an_error_naming_the_path() {
    let base = stand_in(Arc::new(Mutex::new(State::default()))).await;
    let e = baseline::read(
        &reqwest::Client::new(),
        &format!("{base}/gone"),
        FlavorKind::Official,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("/nacos/v1/console/namespaces") && e.contains("404"),
        "{e}"
    );
}

//! testcontainers interop (feature `testcontainers`): one r-nacos node started through
//! `testcontainers::runners::AsyncRunner` with `nacos_chaos::tc::RNacosImage`, serving a
//! config write and read on its published port; removed when the handle drops.
//!
//! `cargo test --features testcontainers --test testcontainers_rnacos`

mod common;

use std::time::Duration;

use nacos_chaos::poll::Poll;
use nacos_chaos::tc::{HTTP, RNacosImage};
use testcontainers::ImageExt;
use testcontainers::runners::AsyncRunner;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_rnacos_node_via_testcontainers_serves_configs() {
    let test = "one_rnacos_node_via_testcontainers_serves_configs";
    let Some(engine) = common::engine_or_skip(test).await else {
        return;
    };
    // The image is built locally, never pulled.
    nacos_chaos::image::ensure_rnacos(&engine, common::RNACOS_TO)
        .await
        .expect("r-nacos image");
    let node = RNacosImage::new(common::RNACOS_TO)
        .with_label("io.nacos-chaos.managed", "true")
        .with_label("io.nacos-chaos.run", engine.run_id())
        .with_startup_timeout(Duration::from_secs(60))
        .start()
        .await
        .expect("start r-nacos through testcontainers");
    let port = node.get_host_port_ipv4(HTTP).await.unwrap();
    let base = format!("http://127.0.0.1:{port}/nacos/v1/cs/configs");
    let http = reqwest::Client::new();
    let form = [
        ("dataId", "tc-probe"),
        ("group", "DEFAULT_GROUP"),
        ("content", "hello"),
    ];
    // A publish succeeds once the node has elected itself.
    let mut poll = Poll::new(
        "r-nacos to accept a config publish",
        Duration::from_secs(60),
    );
    loop {
        let answer = match http.post(&base).form(&form).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        if answer.trim() == "true" {
            break;
        }
        poll.next(format!("publish answered {answer:?}"))
            .await
            .unwrap();
    }
    let read = http
        .get(&base)
        .query(&[("dataId", "tc-probe"), ("group", "DEFAULT_GROUP")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(read, "hello");
    let id = node.id().to_string();
    drop(node);
    // Dropping the handle removed the container (testcontainers' cleanup).
    let mut poll = Poll::new("the container to be removed", Duration::from_secs(30));
    while !engine
        .inventory(Some(engine.run_id()))
        .await
        .unwrap()
        .is_empty()
    {
        poll.next(format!("{id} still listed")).await.unwrap();
    }
}

//! MiniCluster through raw stubs: one route over every broker, and a broker that goes down
//! refuses connections, cuts open ones, and comes back with its state.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, MiniCluster, TopicConfig, TopicType};
use rmq_proto::v2::*;

async fn cluster(n: usize) -> MiniCluster {
    MiniCluster::start(
        MiniBroker::builder().topic(TopicConfig::new("t", TopicType::Normal).queues(2)),
        n,
    )
    .await
    .expect("start")
}

fn address(mq: &MessageQueue) -> String {
    let broker = mq.broker.as_ref().expect("broker");
    let a = &broker.endpoints.as_ref().expect("endpoints").addresses[0];
    format!("{}:{}", a.host, a.port)
}

#[tokio::test]
async fn every_broker_answers_one_route_over_all_brokers() {
    let cluster = cluster(3).await;
    let endpoints: Vec<String> = cluster.endpoints().split(';').map(str::to_owned).collect();
    assert_eq!(endpoints.len(), 3);
    for broker in cluster.brokers() {
        let mut stub = stub_with(broker, Some("c".into())).await;
        let route = stub
            .query_route(QueryRouteRequest {
                topic: resource("t"),
                endpoints: None,
            })
            .await
            .expect("rpc")
            .into_inner();
        let queues: Vec<(String, i32, String)> = route
            .message_queues
            .iter()
            .map(|mq| {
                (
                    mq.broker.as_ref().expect("broker").name.clone(),
                    mq.id,
                    address(mq),
                )
            })
            .collect();
        let want: Vec<(String, i32, String)> = (0..3)
            .flat_map(|b| (0..2).map(move |q| (b, q)))
            .map(|(b, q)| (format!("broker-{b}"), q, endpoints[b].clone()))
            .collect();
        assert_eq!(queues, want);
    }
    cluster.shutdown().await;
}

#[tokio::test]
async fn a_down_broker_refuses_and_cuts_connections_and_comes_back_with_its_state() {
    let cluster = cluster(2).await;
    let down = cluster.broker(1);
    let mut stub = stub_with(down, Some("c".into())).await;
    let sent = send(&mut stub, vec![message("t", "kept")]).await;
    assert_eq!(code(&sent.status), Code::Ok);
    // A Telemetry stream open when the broker goes down is cut.
    let mut telemetry = producer(down, &["t"]).await;
    cluster.broker_down(1).await;
    assert!(!down.is_up());
    let cut = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        telemetry.inbound.message(),
    )
    .await
    .expect("the open stream ends at once");
    assert!(!matches!(cut, Ok(Some(_))), "the stream is cut: {cut:?}");
    let refused = std::net::TcpStream::connect(down.local_addr());
    assert_eq!(
        refused.expect_err("refused").kind(),
        std::io::ErrorKind::ConnectionRefused
    );
    // The other broker serves on.
    let mut other = stub_with(cluster.broker(0), Some("c".into())).await;
    assert_eq!(
        code(&send(&mut other, vec![message("t", "x")]).await.status),
        Code::Ok
    );

    cluster.broker_up(1).await.expect("up");
    cluster.broker_up(1).await.expect("up twice is fine");
    let mut again = consumer(down, "g", "t").await;
    let received = receive(&mut again.stub, "g", "t", 8, 30).await;
    assert_eq!(
        received
            .messages
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect::<Vec<_>>(),
        ["kept"],
        "the broker kept its messages"
    );
    assert_eq!(cluster.messages("t").len(), 2);
    cluster.shutdown().await;
}

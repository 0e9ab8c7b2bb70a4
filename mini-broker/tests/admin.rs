//! The admin facade over its wire protocol (RocketMQ remoting frames with JSON headers),
//! written here by hand from the protocol, and what it creates seen through gRPC.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, MiniBrokerBuilder, MiniCluster};
use rmq_proto::v2::*;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const UPDATE_AND_CREATE_TOPIC: i32 = 17;
const GET_BROKER_RUNTIME_INFO: i32 = 28;
const PUT_KV_CONFIG: i32 = 100;
const GET_KV_CONFIG: i32 = 101;
const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
const GET_BROKER_CLUSTER_INFO: i32 = 106;
const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: i32 = 200;
const GET_TOPIC_STATS_INFO: i32 = 202;
const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
const DELETE_SUBSCRIPTIONGROUP: i32 = 207;
const DELETE_TOPIC_IN_BROKER: i32 = 215;
const GET_TOPIC_CONFIG: i32 = 351;
const GET_SUBSCRIPTIONGROUP_CONFIG: i32 = 352;

/// One answer: code, remark, header fields and body.
struct Answer {
    code: i64,
    opaque: i64,
    remark: String,
    fields: Value,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

struct Admin {
    io: TcpStream,
    opaque: i64,
}

impl Admin {
    async fn connect(endpoint: &str) -> Admin {
        Admin {
            io: TcpStream::connect(endpoint).await.expect("connect"),
            opaque: 0,
        }
    }

    async fn write(&mut self, code: i32, flag: i32, fields: Value, body: &[u8]) -> i64 {
        self.opaque += 1;
        let header = json!({
            "code": code, "flag": flag, "language": "JAVA", "opaque": self.opaque,
            "serializeTypeCurrentRPC": "JSON", "version": 513, "extFields": fields,
        })
        .to_string();
        let mut frame = Vec::new();
        let total = u32::try_from(4 + header.len() + body.len()).expect("small");
        frame.extend_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&u32::try_from(header.len()).expect("small").to_be_bytes());
        frame.extend_from_slice(header.as_bytes());
        frame.extend_from_slice(body);
        self.io.write_all(&frame).await.expect("write");
        self.opaque
    }

    async fn read(&mut self) -> Answer {
        let total = self.io.read_u32().await.expect("length") as usize;
        let mark = self.io.read_u32().await.expect("header length");
        assert_eq!(mark >> 24, 0, "answers carry JSON headers");
        let header_len = (mark & 0x00ff_ffff) as usize;
        let mut header = vec![0; header_len];
        self.io.read_exact(&mut header).await.expect("header");
        let mut body = vec![0; total - 4 - header_len];
        self.io.read_exact(&mut body).await.expect("body");
        let header: Value = serde_json::from_slice(&header).expect("JSON header");
        assert_eq!(
            header["flag"].as_i64().map(|f| f & 1),
            Some(1),
            "response flag"
        );
        Answer {
            code: header["code"].as_i64().expect("code"),
            opaque: header["opaque"].as_i64().expect("opaque"),
            remark: header["remark"].as_str().unwrap_or("").to_owned(),
            fields: header["extFields"].clone(),
            body,
        }
    }

    async fn call(&mut self, code: i32, fields: Value, body: &[u8]) -> Answer {
        let opaque = self.write(code, 0, fields, body).await;
        let answer = self.read().await;
        assert_eq!(answer.opaque, opaque);
        answer
    }

    async fn create_topic(&mut self, topic: &str, kind: &str, queues: u32) -> Answer {
        let fields = json!({
            "topic": topic, "defaultTopic": "TBW102", "readQueueNums": queues.to_string(),
            "writeQueueNums": queues.to_string(), "perm": "6", "topicFilterType": "SINGLE_TAG",
            "topicSysFlag": "0", "order": "false", "attributes": format!("+message.type={kind}"),
            "force": "false",
        });
        self.call(UPDATE_AND_CREATE_TOPIC, fields, b"").await
    }

    async fn create_group(&mut self, group: &str, orderly: bool, retries: i32) -> Answer {
        let body = json!({
            "groupName": group, "consumeEnable": true, "consumeMessageOrderly": orderly,
            "retryMaxTimes": retries, "retryQueueNums": 1, "brokerId": 0,
            "groupRetryPolicy": {"type": "CUSTOMIZED"}, "attributes": {},
        });
        self.call(
            UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
            json!({}),
            body.to_string().as_bytes(),
        )
        .await
    }
}

async fn strict_with_admin(builder: MiniBrokerBuilder) -> MiniBroker {
    builder
        .strict(true)
        .admin_listen("127.0.0.1:0")
        .start()
        .await
        .expect("start")
}

async fn route(broker: &MiniBroker, topic: &str) -> QueryRouteResponse {
    let mut stub = stub_with(broker, Some(unique("c"))).await;
    stub.query_route(QueryRouteRequest {
        topic: resource(topic),
        endpoints: None,
    })
    .await
    .expect("rpc")
    .into_inner()
}

#[tokio::test]
async fn an_admin_created_fifo_topic_and_orderly_group_serve_grpc_clients() {
    let broker = strict_with_admin(MiniBroker::builder()).await;
    let endpoint = broker.admin_endpoint().expect("admin on");
    let mut admin = Admin::connect(&endpoint).await;
    assert_eq!(
        code(&route(&broker, "orders").await.status),
        Code::TopicNotFound
    );
    let missing = admin
        .call(GET_ROUTEINFO_BY_TOPIC, json!({"topic": "orders"}), b"")
        .await;
    assert_eq!(missing.code, 17);
    assert!(
        missing
            .remark
            .starts_with("No topic route info in name server for the topic: orders")
    );

    assert_eq!(admin.create_topic("orders", "FIFO", 4).await.code, 0);
    let routed = route(&broker, "orders").await;
    assert_eq!(code(&routed.status), Code::Ok);
    assert_eq!(routed.message_queues.len(), 4);
    assert_eq!(
        routed.message_queues[0].accept_message_types,
        vec![MessageType::Fifo as i32]
    );

    // The remoting route names the same broker at its admin address, as a name server does.
    let remoting = admin
        .call(GET_ROUTEINFO_BY_TOPIC, json!({"topic": "orders"}), b"")
        .await
        .json();
    assert_eq!(remoting["brokerDatas"][0]["brokerName"], "broker-0");
    assert_eq!(remoting["brokerDatas"][0]["brokerAddrs"]["0"], endpoint);
    assert_eq!(remoting["queueDatas"][0]["writeQueueNums"], 4);
    assert_eq!(remoting["queueDatas"][0]["perm"], 6);
    let config = admin
        .call(
            GET_TOPIC_CONFIG,
            json!({"topic": "orders", "lo": "true"}),
            b"",
        )
        .await
        .json();
    assert_eq!(config["attributes"]["message.type"], "FIFO");

    assert_eq!(admin.create_group("billing", true, 3).await.code, 0);
    let mut stub = stub_with(&broker, Some(unique("c"))).await;
    let assignments = stub
        .query_assignment(QueryAssignmentRequest {
            topic: resource("orders"),
            group: resource("billing"),
            endpoints: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&assignments.status), Code::Ok);
    // An orderly group is assigned every queue; others get one "any queue" entry.
    assert_eq!(assignments.assignments.len(), 4);
    let group = admin
        .call(
            GET_SUBSCRIPTIONGROUP_CONFIG,
            json!({"group": "billing"}),
            b"",
        )
        .await
        .json();
    assert_eq!(group["consumeMessageOrderly"], true);
    assert_eq!(group["retryMaxTimes"], 3);

    // Fewer queues keep the topic's (its messages stay reachable).
    assert_eq!(admin.create_topic("orders", "FIFO", 2).await.code, 0);
    assert_eq!(route(&broker, "orders").await.message_queues.len(), 4);

    // Redeclaring without a message type keeps it.
    let fields =
        json!({"topic": "orders", "readQueueNums": "4", "writeQueueNums": "4", "attributes": ""});
    assert_eq!(
        admin.call(UPDATE_AND_CREATE_TOPIC, fields, b"").await.code,
        0
    );
    let config = admin
        .call(GET_TOPIC_CONFIG, json!({"topic": "orders"}), b"")
        .await
        .json();
    assert_eq!(config["attributes"]["message.type"], "FIFO");
    broker.shutdown().await;
}

#[tokio::test]
async fn deletes_remove_topics_groups_and_messages_for_good() {
    let dir = TempDir::new();
    // No snapshot at shutdown: the restart replays the Delete records themselves.
    let builder = || MiniBroker::builder().data_dir(&dir.0).snapshot_every(None);
    let broker = strict_with_admin(builder()).await;
    let mut admin = Admin::connect(&broker.admin_endpoint().expect("admin on")).await;
    assert_eq!(admin.create_topic("gone", "NORMAL", 2).await.code, 0);
    assert_eq!(admin.create_topic("kept", "NORMAL", 2).await.code, 0);
    assert_eq!(admin.create_group("readers", false, 16).await.code, 0);
    let mut stub = producer(&broker, &["gone"]).await.stub;
    let sent = send(&mut stub, vec![message("gone", "a"), message("gone", "b")]).await;
    assert_eq!(code(&sent.status), Code::Ok);

    let stats = admin
        .call(GET_TOPIC_STATS_INFO, json!({"topic": "gone"}), b"")
        .await;
    assert_eq!(stats.code, 0);
    // fastjson's map-with-object-keys form, which Java reads back.
    let text = String::from_utf8(stats.body).expect("utf-8");
    assert!(
        text.contains(
            r#"{"brokerName":"broker-0","queueId":0,"topic":"gone"}:{"lastUpdateTimestamp":"#
        ),
        "{text}"
    );
    let max_offsets: usize = text.matches(r#""maxOffset":1,"#).count();
    assert_eq!(max_offsets, 2, "one message in each queue: {text}");

    let deleted = admin
        .call(DELETE_TOPIC_IN_BROKER, json!({"topic": "gone"}), b"")
        .await;
    assert_eq!(deleted.code, 0);
    let deleted = admin
        .call(
            DELETE_SUBSCRIPTIONGROUP,
            json!({"groupName": "readers", "cleanOffset": "true"}),
            b"",
        )
        .await;
    assert_eq!(deleted.code, 0);
    // Deleting what does not exist succeeds, as on Apache.
    let again = admin
        .call(
            DELETE_TOPIC_IN_BROKER,
            json!({"topic": "%DLQ%readers"}),
            b"",
        )
        .await;
    assert_eq!(again.code, 0);
    broker.shutdown().await;

    let broker = strict_with_admin(builder()).await;
    let mut admin = Admin::connect(&broker.admin_endpoint().expect("admin on")).await;
    assert_eq!(
        code(&route(&broker, "gone").await.status),
        Code::TopicNotFound
    );
    assert_eq!(code(&route(&broker, "kept").await.status), Code::Ok);
    assert!(broker.messages("gone").is_empty());
    let group = admin
        .call(
            GET_SUBSCRIPTIONGROUP_CONFIG,
            json!({"group": "readers"}),
            b"",
        )
        .await;
    assert_eq!(
        (group.code, group.remark.as_str()),
        (26, "No group in this broker")
    );
    let topics = admin
        .call(GET_ALL_TOPIC_LIST_FROM_NAMESERVER, json!({}), b"")
        .await
        .json();
    assert_eq!(topics["topicList"], json!(["kept"]));
    // Created again, the topic starts empty.
    assert_eq!(admin.create_topic("gone", "NORMAL", 2).await.code, 0);
    assert!(broker.messages("gone").is_empty());
    broker.shutdown().await;
}

#[tokio::test]
async fn unknown_oneway_malformed_and_binary_requests() {
    let broker = strict_with_admin(MiniBroker::builder()).await;
    let endpoint = broker.admin_endpoint().expect("admin on");
    let mut admin = Admin::connect(&endpoint).await;
    let unknown = admin.call(9999, json!({}), b"").await;
    assert_eq!(
        (unknown.code, unknown.remark.as_str()),
        (3, " request type 9999 not supported")
    );
    let missing = admin.call(GET_ROUTEINFO_BY_TOPIC, json!({}), b"").await;
    assert_eq!(missing.code, 1);
    assert!(missing.remark.contains("topic"), "{}", missing.remark);
    let bad = admin.create_topic("orders", "SOMETIMES", 8).await;
    assert_eq!(bad.code, 29, "{}", bad.remark);
    for queues in [0, 1025, 4_000_000_000] {
        let bad = admin.create_topic("orders", "NORMAL", queues).await;
        assert_eq!(bad.code, 29, "{queues} queues: {}", bad.remark);
    }
    assert_eq!(
        code(&route(&broker, "orders").await.status),
        Code::TopicNotFound
    );
    let bad = admin
        .call(UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, json!({}), b"not json")
        .await;
    assert_eq!(bad.code, 29, "{}", bad.remark);

    // A oneway request gets no answer: the next answer is the next request's.
    admin
        .write(
            PUT_KV_CONFIG,
            2,
            json!({"namespace": "ns", "key": "k", "value": "v"}),
            b"",
        )
        .await;
    let value = admin
        .call(GET_KV_CONFIG, json!({"namespace": "ns", "key": "k"}), b"")
        .await;
    assert_eq!((value.code, value.fields["value"].as_str()), (0, Some("v")));
    let none = admin
        .call(
            GET_KV_CONFIG,
            json!({"namespace": "ns", "key": "other"}),
            b"",
        )
        .await;
    assert_eq!(none.code, 22);

    // The binary header layout (serialize type 1) is answered too.
    let mut binary = TcpStream::connect(&endpoint).await.expect("connect");
    let mut header = Vec::new();
    header.extend_from_slice(&(GET_BROKER_RUNTIME_INFO as i16).to_be_bytes());
    header.push(0); // JAVA
    header.extend_from_slice(&513i16.to_be_bytes());
    header.extend_from_slice(&7i32.to_be_bytes());
    header.extend_from_slice(&0i32.to_be_bytes());
    header.extend_from_slice(&0i32.to_be_bytes()); // no remark
    header.extend_from_slice(&0i32.to_be_bytes()); // no fields
    let mut frame = u32::try_from(4 + header.len())
        .expect("small")
        .to_be_bytes()
        .to_vec();
    frame.extend_from_slice(
        &((1u32 << 24) | u32::try_from(header.len()).expect("small")).to_be_bytes(),
    );
    frame.extend_from_slice(&header);
    binary.write_all(&frame).await.expect("write");
    let _total = binary.read_u32().await.expect("answer");
    let mark = binary.read_u32().await.expect("mark");
    assert_eq!(mark >> 24, 1, "answered in the request's header type");
    let (code, _language, _version) = (
        binary.read_i16().await.expect("code"),
        binary.read_u8().await.expect("language"),
        binary.read_i16().await.expect("version"),
    );
    let (opaque, flag) = (
        binary.read_i32().await.expect("opaque"),
        binary.read_i32().await.expect("flag"),
    );
    assert_eq!((code, opaque, flag & 1), (0, 7, 1));

    // A frame over the limit closes that connection only.
    let mut hostile = TcpStream::connect(&endpoint).await.expect("connect");
    hostile
        .write_all(&(64u32 << 20).to_be_bytes())
        .await
        .expect("write");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), hostile.read_to_end(&mut rest))
        .await
        .expect("the connection is closed, not left hanging");
    assert!(matches!(read, Ok(0)) || read.is_err());
    let info = Admin::connect(&endpoint)
        .await
        .call(GET_BROKER_RUNTIME_INFO, json!({}), b"")
        .await
        .json();
    assert_eq!(info["table"]["brokerActive"], "true");
    broker.shutdown().await;
}

#[tokio::test]
async fn a_mini_cluster_answers_as_one_name_server() {
    let cluster = MiniCluster::start(MiniBroker::builder().admin_listen("127.0.0.1:0"), 2)
        .await
        .expect("start");
    let endpoint = cluster.admin_endpoint().expect("admin on");
    let mut admin = Admin::connect(&endpoint).await;
    let info = admin
        .call(GET_BROKER_CLUSTER_INFO, json!({}), b"")
        .await
        .json();
    assert_eq!(
        info["clusterAddrTable"]["DefaultCluster"],
        json!(["broker-0", "broker-1"])
    );
    // Each broker at its own admin address, where the tools send broker requests.
    for (i, broker) in cluster.brokers().iter().enumerate() {
        let name = format!("broker-{i}");
        assert_eq!(
            info["brokerAddrTable"][&name]["brokerAddrs"]["0"],
            broker.admin_endpoint().expect("admin on").as_str()
        );
        let mut own = Admin::connect(&broker.admin_endpoint().expect("admin on")).await;
        assert_eq!(own.create_topic("spread", "NORMAL", 2).await.code, 0);
        if i == 1 {
            assert_eq!(own.create_topic("lonely", "NORMAL", 3).await.code, 0);
        }
    }
    // A route names only the brokers that hold the topic, as a name server does.
    let lonely = admin
        .call(GET_ROUTEINFO_BY_TOPIC, json!({"topic": "lonely"}), b"")
        .await
        .json();
    assert_eq!(lonely["brokerDatas"][0]["brokerName"], "broker-1");
    assert_eq!(lonely["queueDatas"].as_array().map(Vec::len), Some(1));
    assert_eq!(lonely["queueDatas"][0]["writeQueueNums"], 3);
    let routed = admin
        .call(GET_ROUTEINFO_BY_TOPIC, json!({"topic": "spread"}), b"")
        .await
        .json();
    assert_eq!(routed["brokerDatas"].as_array().map(Vec::len), Some(2));
    assert_eq!(routed["queueDatas"].as_array().map(Vec::len), Some(2));

    // Down with its broker, up with it.
    cluster.broker_down(1).await;
    let down = cluster.broker(1).admin_endpoint().expect("admin on");
    assert!(TcpStream::connect(&down).await.is_err());
    cluster.broker_up(1).await.expect("up");
    assert!(TcpStream::connect(&down).await.is_ok());
    cluster.shutdown().await;
}

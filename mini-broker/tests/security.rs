//! Authentication (signatures and the freshness of their date) and TLS (a port shared with
//! cleartext, a TLS-only port, unreadable certificate files), through raw gRPC stubs.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;

/// `x-mq-date-time` as clients write it, `hours` from now.
fn date_in(hours: i64) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    (time::OffsetDateTime::now_utc() + time::Duration::hours(hours))
        .format(format)
        .expect("format")
}

fn signed_route_request(secret: &str, date: &str) -> tonic::Request<QueryRouteRequest> {
    let mut request = tonic::Request::new(QueryRouteRequest {
        topic: resource("t"),
        endpoints: None,
    });
    let metadata = request.metadata_mut();
    metadata.insert("x-mq-date-time", date.parse().expect("ascii"));
    let authorization = format!(
        "MQv2-HMAC-SHA1 Credential=ak, SignedHeaders=x-mq-date-time, Signature={}",
        signature(secret, date)
    );
    metadata.insert("authorization", authorization.parse().expect("ascii"));
    request
}

#[tokio::test]
async fn authentication_rejects_unsigned_wrongly_signed_and_stale_requests() {
    let broker = MiniBroker::builder()
        .credentials("ak", "sk")
        .start()
        .await
        .expect("start");
    let mut stub = stub_with(&broker, Some("c1".into())).await;
    let status = |reply: Result<tonic::Response<QueryRouteResponse>, tonic::Status>| {
        reply.expect("rpc").into_inner().status.expect("status")
    };
    let unsigned = stub
        .query_route(QueryRouteRequest {
            topic: resource("t"),
            endpoints: None,
        })
        .await;
    assert_eq!(status(unsigned).code, Code::Unauthorized as i32);

    // Now in UTC, and an official client's local time at UTC+14 or UTC-12 marked Z.
    for hours in [0, 14, -12] {
        let good = stub
            .query_route(signed_route_request("sk", &date_in(hours)))
            .await;
        assert_eq!(status(good).code, Code::Ok as i32, "{hours} h");
    }
    let wrong = stub
        .query_route(signed_route_request("nope", &date_in(0)))
        .await;
    assert_eq!(status(wrong).code, Code::Unauthorized as i32);
    // A correctly signed request from yesterday or tomorrow is a replay or a broken clock.
    for hours in [-24 * 3, -15, 15] {
        let date = date_in(hours);
        let stale = status(stub.query_route(signed_route_request("sk", &date)).await);
        assert_eq!(stale.code, Code::Unauthorized as i32, "{hours} h");
        assert!(stale.message.contains(&date), "{}", stale.message);
    }
    let unreadable = status(stub.query_route(signed_route_request("sk", "now")).await);
    assert_eq!(unreadable.code, Code::Unauthorized as i32);

    // Without the window, as on Apache, any signed date passes.
    let lenient = MiniBroker::builder()
        .credentials("ak", "sk")
        .auth_date_window(None)
        .start()
        .await
        .expect("start");
    let mut stub = stub_with(&lenient, Some("c1".into())).await;
    let old = stub
        .query_route(signed_route_request("sk", "20200101T000000Z"))
        .await;
    assert_eq!(status(old).code, Code::Ok as i32);
}

/// A QueryRoute over TLS, trusting the broker's certificate; its status code.
async fn route_over_tls(broker: &MiniBroker) -> i32 {
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(
            broker.tls_certificate_pem(),
        ))
        .domain_name("localhost");
    let channel = tonic::transport::Channel::from_shared(format!("https://{}", broker.endpoint()))
        .expect("uri")
        .tls_config(tls)
        .expect("tls config")
        .connect()
        .await
        .expect("TLS connect");
    let mut secure = rmq_proto::v2::messaging_service_client::MessagingServiceClient::new(channel);
    let mut request = tonic::Request::new(QueryRouteRequest {
        topic: resource("normal"),
        endpoints: None,
    });
    request
        .metadata_mut()
        .insert("x-mq-client-id", "tls-client".parse().expect("ascii"));
    let route = secure
        .query_route(request)
        .await
        .expect("rpc over TLS")
        .into_inner();
    code(&route.status) as i32
}

/// A QueryRoute in cleartext: its status code, or the transport's error.
async fn route_in_cleartext(broker: &MiniBroker) -> Result<i32, String> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", broker.endpoint()))
        .expect("uri")
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut plain = rmq_proto::v2::messaging_service_client::MessagingServiceClient::new(channel);
    let mut request = tonic::Request::new(QueryRouteRequest {
        topic: resource("normal"),
        endpoints: None,
    });
    request
        .metadata_mut()
        .insert("x-mq-client-id", "plain".parse().expect("ascii"));
    let route = plain
        .query_route(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(route.into_inner().status.map_or(-1, |s| s.code))
}

#[tokio::test]
async fn tls_and_cleartext_share_the_port() {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("normal", TopicType::Normal))
        .start()
        .await
        .expect("start");
    assert_eq!(route_over_tls(&broker).await, Code::Ok as i32);
    assert_eq!(route_in_cleartext(&broker).await, Ok(Code::Ok as i32));
}

#[tokio::test]
async fn a_tls_only_broker_closes_cleartext_connections() {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("normal", TopicType::Normal))
        .tls_only(true)
        .start()
        .await
        .expect("start");
    route_in_cleartext(&broker)
        .await
        .expect_err("cleartext refused");
    assert_eq!(route_over_tls(&broker).await, Code::Ok as i32);
}

#[tokio::test]
async fn unreadable_tls_files_fail_the_start() {
    let result = MiniBroker::builder()
        .tls("/nonexistent/cert.pem", "/nonexistent/key.pem")
        .start()
        .await;
    let error = result.err().expect("start fails");
    assert!(
        error.to_string().contains("cannot read TLS certificate"),
        "{error}"
    );
}

//! The transport against a real server (the mini-broker): protocol headers, signatures, TLS.

use super::Transport;
use crate::{ClientConfig, Endpoint, ErrorKind, Tls};
use rmq_mini_broker::MiniBroker;
use rmq_proto::Code;
use rmq_proto::v2::{QueryRouteRequest, Resource};

fn route_request(topic: &str) -> QueryRouteRequest {
    QueryRouteRequest {
        topic: Some(Resource {
            resource_namespace: String::new(),
            name: topic.into(),
        }),
        endpoints: None,
    }
}

async fn query_route(transport: &Transport, endpoint: &Endpoint) -> Result<i32, crate::Error> {
    let (mut stub, _) = transport.stub(endpoint)?;
    let response = stub
        .query_route(transport.request(route_request("t"), None))
        .await
        .map_err(|s| crate::Error::from_grpc("query route", s))?
        .into_inner();
    Ok(response.status.map_or(0, |s| s.code))
}

fn config(endpoint: &str, tls: Tls) -> ClientConfig {
    ClientConfig::builder()
        .endpoints(endpoint)
        .tls(tls)
        .build()
        .expect("valid config")
}

#[tokio::test]
async fn requests_carry_the_protocol_headers() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let config = config(&broker.endpoint(), Tls::Off);
    let endpoint = config.endpoints()[0].clone();
    let transport = Transport::new(config, "client-1").expect("transport");
    // Without x-mq-client-id the broker would answer CLIENT_ID_REQUIRED.
    assert_eq!(
        query_route(&transport, &endpoint).await.expect("rpc"),
        Code::Ok as i32
    );
}

#[test]
fn every_request_gets_its_own_random_request_id() {
    let headers = super::headers::Headers::new(
        std::sync::Arc::new(config("127.0.0.1:8081", Tls::Off)),
        "client-1",
    )
    .expect("headers");
    let id = || {
        let mut metadata = tonic::metadata::MetadataMap::new();
        headers.apply(&mut metadata);
        let value = metadata
            .get(rmq_proto::headers::REQUEST_ID)
            .expect("a request id");
        assert!(value.is_sensitive(), "a one-off value is kept out of HPACK");
        uuid::Uuid::parse_str(value.to_str().expect("ascii")).expect("a UUID")
    };
    let ids: std::collections::HashSet<_> = (0..1000).map(|_| id()).collect();
    assert_eq!(ids.len(), 1000);
    assert!(
        ids.iter()
            .all(|id| id.get_version() == Some(uuid::Version::Random)
                && id.get_variant() == uuid::Variant::RFC4122)
    );
}

#[tokio::test]
async fn signed_requests_pass_and_wrong_secrets_are_refused() {
    let broker = MiniBroker::builder()
        .credentials("ak", "sk")
        .start()
        .await
        .expect("start");
    let signed = |secret: &str| {
        ClientConfig::builder()
            .endpoints(broker.endpoint())
            .credentials("ak", secret, Some("sts-token".into()))
            .build()
            .expect("valid")
    };
    let good = Transport::new(signed("sk"), "c").expect("transport");
    let endpoint = good.config().endpoints()[0].clone();
    assert_eq!(
        query_route(&good, &endpoint).await.expect("rpc"),
        Code::Ok as i32
    );
    let bad = Transport::new(signed("wrong"), "c").expect("transport");
    assert_eq!(
        query_route(&bad, &endpoint).await.expect("rpc"),
        Code::Unauthorized as i32
    );
    let unsigned = Transport::new(config(&broker.endpoint(), Tls::Off), "c").expect("transport");
    assert_eq!(
        query_route(&unsigned, &endpoint).await.expect("rpc"),
        Code::Unauthorized as i32
    );
}

#[tokio::test]
async fn tls_verifies_against_a_given_ca_or_trusts_all_on_request() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let pinned = config(
        &broker.endpoint(),
        Tls::On {
            ca_pem: Some(broker.tls_certificate_pem().to_owned()),
        },
    );
    let endpoint = pinned.endpoints()[0].clone();
    let transport = Transport::new(pinned, "c").expect("transport");
    assert_eq!(
        query_route(&transport, &endpoint).await.expect("TLS rpc"),
        Code::Ok as i32
    );

    let trust_all =
        Transport::new(config(&broker.endpoint(), Tls::TrustAll), "c").expect("transport");
    assert_eq!(
        query_route(&trust_all, &endpoint)
            .await
            .expect("trust-all rpc"),
        Code::Ok as i32
    );

    // The broker's self-signed certificate is not in the public roots: verification fails.
    let strict = Transport::new(config(&broker.endpoint(), Tls::On { ca_pem: None }), "c")
        .expect("transport");
    let error = query_route(&strict, &endpoint)
        .await
        .expect_err("untrusted certificate");
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
}

/// A broker serving `testdata/tls/{name}.pem`, optionally TLS only; and a client config that
/// trusts the test CA.
async fn broker_with_certificate(name: &str, tls_only: bool) -> (MiniBroker, ClientConfig) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/tls");
    let broker = MiniBroker::builder()
        .tls(
            dir.join(format!("{name}.pem")),
            dir.join(format!("{name}.key")),
        )
        .tls_only(tls_only)
        .start()
        .await
        .expect("start");
    let ca_pem = std::fs::read_to_string(dir.join("ca.pem")).expect("test CA");
    let config = config(
        &broker.endpoint(),
        Tls::On {
            ca_pem: Some(ca_pem),
        },
    );
    (broker, config)
}

/// A QueryRoute through the transport's own call path (which words its errors).
async fn route_with(config: ClientConfig) -> Result<i32, crate::Error> {
    let endpoint = config.endpoints()[0].clone();
    let transport = Transport::new(config, "c").expect("transport");
    let response = transport
        .call(
            "query route",
            &endpoint,
            route_request("t"),
            None,
            |mut stub, r| async move { stub.query_route(r).await },
        )
        .await?;
    Ok(response.status.map_or(0, |s| s.code))
}

#[tokio::test]
async fn tls_verifies_the_chain_host_name_and_dates_of_the_certificate() {
    let (_broker, verified) = broker_with_certificate("localhost", false).await;
    assert_eq!(
        route_with(verified).await.expect("verified chain"),
        Code::Ok as i32
    );

    // Each refusal is a network error whose words name the certificate's fault.
    for (certificate, words) in [("wrong-host", "not valid for name"), ("expired", "expired")] {
        let (_broker, config) = broker_with_certificate(certificate, false).await;
        let error = route_with(config).await.expect_err(certificate);
        assert_eq!(error.kind(), ErrorKind::Network, "{error}");
        let text = error.to_string().to_lowercase();
        assert!(text.contains("certificate"), "{certificate}: {text}");
        assert!(text.contains(words), "{certificate}: {text}");
    }

    // Trust-all accepts even these (development only).
    for certificate in ["wrong-host", "expired"] {
        let (broker, _) = broker_with_certificate(certificate, false).await;
        let trust_all = config(&broker.endpoint(), Tls::TrustAll);
        assert_eq!(
            route_with(trust_all).await.expect(certificate),
            Code::Ok as i32
        );
    }
}

/// Depending on when the server's close lands, hyper reports a cancelled call, a broken pipe
/// or a reset (a producer's start met all of them in 40 tries): each must say what to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleartext_to_a_tls_only_port_is_a_network_error_that_names_tls() {
    let (broker, tls) = broker_with_certificate("localhost", true).await;
    assert_eq!(route_with(tls).await.expect("TLS"), Code::Ok as i32);
    for _ in 0..20 {
        let (broker, _) = broker_with_certificate("localhost", true).await;
        let cleartext = config(&broker.endpoint(), Tls::Off);
        let errors = [
            route_with(cleartext.clone())
                .await
                .expect_err("cleartext call"),
            crate::Producer::builder(cleartext)
                .topics(["t"])
                .start()
                .await
                .err()
                .expect("cleartext producer"),
        ];
        for error in errors {
            assert_eq!(error.kind(), ErrorKind::Network, "{error}");
            assert!(error.message().contains("TLS"), "{error}");
        }
    }
    drop(broker);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let config = config(&format!("127.0.0.1:{port}"), Tls::Off);
    let endpoint = config.endpoints()[0].clone();
    let transport = Transport::new(config, "c").expect("transport");
    let error = query_route(&transport, &endpoint)
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
}

#[tokio::test]
async fn a_broker_served_at_several_addresses_moves_to_the_next_when_one_is_down() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let live: Endpoint = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config")
        .endpoints()[0]
        .clone();
    // A port nothing listens on: bound, then let go.
    let down = {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        Endpoint {
            host: "127.0.0.1".to_owned(),
            port: socket.local_addr().expect("address").port(),
        }
    };
    let config = config(&broker.endpoint(), Tls::Off);
    let transport = Transport::new(config, "client-1").expect("transport");
    transport.serve(&[down.clone(), live.clone()]);
    let request = || route_request("t");
    let first = transport
        .call(
            "query route",
            &down,
            request(),
            None,
            |mut stub, r| async move { stub.query_route(r).await },
        )
        .await
        .expect_err("the first address is down");
    assert_eq!(first.kind(), ErrorKind::Network);
    let second = transport
        .call(
            "query route",
            &down,
            request(),
            None,
            |mut stub, r| async move { stub.query_route(r).await },
        )
        .await
        .expect("the next address answers for the same broker");
    assert_eq!(second.status.map(|s| s.code), Some(Code::Ok as i32));
    assert_eq!(transport.stub(&down).expect("stub").1, live);
}

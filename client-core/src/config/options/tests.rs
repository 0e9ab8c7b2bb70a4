use super::*;
use crate::{Producer, PushConsumer, SimpleConsumer};

#[track_caller]
fn invalid<T>(result: Result<T>) -> String {
    match result {
        Ok(_) => panic!("accepted"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
            e.message().to_owned()
        }
    }
}

#[test]
fn every_key_is_described_once() {
    for (i, key) in OPTIONS.iter().enumerate() {
        assert!(
            OPTIONS[i + 1..].iter().all(|k| k.name != key.name),
            "{} twice",
            key.name
        );
        assert!(describe(key.name).is_some());
    }
}

#[test]
fn values_are_checked_against_their_form() {
    check("request_timeout", "1.5").expect("seconds");
    check("request_timeout", "250ms").expect("unit");
    check("linger", "off").expect("off");
    check("linger", "0").expect("zero linger");
    check("topics", "a, b").expect("list");
    check("tls", "Trust-All").expect("any case");
    let message = invalid(check("request_timeout", "soon"));
    assert!(
        message.contains("request_timeout") && message.contains("duration"),
        "{message}"
    );
    let message = invalid(check("max_attempts", "0"));
    assert!(
        message.contains("max_attempts must be an integer from 1 to 100"),
        "{message}"
    );
    invalid(check("max_attempts", "-1"));
    invalid(check("consumption_threads", "many"));
    invalid(check("heartbeat_interval", "1ms"));
    invalid(check("request_timeout", "-1"));
    invalid(check("tls", "maybe"));
    let message = invalid(check("endpoint", "typo"));
    assert!(message.contains("unknown option \"endpoint\""), "{message}");
}

#[test]
fn client_config_from_a_string_map() {
    let config = ClientConfig::from_map([
        ("endpoints", "h:1"),
        ("access_key", "ak"),
        ("secret_key", "sk"),
        ("security_token", "token"),
        ("namespace", "ns"),
        ("request_timeout", "1.5"),
        ("tls", "trust-all"),
        ("heartbeat_interval", "2s"),
        ("route_refresh_interval", "500ms"),
        ("settings_resync_interval", "1min"),
    ])
    .expect("valid");
    assert_eq!(config.request_timeout(), Duration::from_millis(1500));
    assert_eq!(config.tls(), &Tls::TrustAll);
    assert_eq!(config.namespace(), "ns");
    assert_eq!(
        config
            .credentials()
            .and_then(|c| c.security_token.as_deref()),
        Some("token")
    );
    assert_eq!(config.heartbeat_interval(), Duration::from_secs(2));
    assert_eq!(config.route_refresh_interval(), Duration::from_millis(500));
    assert_eq!(config.settings_resync_interval(), Duration::from_secs(60));
    let ca = ClientConfig::from_map([("endpoints", "h:1"), ("tls_ca_pem", "PEM")]).expect("ok");
    assert_eq!(
        ca.tls(),
        &Tls::On {
            ca_pem: Some("PEM".into())
        }
    );
    for bad in [
        vec![("endpoints", "h:1"), ("endpoint", "typo")],
        vec![("endpoints", "h:1"), ("access_key", "ak")],
        vec![("endpoints", "h:1"), ("tls", "maybe")],
        vec![
            ("endpoints", "h:1"),
            ("tls", "trust-all"),
            ("tls_ca_pem", "PEM"),
        ],
        vec![("endpoints", "h:1"), ("request_timeout", "soon")],
        vec![("endpoints", "h:1"), ("request_timeout", "0")],
        vec![("endpoints", "h:1"), ("max_attempts", "2")],
        vec![("namespace", "x")],
    ] {
        invalid(ClientConfig::from_map(bad));
    }
}

#[test]
fn typed_builders_refuse_what_the_table_refuses() {
    let message = invalid(
        ClientConfig::builder()
            .endpoints("h:1")
            .heartbeat_interval(Duration::from_millis(1))
            .build(),
    );
    assert!(message.contains("heartbeat_interval"), "{message}");
}

#[test]
fn every_client_key_reaches_its_builder() {
    let producer = Producer::builder_from_map([
        ("endpoints", "h:1"),
        ("topics", "a,b"),
        ("max_attempts", "5"),
        ("linger", "2ms"),
        ("linger_max_messages", "10"),
        ("linger_max_bytes", "4096"),
    ])
    .expect("producer keys");
    assert_eq!(producer.topics, ["a", "b"]);
    assert_eq!(producer.max_attempts, 5);
    assert_eq!(
        producer.linger_config(),
        Some(crate::LingerConfig {
            linger: Duration::from_millis(2),
            max_messages: 10,
            max_bytes: 4096,
        })
    );
    let off = Producer::builder_from_map([("endpoints", "h:1"), ("linger", "off")]).expect("off");
    assert_eq!(off.linger_config(), None);
    let simple =
        SimpleConsumer::builder_from_map("g", [("endpoints", "h:1"), ("await_duration", "1s")])
            .expect("simple keys");
    assert_eq!(simple.await_duration, Duration::from_secs(1));
    let push = PushConsumer::builder_from_map(
        "g",
        [
            ("endpoints", "h:1"),
            ("max_cache_messages", "7"),
            ("max_cache_bytes", "1024"),
            ("consumption_threads", "3"),
            ("assignment_scan_interval", "50ms"),
        ],
    )
    .expect("push keys");
    assert_eq!(push.max_cache_messages, 7);
    assert_eq!(push.max_cache_bytes, 1024);
    assert_eq!(push.consumption_threads, 3);
    assert_eq!(push.scan_every, Duration::from_millis(50));
    let set = Producer::builder(
        ClientConfig::builder()
            .endpoints("h:1")
            .build()
            .expect("config"),
    )
    .set("max_attempts", "2")
    .expect("set");
    assert_eq!(set.max_attempts, 2);
}

#[test]
fn keys_of_other_clients_and_bad_values_are_refused() {
    let message = invalid(Producer::builder_from_map([
        ("endpoints", "h:1"),
        ("max_cache_messages", "7"),
    ]));
    assert!(
        message.contains("max_cache_messages configures push consumers, not producers"),
        "{message}"
    );
    invalid(SimpleConsumer::builder_from_map(
        "g",
        [("endpoints", "h:1"), ("linger", "1ms")],
    ));
    invalid(PushConsumer::builder_from_map(
        "g",
        [("endpoints", "h:1"), ("consumption_threads", "0")],
    ));
    invalid(Producer::builder_from_map([
        ("endpoints", "h:1"),
        ("linger", "2h"),
    ]));
    invalid(Producer::builder_from_map([("max_attempts", "3")]));
}

#[test]
fn binding_durations_are_checked_in_one_place() {
    assert_eq!(
        duration_from_secs("linger", 0.5).expect("ok"),
        Duration::from_millis(500)
    );
    assert_eq!(
        duration_from_millis("await", 1500.0).expect("ok"),
        Duration::from_millis(1500)
    );
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        invalid(duration_from_secs("x", bad));
        invalid(duration_from_millis("x", bad));
    }
    invalid(duration_from_secs("x", 1e30));
}

#[test]
fn set_refuses_keys_of_the_client_config() {
    let config = ClientConfig::builder()
        .endpoints("h:1")
        .build()
        .expect("config");
    let message = invalid(Producer::builder(config).set("request_timeout", "10s"));
    assert!(message.contains("set it on the ClientConfig"), "{message}");
}

#[test]
fn linger_off_wins_whatever_the_order() {
    for pairs in [
        [("linger", "off"), ("linger_max_messages", "10")],
        [("linger_max_messages", "10"), ("linger", "off")],
    ] {
        let builder =
            Producer::builder_from_map(std::iter::once(("endpoints", "h:1")).chain(pairs))
                .expect("valid");
        assert_eq!(builder.linger_config(), None, "{pairs:?}");
    }
    let on = Producer::builder_from_map([("endpoints", "h:1"), ("linger_max_messages", "10")])
        .expect("valid");
    assert_eq!(on.linger_config().map(|l| l.max_messages), Some(10));
}

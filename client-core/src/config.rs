//! `ClientConfig`: where the servers are and how to talk to them. A consuming builder with a
//! documented default per option, also buildable from a string map so Python kwargs, JS
//! option objects and C `rmq_config_set(cfg, key, value)` share one code path.

use crate::error::{Error, Result};
use rmq_proto::v2::{Address, AddressScheme, Endpoints};
use std::net::IpAddr;
use std::time::Duration;

const OP: &str = "config";

/// Port used when an endpoint names none, as the Java client does.
pub const DEFAULT_ENDPOINT_PORT: u16 = 80;
/// Default request timeout: 3 s, as the official clients.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// One `host:port` access point.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Access key, secret key and an optional STS security token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key (sent in the clear).
    pub access_key: String,
    /// Secret key (never sent; signs requests).
    pub secret_key: String,
    /// STS token, sent as `x-mq-session-token` when present.
    pub security_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Transport security.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Tls {
    /// Cleartext HTTP/2 (the default; Apache proxies and the mini-broker serve it).
    #[default]
    Off,
    /// TLS verified against the system roots, or against this PEM CA bundle.
    On {
        /// PEM CA certificates to trust instead of the system roots.
        ca_pem: Option<String>,
    },
    /// TLS that accepts any server certificate. For development only: it is what the Java
    /// client does by default, and it does not protect against an active attacker.
    TrustAll,
}

/// Client settings shared by producers and consumers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    endpoints: Vec<Endpoint>,
    credentials: Option<Credentials>,
    namespace: String,
    request_timeout: Duration,
    tls: Tls,
}

impl ClientConfig {
    /// A builder; `endpoints` is required.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// Builds from string keys, for bindings. Keys: `endpoints` (required), `access_key`,
    /// `secret_key`, `security_token`, `namespace`, `request_timeout` (seconds as a number, or
    /// a duration such as `500ms`), `tls` (`off`, `on`, `trust-all`, `true`, `false`),
    /// `tls_ca_pem` (PEM text). Unknown keys are refused, so typos do not pass silently.
    pub fn from_map<K: AsRef<str>, V: AsRef<str>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<ClientConfig> {
        let mut builder = ClientConfig::builder();
        let mut tls = None;
        let mut ca = None;
        let (mut ak, mut sk, mut token) = (None, None, None);
        for (key, value) in map {
            let value = value.as_ref();
            match key.as_ref() {
                "endpoints" => builder = builder.endpoints(value),
                "access_key" => ak = Some(value.to_owned()),
                "secret_key" => sk = Some(value.to_owned()),
                "security_token" => token = Some(value.to_owned()),
                "namespace" => builder = builder.namespace(value),
                "request_timeout" => builder = builder.request_timeout(parse_duration(value)?),
                "tls" => tls = Some(value.to_ascii_lowercase()),
                "tls_ca_pem" => ca = Some(value.to_owned()),
                other => {
                    return Err(Error::invalid(OP, format!("unknown config key {other:?}")));
                }
            }
        }
        match (ak, sk) {
            (Some(ak), Some(sk)) => builder = builder.credentials(ak, sk, token),
            (None, None) if token.is_none() => {}
            _ => {
                return Err(Error::invalid(
                    OP,
                    "access_key and secret_key go together (security_token needs both)",
                ));
            }
        }
        builder = builder.tls(match (tls.as_deref(), ca) {
            (None | Some("off" | "false"), None) => Tls::Off,
            (Some("on" | "true") | None, ca_pem @ Some(_)) => Tls::On { ca_pem },
            (Some("on" | "true"), None) => Tls::On { ca_pem: None },
            (Some("trust-all" | "trust_all"), None) => Tls::TrustAll,
            (Some(other), None) => {
                return Err(Error::invalid(
                    OP,
                    format!("tls must be off, on or trust-all, not {other:?}"),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Error::invalid(OP, "tls_ca_pem needs tls = on"));
            }
        });
        builder.build()
    }

    /// The access points, in the order given.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Credentials, if requests are signed.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Namespace (empty by default).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Timeout of each unary request.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Transport security.
    pub fn tls(&self) -> &Tls {
        &self.tls
    }

    /// The access point as the protocol's `Endpoints` (scheme from the host kinds).
    pub fn access_point(&self) -> Endpoints {
        let all = |v4: bool| {
            self.endpoints
                .iter()
                .all(|e| e.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv4() == v4))
        };
        let scheme = if all(true) {
            AddressScheme::IPv4
        } else if all(false) {
            AddressScheme::IPv6
        } else {
            AddressScheme::DomainName
        };
        Endpoints {
            scheme: scheme as i32,
            addresses: self
                .endpoints
                .iter()
                .map(|e| Address {
                    host: e.host.clone(),
                    port: i32::from(e.port),
                })
                .collect(),
        }
    }
}

/// Builder of [`ClientConfig`].
#[derive(Clone, Debug, Default)]
pub struct ClientConfigBuilder {
    endpoints: Option<String>,
    credentials: Option<Credentials>,
    namespace: String,
    request_timeout: Option<Duration>,
    tls: Tls,
}

impl ClientConfigBuilder {
    /// Access points: `host:port`, several separated by `;`, with or without `http://` or
    /// `https://`. A missing port means 80, as in the Java client. Required.
    pub fn endpoints(mut self, endpoints: impl Into<String>) -> Self {
        self.endpoints = Some(endpoints.into());
        self
    }

    /// Signs requests with this access key and secret key (and sends the STS token when
    /// given). Default: unsigned requests.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
        security_token: Option<String>,
    ) -> Self {
        self.credentials = Some(Credentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token,
        });
        self
    }

    /// Namespace sent with every request. Default empty.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Timeout of each unary request. Default 3 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Transport security. Default [`Tls::Off`].
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<ClientConfig> {
        let text = self
            .endpoints
            .ok_or_else(|| Error::invalid(OP, "endpoints are required"))?;
        let endpoints = parse_endpoints(&text)?;
        let request_timeout = self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        if request_timeout.is_zero() {
            return Err(Error::invalid(OP, "request timeout must be positive"));
        }
        if let Some(c) = &self.credentials
            && (c.access_key.trim().is_empty() || c.secret_key.is_empty())
        {
            return Err(Error::invalid(
                OP,
                "access key and secret key must not be empty",
            ));
        }
        Ok(ClientConfig {
            endpoints,
            credentials: self.credentials,
            namespace: self.namespace,
            request_timeout,
            tls: self.tls,
        })
    }
}

fn parse_endpoints(text: &str) -> Result<Vec<Endpoint>> {
    let trimmed = text.trim();
    let stripped = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .unwrap_or(trimmed);
    let mut endpoints = Vec::new();
    for part in stripped.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        endpoints.push(parse_endpoint(part)?);
    }
    if endpoints.is_empty() {
        return Err(Error::invalid(OP, format!("no endpoint in {text:?}")));
    }
    Ok(endpoints)
}

fn parse_endpoint(part: &str) -> Result<Endpoint> {
    let bad = || Error::invalid(OP, format!("bad endpoint {part:?} (want host:port)"));
    let (host, port) = if let Some(rest) = part.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(bad()),
        }
    } else if part.matches(':').count() > 1 {
        // A bare IPv6 literal has no room for a port.
        (part, None)
    } else {
        match part.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (part, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
        return Err(bad());
    }
    let port = match port {
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad()),
            Ok(port) => port,
        },
        None => DEFAULT_ENDPOINT_PORT,
    };
    Ok(Endpoint {
        host: host.to_owned(),
        port,
    })
}

fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| Error::invalid(OP, format!("bad duration {text:?}")));
    }
    humantime::parse_duration(text)
        .map_err(|e| Error::invalid(OP, format!("bad duration {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn from_pairs(pairs: &[(&str, &str)]) -> Result<ClientConfig> {
        ClientConfig::from_map(pairs.iter().copied())
    }

    fn endpoints(text: &str) -> Vec<String> {
        ClientConfig::builder()
            .endpoints(text)
            .build()
            .expect("valid")
            .endpoints()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn parses_endpoint_lists() {
        assert_eq!(endpoints("127.0.0.1:8081"), ["127.0.0.1:8081"]);
        assert_eq!(endpoints("http://a:1;b:2; "), ["a:1", "b:2"]);
        assert_eq!(endpoints("https://proxy.example"), ["proxy.example:80"]);
        assert_eq!(
            endpoints("[::1]:9876;[fe80::1]"),
            ["[::1]:9876", "[fe80::1]:80"]
        );
        assert_eq!(endpoints("::1"), ["[::1]:80"]);
        for bad in [
            "",
            " ; ",
            "host:0",
            "host:99999",
            "host:port",
            "a b:1",
            "[::1",
            "h/x:1",
        ] {
            let err = ClientConfig::builder()
                .endpoints(bad)
                .build()
                .expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn access_point_scheme_follows_the_hosts() {
        let scheme = |text: &str| {
            ClientConfig::builder()
                .endpoints(text)
                .build()
                .expect("valid")
                .access_point()
                .scheme
        };
        assert_eq!(scheme("1.2.3.4:1;5.6.7.8:2"), AddressScheme::IPv4 as i32);
        assert_eq!(scheme("[::1]:1"), AddressScheme::IPv6 as i32);
        assert_eq!(scheme("localhost:1"), AddressScheme::DomainName as i32);
    }

    #[test]
    fn defaults_and_validation() {
        let config = ClientConfig::builder()
            .endpoints("h:1")
            .build()
            .expect("valid");
        assert_eq!(config.request_timeout(), Duration::from_secs(3));
        assert_eq!(config.tls(), &Tls::Off);
        assert!(config.credentials().is_none());
        assert_eq!(config.namespace(), "");
        let missing = ClientConfig::builder().build().expect_err("no endpoints");
        assert_eq!(missing.kind(), ErrorKind::InvalidArgument);
        let zero = ClientConfig::builder()
            .endpoints("h:1")
            .request_timeout(Duration::ZERO)
            .build();
        assert!(zero.is_err());
        let blank = ClientConfig::builder()
            .endpoints("h:1")
            .credentials(" ", "sk", None)
            .build();
        assert!(blank.is_err());
    }

    #[test]
    fn builds_from_a_string_map() {
        let config = from_pairs(&[
            ("endpoints", "h:1"),
            ("access_key", "ak"),
            ("secret_key", "sk"),
            ("namespace", "ns"),
            ("request_timeout", "1.5"),
            ("tls", "trust-all"),
        ])
        .expect("valid");
        assert_eq!(config.request_timeout(), Duration::from_millis(1500));
        assert_eq!(config.tls(), &Tls::TrustAll);
        assert_eq!(config.namespace(), "ns");
        assert_eq!(
            config.credentials().map(|c| c.access_key.as_str()),
            Some("ak")
        );
        let timeout =
            from_pairs(&[("endpoints", "h:1"), ("request_timeout", "250ms")]).expect("ok");
        assert_eq!(timeout.request_timeout(), Duration::from_millis(250));
        let ca = from_pairs(&[("endpoints", "h:1"), ("tls_ca_pem", "PEM")]).expect("ok");
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
            vec![("endpoints", "h:1"), ("request_timeout", "soon")],
            vec![("endpoints", "h:1"), ("request_timeout", "-1")],
            vec![("namespace", "x")],
        ] {
            assert_eq!(
                from_pairs(&bad).expect_err("invalid").kind(),
                ErrorKind::InvalidArgument
            );
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = ClientConfig::builder()
            .endpoints("h:1")
            .credentials("ak", "very-secret", Some("token-secret".into()))
            .build()
            .expect("valid");
        let text = format!("{config:?}");
        assert!(
            text.contains("ak") && !text.contains("very-secret") && !text.contains("token-secret")
        );
    }
}

//! `ClientConfig`: where the servers are, how to talk to them, and how often a client does its
//! upkeep. A consuming builder with a documented default per option; the string-key form of
//! every option is in [`options`].

pub mod options;

use crate::error::{Error, Result};
use rmq_proto::v2::{Address, AddressScheme, Endpoints};
use std::net::IpAddr;
use std::time::Duration;

const OP: &str = "config";

/// Port used when an endpoint names none, as the Java client does.
pub const DEFAULT_ENDPOINT_PORT: u16 = 80;
/// Default request timeout: 3 s, as the official clients.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Default period of heartbeats: 10 s, as the official clients.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);
/// Default period of route refreshes: 30 s, as the official clients.
pub const DEFAULT_ROUTE_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// Default period of Settings re-syncs on a healthy session: 5 min, as the official clients.
pub const DEFAULT_SETTINGS_RESYNC_INTERVAL: Duration = Duration::from_secs(5 * 60);

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
    heartbeat_interval: Duration,
    route_refresh_interval: Duration,
    settings_resync_interval: Duration,
}

impl ClientConfig {
    /// A builder; `endpoints` is required.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
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

    /// Period of heartbeats to every broker the client uses.
    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat_interval
    }

    /// Period of route refreshes.
    pub fn route_refresh_interval(&self) -> Duration {
        self.route_refresh_interval
    }

    /// Period of Settings re-syncs with each broker.
    pub fn settings_resync_interval(&self) -> Duration {
        self.settings_resync_interval
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
    heartbeat_interval: Option<Duration>,
    route_refresh_interval: Option<Duration>,
    settings_resync_interval: Option<Duration>,
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

    /// How often the client heartbeats its brokers (which also brings isolated brokers back
    /// into use). Default 10 s; 10 ms to 1 h.
    pub fn heartbeat_interval(mut self, every: Duration) -> Self {
        self.heartbeat_interval = Some(every);
        self
    }

    /// How often cached routes are fetched again (new queues and brokers come into use).
    /// Default 30 s; 10 ms to 1 h.
    pub fn route_refresh_interval(mut self, every: Duration) -> Self {
        self.route_refresh_interval = Some(every);
        self
    }

    /// How often the client's Settings are sent again on a healthy session, so the server's
    /// current Settings (retry policy, FIFO flag, …) come back. Default 5 min; 10 ms to 1 h.
    pub fn settings_resync_interval(mut self, every: Duration) -> Self {
        self.settings_resync_interval = Some(every);
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<ClientConfig> {
        let text = self
            .endpoints
            .ok_or_else(|| Error::invalid(OP, "endpoints are required"))?;
        let endpoints = parse_endpoints(&text)?;
        let request_timeout = options::bounded(
            "request_timeout",
            self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
        )?;
        let interval =
            |key, value: Option<Duration>, default| options::bounded(key, value.unwrap_or(default));
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
            heartbeat_interval: interval(
                "heartbeat_interval",
                self.heartbeat_interval,
                DEFAULT_HEARTBEAT_INTERVAL,
            )?,
            route_refresh_interval: interval(
                "route_refresh_interval",
                self.route_refresh_interval,
                DEFAULT_ROUTE_REFRESH_INTERVAL,
            )?,
            settings_resync_interval: interval(
                "settings_resync_interval",
                self.settings_resync_interval,
                DEFAULT_SETTINGS_RESYNC_INTERVAL,
            )?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

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

//! gRPC transport: one lazily connected channel per endpoint, the protocol headers on every
//! call (fresh date, request id and signature each time), deadlines, and the three TLS modes.

use crate::auth;
use crate::config::{ClientConfig, Endpoint, Tls};
use crate::error::{Error, Result};
use rmq_proto::headers;
use rmq_proto::v2::messaging_service_client::MessagingServiceClient;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

/// Version sent in `x-mq-client-version`.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

const OP: &str = "connect";

/// A stub over one endpoint's channel that adds the protocol headers.
pub type Stub = MessagingServiceClient<InterceptedService<Channel, Headers>>;

/// The headers every request carries.
#[derive(Clone)]
pub struct Headers {
    fixed: Arc<Vec<(AsciiMetadataKey, AsciiMetadataValue)>>,
    config: Arc<ClientConfig>,
    /// Date-time and authorization of the current second: both only change once a second,
    /// so the formatting and the HMAC run once a second rather than once a request.
    signed: Arc<Mutex<Option<Signed>>>,
}

struct Signed {
    second: i64,
    date: AsciiMetadataValue,
    authorization: Option<AsciiMetadataValue>,
}

impl Headers {
    fn new(config: Arc<ClientConfig>, client_id: &str) -> Result<Headers> {
        let ascii = |name: &'static str, value: &str| {
            value
                .parse::<AsciiMetadataValue>()
                .map(|v| (AsciiMetadataKey::from_static(name), v))
                .map_err(|_| Error::invalid("config", format!("{name} must be printable ASCII")))
        };
        let mut fixed = vec![
            ascii(headers::CLIENT_ID, client_id)?,
            ascii(headers::LANGUAGE, headers::LANGUAGE_RUST)?,
            ascii(headers::PROTOCOL, headers::PROTOCOL_V2)?,
            ascii(headers::CLIENT_VERSION, CLIENT_VERSION)?,
            ascii(headers::NAMESPACE, config.namespace())?,
        ];
        if let Some(credentials) = config.credentials() {
            ascii(headers::AUTHORIZATION, &credentials.access_key)?;
            if let Some(token) = &credentials.security_token {
                fixed.push(ascii(headers::SESSION_TOKEN, token)?);
            }
        }
        Ok(Headers {
            fixed: Arc::new(fixed),
            config,
            signed: Arc::new(Mutex::new(None)),
        })
    }

    /// The date-time and authorization values for `now`, from the cache within a second.
    fn signed(
        &self,
        now: time::OffsetDateTime,
    ) -> (AsciiMetadataValue, Option<AsciiMetadataValue>) {
        let second = now.unix_timestamp();
        let mut cache = self
            .signed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(signed) = cache.as_ref().filter(|s| s.second == second) {
            return (signed.date.clone(), signed.authorization.clone());
        }
        let date = auth::date_time(now);
        let authorization = self
            .config
            .credentials()
            .and_then(|credentials| auth::authorization(credentials, &date).parse().ok())
            .map(|mut value: AsciiMetadataValue| {
                // A credential: keep it out of HPACK tables, as HTTP/2 advises.
                value.set_sensitive(true);
                value
            });
        let date: AsciiMetadataValue = date
            .parse()
            .unwrap_or_else(|_| AsciiMetadataValue::from_static(""));
        let signed = Signed {
            second,
            date: date.clone(),
            authorization: authorization.clone(),
        };
        *cache = Some(signed);
        (date, authorization)
    }

    /// Writes the headers into `metadata`.
    pub fn apply(&self, metadata: &mut MetadataMap) {
        for (name, value) in self.fixed.iter() {
            metadata.insert(name.clone(), value.clone());
        }
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut id);
        if let Ok(mut id) = AsciiMetadataValue::try_from(id.as_bytes()) {
            // Never indexed: a value used once would only churn both ends' HPACK tables
            // (measured: a few µs per call on loopback).
            id.set_sensitive(true);
            metadata.insert(headers::REQUEST_ID, id);
        }
        let (date, authorization) = self.signed(time::OffsetDateTime::now_utc());
        if let Some(authorization) = authorization {
            metadata.insert(headers::AUTHORIZATION, authorization);
        }
        metadata.insert(headers::DATE_TIME, date);
    }
}

impl tonic::service::Interceptor for Headers {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        self.apply(request.metadata_mut());
        Ok(request)
    }
}

/// Channels to the endpoints one client talks to. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    config: Arc<ClientConfig>,
    headers: Headers,
    channels: Arc<Mutex<HashMap<Endpoint, Channel>>>,
}

impl Transport {
    /// A transport for `config`, identifying itself as `client_id`.
    pub fn new(config: ClientConfig, client_id: &str) -> Result<Transport> {
        let config = Arc::new(config);
        Ok(Transport {
            headers: Headers::new(config.clone(), client_id)?,
            config,
            channels: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A stub for `endpoint`. The channel connects on first use and reconnects by itself.
    pub fn stub(&self, endpoint: &Endpoint) -> Result<Stub> {
        let channel = {
            let mut channels = self.channels.lock().map_err(|_| {
                Error::new(crate::ErrorKind::Unexpected, OP, "channel map poisoned")
            })?;
            match channels.get(endpoint) {
                Some(channel) => channel.clone(),
                None => {
                    let channel = self.connect(endpoint)?;
                    channels.insert(endpoint.clone(), channel.clone());
                    channel
                }
            }
        };
        Ok(
            MessagingServiceClient::with_interceptor(channel, self.headers.clone())
                .max_decoding_message_size(usize::MAX),
        )
    }

    /// A request with the client's deadline (`timeout`, or the configured request timeout).
    pub fn request<T>(&self, body: T, timeout: Option<Duration>) -> tonic::Request<T> {
        let mut request = tonic::Request::new(body);
        request.set_timeout(timeout.unwrap_or(self.config.request_timeout()));
        request
    }

    fn connect(&self, endpoint: &Endpoint) -> Result<Channel> {
        // The trust-all connector does its own TLS, and tonic refuses an https URI for a
        // custom connector, so only tonic's own TLS gets the https scheme.
        let scheme = if matches!(self.config.tls(), Tls::On { .. }) {
            "https"
        } else {
            "http"
        };
        let uri = format!("{scheme}://{endpoint}");
        let builder = tonic::transport::Endpoint::from_shared(uri.clone())
            .map_err(|e| Error::invalid(OP, format!("bad endpoint {uri}: {e}")))?
            .connect_timeout(Duration::from_secs(3))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(300))
            .keep_alive_timeout(Duration::from_secs(30))
            .keep_alive_while_idle(true);
        match self.config.tls() {
            Tls::Off => Ok(builder.connect_lazy()),
            Tls::On { ca_pem } => {
                let mut tls = ClientTlsConfig::new().domain_name(endpoint.host.clone());
                tls = match ca_pem {
                    Some(pem) => tls.ca_certificate(Certificate::from_pem(pem)),
                    None => tls.with_webpki_roots(),
                };
                Ok(builder
                    .tls_config(tls)
                    .map_err(|e| Error::invalid(OP, format!("TLS setup failed: {e}")))?
                    .connect_lazy())
            }
            Tls::TrustAll => Ok(builder.connect_with_connector_lazy(
                crate::trust_all::Connector::new(endpoint.host.clone()),
            )),
        }
    }
}

//! gRPC transport: one lazily connected channel per address, the protocol headers on every
//! call (fresh date, request id and signature each time), deadlines, the three TLS modes, and
//! brokers served at several addresses (`addresses.rs`).

mod addresses;
mod call;
mod headers;
mod trust_all;

use headers::Headers;

use crate::config::{ClientConfig, Endpoint, Tls};
use crate::error::{Error, Result};
use rmq_proto::v2::messaging_service_client::MessagingServiceClient;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

/// The version this client reports (`x-mq-client-version` and its Settings).
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

const OP: &str = "connect";

/// A stub over one endpoint's channel that adds the protocol headers.
pub(crate) type Stub = MessagingServiceClient<InterceptedService<Channel, Headers>>;

/// Channels to the endpoints one client talks to. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    config: Arc<ClientConfig>,
    headers: Headers,
    /// `None` once the client is shut down: its connections are closed and no call opens one.
    channels: Arc<Mutex<Option<HashMap<Endpoint, Channel>>>>,
    addresses: Arc<addresses::Addresses>,
}

impl Transport {
    /// A transport for `config`, identifying itself as `client_id`.
    pub(crate) fn new(config: ClientConfig, client_id: &str) -> Result<Transport> {
        let config = Arc::new(config);
        Ok(Transport {
            headers: Headers::new(config.clone(), client_id)?,
            config,
            channels: Arc::new(Mutex::new(Some(HashMap::new()))),
            addresses: Arc::default(),
        })
    }

    /// The configuration.
    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Records that the broker named by the first of `addresses` is served at each of them.
    pub(crate) fn serve(&self, addresses: &[Endpoint]) {
        self.addresses.serve(addresses);
    }

    /// A stub for `endpoint` at the address it is called at now, and that address. The
    /// channel connects on first use and reconnects by itself.
    pub(crate) fn stub(&self, endpoint: &Endpoint) -> Result<(Stub, Endpoint)> {
        let address = self.addresses.resolve(endpoint);
        let channel = {
            let mut channels = self.channels.lock().map_err(|_| {
                Error::new(crate::ErrorKind::Unexpected, OP, "channel map poisoned")
            })?;
            let Some(channels) = channels.as_mut() else {
                return Err(Error::new(
                    crate::ErrorKind::Closed,
                    OP,
                    "the client is shut down",
                ));
            };
            match channels.get(&address) {
                Some(channel) => channel.clone(),
                None => {
                    let channel = self.connect(&address)?;
                    channels.insert(address.clone(), channel.clone());
                    channel
                }
            }
        };
        let stub = MessagingServiceClient::with_interceptor(channel, self.headers.clone())
            .max_decoding_message_size(usize::MAX);
        Ok((stub, address))
    }

    /// Closes every connection (each goes once the calls and streams on it end) and refuses
    /// new ones: a shut-down client holds no socket however long its handle lives.
    pub(crate) fn close(&self) {
        if let Ok(mut channels) = self.channels.lock() {
            channels.take();
        }
    }

    /// A call to `endpoint` at `address` failed with `status`: when the address cannot be
    /// reached, the endpoint's next address (if it has one) takes over.
    pub(crate) fn failed(&self, endpoint: &Endpoint, address: &Endpoint, status: &tonic::Status) {
        if status.code() == tonic::Code::Unavailable {
            self.addresses.unreachable(endpoint, address);
        }
    }

    /// A request with the client's deadline (`timeout`, or the configured request timeout).
    pub(crate) fn request<T>(&self, body: T, timeout: Option<Duration>) -> tonic::Request<T> {
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
            Tls::TrustAll => Ok(builder
                .connect_with_connector_lazy(trust_all::Connector::new(endpoint.host.clone()))),
        }
    }
}

#[cfg(test)]
mod tests;

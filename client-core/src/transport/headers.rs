//! The protocol headers on every call: fixed ones built once, a fresh request id, and the date
//! and signature of the current second.

use super::CLIENT_VERSION;
use crate::auth;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use rmq_proto::headers;
use std::sync::{Arc, Mutex};
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};

/// The headers every request carries.
#[derive(Clone)]
pub(crate) struct Headers {
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
    pub(crate) fn new(config: Arc<ClientConfig>, client_id: &str) -> Result<Headers> {
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
    pub(crate) fn apply(&self, metadata: &mut MetadataMap) {
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

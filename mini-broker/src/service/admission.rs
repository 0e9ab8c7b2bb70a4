//! Admission of every call: the client id and other headers, authentication, deadlines, injected
//! faults and dropped responses.

use super::*;
use crate::validate::texts;
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc, headers};
use std::time::Duration;
use tonic::Response;
use tonic::metadata::MetadataMap;

pub(crate) fn client_id(metadata: &MetadataMap) -> Option<String> {
    metadata
        .get(headers::CLIENT_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Time left before the caller's gRPC deadline, from the `grpc-timeout` header.
pub(crate) fn deadline_remaining(metadata: &MetadataMap) -> Option<Duration> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

pub(crate) fn resource_name(resource: Option<&Resource>) -> &str {
    resource.map_or("", |r| r.name.as_str())
}

pub(crate) fn namespace(resource: Option<&Resource>) -> String {
    resource.map_or_else(String::new, |r| r.resource_namespace.clone())
}

pub(crate) fn peer(metadata: &MetadataMap, remote: Option<std::net::SocketAddr>) -> String {
    let _ = metadata;
    remote.map_or_else(String::new, |a| a.to_string())
}

impl Service {
    /// Header checks, authentication and injected faults shared by every unary RPC.
    pub(crate) async fn admit(
        &self,
        rpc: Rpc,
        metadata: &MetadataMap,
    ) -> Result<String, v2::Status> {
        if let Some(latency) = self.core.faults.admit(rpc) {
            tokio::time::sleep(latency).await;
        }
        let Some(client) = client_id(metadata) else {
            return Err(status(Code::ClientIdRequired, texts::CLIENT_ID_REQUIRED));
        };
        if let Some(credentials) = &self.core.credentials {
            credentials
                .verify(metadata)
                .map_err(|reason| status(Code::Unauthorized, reason))?;
        }
        if let Some((code, message)) = self.core.faults.failure(rpc) {
            return Err(status(code, message));
        }
        Ok(client)
    }

    /// Turns a computed response into the reply, or loses it when a drop fault is armed.
    pub(crate) fn reply<T>(&self, rpc: Rpc, body: T) -> GrpcResult<T> {
        if self.core.faults.take_drop(rpc) {
            return Err(tonic::Status::unavailable(format!(
                "{rpc} response dropped by fault injection"
            )));
        }
        Ok(Response::new(body))
    }
}

//! The one unary-call ceremony every client RPC goes through: the endpoint's stub, the
//! protocol headers, the deadline, the gRPC status mapped to an [`Error`] that names the
//! endpoint, and (for [`Transport::call_ok`]) the response's own status checked.

use super::{Stub, Transport};
use crate::config::Endpoint;
use crate::error::{Error, Result};
use rmq_proto::v2;
use std::future::Future;
use std::time::Duration;

/// A response with one top-level business status.
pub(crate) trait Answer {
    /// The status; a missing one is not OK.
    fn status(&self) -> Option<&v2::Status>;
}

macro_rules! answers {
    ($($response:ident),* $(,)?) => {
        $(impl Answer for v2::$response {
            fn status(&self) -> Option<&v2::Status> {
                self.status.as_ref()
            }
        })*
    };
}

answers!(
    QueryRouteResponse,
    HeartbeatResponse,
    SendMessageResponse,
    QueryAssignmentResponse,
    AckMessageResponse,
    ForwardMessageToDeadLetterQueueResponse,
    EndTransactionResponse,
    QueryOffsetResponse,
    NotifyClientTerminationResponse,
    ChangeInvisibleDurationResponse,
    RecallMessageResponse,
    SyncLiteSubscriptionResponse,
);

impl Transport {
    /// Calls `rpc` on `endpoint`'s stub with `request`, the headers and the deadline
    /// (`timeout`, or the configured request timeout).
    pub(crate) async fn call<Req, Resp, Fut>(
        &self,
        op: &'static str,
        endpoint: &Endpoint,
        request: Req,
        timeout: Option<Duration>,
        rpc: impl FnOnce(Stub, tonic::Request<Req>) -> Fut,
    ) -> Result<Resp>
    where
        Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        let (stub, address) = self.stub(endpoint).map_err(|e| e.with_endpoint(endpoint))?;
        rpc(stub, self.request(request, timeout))
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| {
                self.failed(endpoint, &address, &status);
                let closed = closed_by_peer(&status);
                let error = Error::from_grpc(op, status).with_endpoint(endpoint);
                if closed && matches!(self.config().tls(), crate::Tls::Off) {
                    return error.with_hint(
                        "the server closed the connection unanswered (a server that takes \
                         only TLS does so to cleartext clients: is TLS needed?)",
                    );
                }
                error
            })
    }

    /// [`Transport::call`], then the response's status must be OK.
    pub(crate) async fn call_ok<Req, Resp, Fut>(
        &self,
        op: &'static str,
        endpoint: &Endpoint,
        request: Req,
        rpc: impl FnOnce(Stub, tonic::Request<Req>) -> Fut,
    ) -> Result<Resp>
    where
        Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
        Resp: Answer,
    {
        let response = self.call(op, endpoint, request, None, rpc).await?;
        Error::check(op, response.status().cloned()).map_err(|e| e.with_endpoint(endpoint))?;
        Ok(response)
    }

    /// [`Transport::call_ok`] to the access point: each configured endpoint in turn while they
    /// cannot be reached (a server's refusal is final). Returns the answer and the endpoint
    /// that gave it.
    pub(crate) async fn call_access_ok<Req, Resp, Fut>(
        &self,
        op: &'static str,
        request: impl Fn() -> Req,
        rpc: impl Fn(Stub, tonic::Request<Req>) -> Fut,
    ) -> Result<(Resp, Endpoint)>
    where
        Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
        Resp: Answer,
    {
        let mut last = None;
        for access in self.config().endpoints() {
            match self.call_ok(op, access, request(), &rpc).await {
                Ok(response) => return Ok((response, access.clone())),
                Err(error) if error.code().is_none() => last = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last.unwrap_or_else(|| Error::invalid(op, "no endpoint configured")))
    }
}

/// Whether the call failed because the server closed or reset the connection before any
/// answer: all a cleartext client sees of a server that takes TLS only, so its error says what
/// to check. Depending on when the close lands, hyper reports it as a cancelled call ("connection
/// closed") or as a transport error over a reset, a broken pipe or an early end of stream; a
/// refused connection is not one of them.
fn closed_by_peer(status: &tonic::Status) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    if !matches!(
        status.code(),
        tonic::Code::Cancelled | tonic::Code::Unavailable | tonic::Code::Unknown
    ) {
        return false;
    }
    let mut next = std::error::Error::source(status);
    while let Some(error) = next {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ConnectionReset | BrokenPipe | ConnectionAborted | UnexpectedEof
            )
        {
            return true;
        }
        // hyper's own error kinds are private; its text for a peer's close is stable.
        if error.to_string().starts_with("connection closed") {
            return true;
        }
        next = error.source();
    }
    false
}

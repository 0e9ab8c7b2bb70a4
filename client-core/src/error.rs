//! The one error type every binding maps: a small, stable [`ErrorKind`] plus the server's
//! status code when there was one, what was being done, and the underlying cause.

use rmq_proto::Code;
use std::fmt;

/// What went wrong, in the categories every binding maps to its own error classes (Python
/// exception classes, JS `code` strings, C error numbers). New kinds may be added; bindings
/// map unknown kinds to [`ErrorKind::Unexpected`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller passed something invalid; found before any I/O.
    InvalidArgument,
    /// The server refused the request as malformed or illegal (codes 400xx).
    BadRequest,
    /// Authentication or authorization failed (401xx).
    Unauthorized,
    /// Payment required (402xx; reserved by the protocol).
    PaymentRequired,
    /// Forbidden, for example no readable or writable queue (403xx).
    Forbidden,
    /// Topic, consumer group, message or offset not found (404xx).
    NotFound,
    /// Message body too large (413xx, and the client's own size check).
    PayloadTooLarge,
    /// Message body empty.
    PayloadEmpty,
    /// The server is throttling; retry later (429xx).
    TooManyRequests,
    /// Message properties too large (431xx).
    RequestHeaderFieldsTooLarge,
    /// The server failed internally (500xx).
    InternalServer,
    /// The server timed out talking to its storage (504xx).
    ProxyTimeout,
    /// The server does not support the request (501xx, 505xx, gRPC UNIMPLEMENTED).
    Unsupported,
    /// No answer within the request timeout.
    Timeout,
    /// The connection failed or the server is unreachable.
    Network,
    /// The client was shut down.
    Closed,
    /// Anything else; the message says what.
    Unexpected,
}

impl ErrorKind {
    /// A stable snake-case name, for logs and bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::PaymentRequired => "payment_required",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::PayloadEmpty => "payload_empty",
            ErrorKind::TooManyRequests => "too_many_requests",
            ErrorKind::RequestHeaderFieldsTooLarge => "request_header_fields_too_large",
            ErrorKind::InternalServer => "internal_server",
            ErrorKind::ProxyTimeout => "proxy_timeout",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Network => "network",
            ErrorKind::Closed => "closed",
            ErrorKind::Unexpected => "unexpected",
        }
    }

    /// Whether the same request may succeed if tried again: the network, timeouts, throttling
    /// and server faults. Requests the server refused as invalid, missing or forbidden, and
    /// local argument errors, fail the same way every time. The producer retries exactly these.
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            ErrorKind::Network
                | ErrorKind::Timeout
                | ErrorKind::TooManyRequests
                | ErrorKind::InternalServer
                | ErrorKind::ProxyTimeout
                | ErrorKind::Unexpected
        )
    }

    /// The kind a business status code maps to, as the Java reference client maps them.
    pub fn from_code(code: i32) -> ErrorKind {
        let Ok(code) = Code::try_from(code) else {
            return ErrorKind::Unexpected;
        };
        match code {
            Code::MessageBodyEmpty => ErrorKind::PayloadEmpty,
            Code::MessageBodyTooLarge | Code::PayloadTooLarge => ErrorKind::PayloadTooLarge,
            _ => match code as i32 / 100 {
                400 => ErrorKind::BadRequest,
                401 => ErrorKind::Unauthorized,
                402 => ErrorKind::PaymentRequired,
                403 => ErrorKind::Forbidden,
                404 => ErrorKind::NotFound,
                408 => ErrorKind::Timeout,
                413 => ErrorKind::PayloadTooLarge,
                429 => ErrorKind::TooManyRequests,
                431 => ErrorKind::RequestHeaderFieldsTooLarge,
                500 => ErrorKind::InternalServer,
                501 | 505 => ErrorKind::Unsupported,
                504 => ErrorKind::ProxyTimeout,
                _ => ErrorKind::Unexpected,
            },
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Shared so an error can be cloned, e.g. to every send of a lingered batch.
type Source = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// What the failed call was about, where the client knew it: bindings expose these as fields
/// so applications need not parse the message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Context {
    topic: Option<String>,
    group: Option<String>,
    endpoint: Option<String>,
}

/// An rmq error.
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    code: Option<i32>,
    message: String,
    operation: &'static str,
    // Boxed: most errors carry none, and `Result<T, Error>` stays small on the hot path.
    context: Option<Box<Context>>,
    source: Option<Source>,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` raised while doing `operation`.
    pub fn new(kind: ErrorKind, operation: &'static str, message: impl Into<String>) -> Self {
        Error {
            kind,
            code: None,
            message: message.into(),
            operation,
            context: None,
            source: None,
        }
    }

    /// A local validation failure.
    pub fn invalid(operation: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, operation, message)
    }

    /// A non-OK business status from the server.
    pub fn from_status(operation: &'static str, code: i32, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::from_code(code),
            code: Some(code),
            message: message.into(),
            operation,
            context: None,
            source: None,
        }
    }

    /// `Ok` for an OK status, the status as an error otherwise (a missing status is not OK).
    pub(crate) fn check(
        operation: &'static str,
        status: Option<rmq_proto::v2::Status>,
    ) -> Result<()> {
        let status = status.unwrap_or_default();
        if status.code == Code::Ok as i32 {
            Ok(())
        } else {
            Err(Error::from_status(operation, status.code, status.message))
        }
    }

    /// A gRPC-level failure.
    pub fn from_grpc(operation: &'static str, status: tonic::Status) -> Self {
        let kind = match status.code() {
            tonic::Code::DeadlineExceeded => ErrorKind::Timeout,
            tonic::Code::Unavailable | tonic::Code::Cancelled => ErrorKind::Network,
            // A connection that broke mid-call (tonic reports its h2 or hyper error as UNKNOWN;
            // a server's own UNKNOWN carries no source).
            tonic::Code::Unknown if std::error::Error::source(&status).is_some() => {
                ErrorKind::Network
            }
            tonic::Code::Unimplemented => ErrorKind::Unsupported,
            tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => ErrorKind::Unauthorized,
            tonic::Code::InvalidArgument => ErrorKind::BadRequest,
            tonic::Code::ResourceExhausted => ErrorKind::TooManyRequests,
            tonic::Code::Internal => ErrorKind::InternalServer,
            _ => ErrorKind::Unexpected,
        };
        Error {
            kind,
            code: None,
            message: status.message().to_owned(),
            operation,
            context: None,
            source: Some(std::sync::Arc::new(status)),
        }
    }

    /// Adds what the caller can check to the message.
    pub(crate) fn with_hint(mut self, hint: &str) -> Self {
        self.message = format!("{}: {hint}", self.message);
        self
    }

    fn context_mut(&mut self) -> &mut Context {
        self.context.get_or_insert_with(Box::default)
    }

    /// Names the topic the call was about.
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.context_mut().topic = Some(topic.into());
        self
    }

    /// Names the consumer group the call was about.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.context_mut().group = Some(group.into());
        self
    }

    /// Names the endpoint (`host:port`) the call went to.
    pub fn with_endpoint(mut self, endpoint: impl std::fmt::Display) -> Self {
        self.context_mut().endpoint = Some(endpoint.to_string());
        self
    }

    /// The topic the call was about, when known.
    pub fn topic(&self) -> Option<&str> {
        self.context.as_ref()?.topic.as_deref()
    }

    /// The consumer group the call was about, when known.
    pub fn group(&self) -> Option<&str> {
        self.context.as_ref()?.group.as_deref()
    }

    /// The endpoint the call went to, when there was one.
    pub fn endpoint(&self) -> Option<&str> {
        self.context.as_ref()?.endpoint.as_deref()
    }

    /// Whether trying the same call again may succeed ([`ErrorKind::is_retriable`]).
    pub fn is_retriable(&self) -> bool {
        self.kind.is_retriable()
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The server's business status code (`Code` value), when the server answered with one.
    pub fn code(&self) -> Option<i32> {
        self.code
    }

    /// The message, from the server or the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What was being done (`"send"`, `"receive"`, `"config"`, …).
    pub fn operation(&self) -> &'static str {
        self.operation
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed ({})", self.operation, self.kind)?;
        if let Some(code) = self.code {
            let name = Code::try_from(code).map_or("UNKNOWN", |c| c.as_str_name());
            write!(f, " [{name} {code}]")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(context) = &self.context {
            let parts = [
                ("topic", &context.topic),
                ("group", &context.group),
                ("endpoint", &context.endpoint),
            ];
            let mut first = true;
            for (name, value) in parts {
                if let Some(value) = value {
                    f.write_str(if first { " (" } else { ", " })?;
                    write!(f, "{name} {value}")?;
                    first = false;
                }
            }
            if !first {
                f.write_str(")")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_like_the_java_client() {
        let cases = [
            (Code::IllegalTopic, ErrorKind::BadRequest),
            (Code::InvalidReceiptHandle, ErrorKind::BadRequest),
            (Code::Unauthorized, ErrorKind::Unauthorized),
            (Code::Forbidden, ErrorKind::Forbidden),
            (Code::TopicNotFound, ErrorKind::NotFound),
            (Code::MessageBodyTooLarge, ErrorKind::PayloadTooLarge),
            (Code::MessageBodyEmpty, ErrorKind::PayloadEmpty),
            (Code::TooManyRequests, ErrorKind::TooManyRequests),
            (
                Code::MessagePropertiesTooLarge,
                ErrorKind::RequestHeaderFieldsTooLarge,
            ),
            (Code::InternalServerError, ErrorKind::InternalServer),
            (Code::ProxyTimeout, ErrorKind::ProxyTimeout),
            (Code::NotImplemented, ErrorKind::Unsupported),
            (Code::VersionUnsupported, ErrorKind::Unsupported),
        ];
        for (code, kind) in cases {
            assert_eq!(ErrorKind::from_code(code as i32), kind, "{code:?}");
        }
        assert_eq!(ErrorKind::from_code(12345), ErrorKind::Unexpected);
    }

    #[test]
    fn display_names_operation_kind_and_code() {
        let e = Error::from_status("send", Code::TopicNotFound as i32, "topic t does not exist");
        assert_eq!(
            e.to_string(),
            "send failed (not_found) [TOPIC_NOT_FOUND 40402]: topic t does not exist"
        );
        assert_eq!(e.code(), Some(40402));
        let grpc = Error::from_grpc("receive", tonic::Status::deadline_exceeded("late"));
        assert_eq!(grpc.kind(), ErrorKind::Timeout);
        assert!(std::error::Error::source(&grpc).is_some());
    }

    #[test]
    fn a_connection_broken_mid_call_is_a_network_error() {
        let broken = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "h2 protocol error");
        let cut = tonic::Status::from_error(Box::new(broken));
        assert_eq!(cut.code(), tonic::Code::Unknown);
        assert_eq!(Error::from_grpc("receive", cut).kind(), ErrorKind::Network);
        let said = tonic::Status::unknown("the server's own unknown");
        assert_eq!(
            Error::from_grpc("receive", said).kind(),
            ErrorKind::Unexpected
        );
    }

    #[test]
    fn context_is_structured_and_shown() {
        let e = Error::from_status("send", Code::TopicNotFound as i32, "no such topic")
            .with_topic("orders")
            .with_endpoint("127.0.0.1:8081");
        assert_eq!(e.topic(), Some("orders"));
        assert_eq!(e.group(), None);
        assert_eq!(e.endpoint(), Some("127.0.0.1:8081"));
        assert!(
            e.to_string()
                .ends_with("no such topic (topic orders, endpoint 127.0.0.1:8081)"),
            "{e}"
        );
    }

    #[test]
    fn retriable_kinds() {
        for kind in [
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::TooManyRequests,
            ErrorKind::InternalServer,
            ErrorKind::ProxyTimeout,
        ] {
            assert!(kind.is_retriable(), "{kind}");
        }
        for kind in [
            ErrorKind::InvalidArgument,
            ErrorKind::BadRequest,
            ErrorKind::NotFound,
            ErrorKind::Forbidden,
            ErrorKind::Unauthorized,
            ErrorKind::PayloadTooLarge,
            ErrorKind::Closed,
            ErrorKind::Unsupported,
        ] {
            assert!(!kind.is_retriable(), "{kind}");
        }
    }
}

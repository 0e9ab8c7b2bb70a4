//! gRPC metadata (header) names and fixed values of the RocketMQ 5 protocol.

/// Unique id of one client instance; the server keys Settings and sessions by it. Required on
/// every call (`CLIENT_ID_REQUIRED` otherwise).
pub const CLIENT_ID: &str = "x-mq-client-id";
/// Client language; the Apache proxy parses it strictly when registering clients, so it must
/// be one of [`LANGUAGE_CODES`].
pub const LANGUAGE: &str = "x-mq-language";
/// Protocol marker. Official clients send `v2` (Java, Go) or `GRPC_V2` (Python).
pub const PROTOCOL: &str = "x-mq-protocol";
/// Client release; the Apache proxy compares it as a string with `"5.0.3"`.
pub const CLIENT_VERSION: &str = "x-mq-client-version";
/// Request time in [`DATE_TIME_FORMAT`]; the exact string is what the signature covers.
pub const DATE_TIME: &str = "x-mq-date-time";
/// A fresh UUID per call, for tracing on the server.
pub const REQUEST_ID: &str = "x-mq-request-id";
/// The configured namespace (sent even when empty).
pub const NAMESPACE: &str = "x-mq-namespace";
/// STS security token, only when the credentials carry one.
pub const SESSION_TOKEN: &str = "x-mq-session-token";
/// `MQv2-HMAC-SHA1 Credential=<ak>, SignedHeaders=x-mq-date-time, Signature=<hex>`.
pub const AUTHORIZATION: &str = "authorization";

/// Value of [`PROTOCOL`] that rmq sends.
pub const PROTOCOL_V2: &str = "v2";
/// Value of [`LANGUAGE`] that rmq sends.
pub const LANGUAGE_RUST: &str = "RUST";
/// Names the Apache proxy accepts in [`LANGUAGE`] (its remoting `LanguageCode` enum).
pub const LANGUAGE_CODES: [&str; 14] = [
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP",
    "OMS", "RUST", "NODE_JS",
];

/// First word of the [`AUTHORIZATION`] value.
pub const AUTH_ALGORITHM: &str = "MQv2-HMAC-SHA1";
/// Key of the access key inside the [`AUTHORIZATION`] value.
pub const AUTH_CREDENTIAL: &str = "Credential";
/// Key of the signed-header list inside the [`AUTHORIZATION`] value.
pub const AUTH_SIGNED_HEADERS: &str = "SignedHeaders";
/// Key of the hex HMAC-SHA1 signature inside the [`AUTHORIZATION`] value.
pub const AUTH_SIGNATURE: &str = "Signature";
/// `strftime` pattern of [`DATE_TIME`], in UTC, e.g. `20240518T093015Z`.
pub const DATE_TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";

//! Request signing: the `x-mq-date-time` header and the `MQv2-HMAC-SHA1` `authorization`
//! header, whose signature is an HMAC-SHA1 keyed with the secret key over the exact date-time
//! string sent.

use crate::config::Credentials;
use hmac::{Hmac, KeyInit, Mac};
use rmq_proto::headers;
use sha1::Sha1;
use time::OffsetDateTime;
use time::macros::format_description;

/// `x-mq-date-time` in UTC, `yyyyMMddTHHmmssZ` (the Java client sends local time with a
/// literal Z; the server signs over whatever string arrives, so UTC is the honest choice).
pub fn date_time(now: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    now.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// The `authorization` value for `date_time`: upper-case hex signature, as Java and Node.js
/// send (the server accepts either case).
pub fn authorization(credentials: &Credentials, date_time: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty MAC would only make the
    // server answer UNAUTHORIZED.
    let signature = Hmac::<Sha1>::new_from_slice(credentials.secret_key.as_bytes())
        .map(|mut mac| {
            mac.update(date_time.as_bytes());
            hex::encode_upper(mac.finalize().into_bytes())
        })
        .unwrap_or_default();
    format!(
        "{} {}={}, {}={}, {}={}",
        headers::AUTH_ALGORITHM,
        headers::AUTH_CREDENTIAL,
        credentials.access_key,
        headers::AUTH_SIGNED_HEADERS,
        headers::DATE_TIME,
        headers::AUTH_SIGNATURE,
        signature
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_utc_date_time() {
        assert_eq!(
            date_time(datetime!(2024-05-18 09:30:15 UTC)),
            "20240518T093015Z"
        );
        assert_eq!(
            date_time(datetime!(2024-05-18 11:30:15 +02:00)),
            "20240518T093015Z"
        );
    }

    #[test]
    fn signs_like_the_reference() {
        let credentials = Credentials {
            access_key: "ak".into(),
            secret_key: "sk".into(),
            security_token: None,
        };
        // HMAC-SHA1("sk", "20240518T093015Z"), computed independently with Python's hmac module.
        assert_eq!(
            authorization(&credentials, "20240518T093015Z"),
            "MQv2-HMAC-SHA1 Credential=ak, SignedHeaders=x-mq-date-time, \
             Signature=645F19131ABB71C178F811C7803E4B51BAAD1CB4"
        );
    }
}

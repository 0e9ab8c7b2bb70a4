//! Optional AK/SK authentication: verifies the `authorization` header the way the Apache
//! proxy does (HMAC-SHA1 keyed with the secret over the exact `x-mq-date-time` string; hex in
//! either case; `Credential` may carry `/region/service` parts after the access key), and,
//! beyond Apache, that the signed date is recent: Apache accepts a signature over any date,
//! so a captured header would be replayable for ever.

use crate::validate::texts;
use hmac::{Hmac, KeyInit, Mac};
use rmq_proto::headers;
use sha1::Sha1;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use tonic::metadata::MetadataMap;

/// The widest UTC offset in use (UTC+14). The official Java, Go and Python clients write
/// their local time marked `Z`, so a date that far from UTC is still a fresh one.
const WIDEST_UTC_OFFSET: Duration = Duration::from_secs(14 * 3600);

/// Access keys and the date check.
#[derive(Clone, Debug, Default)]
pub(crate) struct Credentials {
    /// Access key → secret key.
    pub(crate) keys: HashMap<String, String>,
    /// How far a signed date may be from the broker's clock beyond the widest UTC offset;
    /// `None` accepts any date, as Apache.
    pub(crate) date_window: Option<Duration>,
}

impl Credentials {
    /// `Ok` when the request is signed by a known key; `Err(reason)` otherwise, in Apache's
    /// words.
    pub(crate) fn verify(&self, metadata: &MetadataMap) -> Result<(), String> {
        let header = metadata
            .get(headers::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or(texts::NO_USERNAME)?;
        let date = metadata
            .get(headers::DATE_TIME)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or(texts::NO_DATETIME)?;
        let (_, fields) = header.split_once(' ').ok_or(texts::BAD_AUTH_HEADER)?;
        let mut access_key = None;
        let mut signature = None;
        for part in fields.split(',') {
            if let Some((key, value)) = part.trim().split_once('=') {
                match key.trim() {
                    headers::AUTH_CREDENTIAL => {
                        access_key = value.split('/').next().map(str::trim);
                    }
                    headers::AUTH_SIGNATURE => signature = Some(value.trim()),
                    _ => {}
                }
            }
        }
        // Apache's checks, in its order: the signature is decoded while the context is built,
        // then the user is looked up, and only then is a missing signature noticed.
        let signature = signature
            .map(hex::decode)
            .transpose()
            .map_err(|_| texts::BAD_AUTH_CONTEXT)?;
        let access_key = access_key.ok_or(texts::NO_USERNAME)?;
        let secret = self
            .keys
            .get(access_key)
            .ok_or_else(|| texts::unknown_user(access_key))?;
        let signature = signature.ok_or(texts::BAD_SIGNATURE)?;
        let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
            .map_err(|_| "secret key cannot key HMAC")?;
        mac.update(date.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| texts::BAD_SIGNATURE.to_owned())?;
        match self.date_window {
            Some(window) => check_date(date, SystemTime::now(), window),
            None => Ok(()),
        }
    }
}

/// `Ok` when `date` (`yyyyMMdd'T'HHmmss'Z'`) is within `window` of `now`, give or take any
/// UTC offset.
fn check_date(date: &str, now: SystemTime, window: Duration) -> Result<(), String> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let signed = time::PrimitiveDateTime::parse(date, format)
        .map_err(|_| texts::unreadable_date(date))?
        .assume_utc();
    let now = time::OffsetDateTime::from(now);
    let limit = WIDEST_UTC_OFFSET + window;
    if (signed - now).unsigned_abs() > limit {
        return Err(texts::stale_date(date, limit));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(ak: &str, sk: &str, date: &str, upper: bool) -> MetadataMap {
        let mut mac = Hmac::<Sha1>::new_from_slice(sk.as_bytes()).expect("key");
        mac.update(date.as_bytes());
        let mut sig = hex::encode(mac.finalize().into_bytes());
        if upper {
            sig = sig.to_uppercase();
        }
        let mut md = MetadataMap::new();
        md.insert(headers::DATE_TIME, date.parse().expect("ascii"));
        md.insert(
            headers::AUTHORIZATION,
            format!("MQv2-HMAC-SHA1 Credential={ak}//Rocketmq, SignedHeaders=x-mq-date-time, Signature={sig}")
                .parse()
                .expect("ascii"),
        );
        md
    }

    fn keys() -> HashMap<String, String> {
        HashMap::from([("ak".to_owned(), "sk".to_owned())])
    }

    #[test]
    fn verifies_signatures() {
        let creds = Credentials {
            keys: keys(),
            date_window: None,
        };
        assert!(
            creds
                .verify(&signed("ak", "sk", "20240518T093015Z", true))
                .is_ok()
        );
        assert!(
            creds
                .verify(&signed("ak", "sk", "20240518T093015Z", false))
                .is_ok()
        );
        assert!(
            creds
                .verify(&signed("ak", "wrong", "20240518T093015Z", false))
                .is_err()
        );
        assert!(
            creds
                .verify(&signed("other", "sk", "20240518T093015Z", false))
                .is_err()
        );
        assert!(creds.verify(&MetadataMap::new()).is_err());
    }

    #[test]
    fn a_signed_date_must_be_recent_give_or_take_a_time_zone() {
        let at = |t: time::OffsetDateTime| {
            let format =
                time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
            t.format(format).expect("format")
        };
        let now = time::OffsetDateTime::now_utc();
        let window = Some(Duration::from_secs(15 * 60));
        let creds = Credentials {
            keys: keys(),
            date_window: window,
        };
        let hours = |h: i64| time::Duration::hours(h);
        // UTC, and local times of UTC+14 and UTC-12 marked Z, as official clients write them.
        for fresh in [now, now + hours(14), now - hours(12)] {
            let date = at(fresh);
            assert!(
                creds.verify(&signed("ak", "sk", &date, false)).is_ok(),
                "{date}"
            );
        }
        for stale in [now - hours(15), now + hours(15), now - hours(24 * 365)] {
            let date = at(stale);
            let error = creds
                .verify(&signed("ak", "sk", &date, false))
                .expect_err("stale date");
            assert!(error.contains(&date), "{error}");
        }
        let error = creds
            .verify(&signed("ak", "sk", "yesterday", false))
            .expect_err("not a date");
        assert!(error.contains("yesterday"), "{error}");
        // A wrong signature is reported as such whatever the date.
        let error = creds
            .verify(&signed("ak", "wrong", "yesterday", false))
            .expect_err("wrong secret");
        assert_eq!(error, texts::BAD_SIGNATURE);
        // Without the window, any signed date passes, as on Apache.
        let open = Credentials {
            keys: keys(),
            date_window: None,
        };
        assert!(open.verify(&signed("ak", "sk", "yesterday", false)).is_ok());
    }
}

//! Optional AK/SK authentication: verifies the `authorization` header the way the Apache
//! proxy does (HMAC-SHA1 keyed with the secret over the exact `x-mq-date-time` string; hex in
//! either case; `Credential` may carry `/region/service` parts after the access key).

use crate::validate::texts;
use hmac::{Hmac, KeyInit, Mac};
use rmq_proto::headers;
use sha1::Sha1;
use std::collections::HashMap;
use tonic::metadata::MetadataMap;

/// Access key → secret key.
#[derive(Clone, Debug, Default)]
pub(crate) struct Credentials(pub(crate) HashMap<String, String>);

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
            .0
            .get(access_key)
            .ok_or_else(|| texts::unknown_user(access_key))?;
        let signature = signature.ok_or(texts::BAD_SIGNATURE)?;
        let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
            .map_err(|_| "secret key cannot key HMAC")?;
        mac.update(date.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| texts::BAD_SIGNATURE.to_owned())
    }
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

    #[test]
    fn verifies_signatures() {
        let creds = Credentials(HashMap::from([("ak".to_owned(), "sk".to_owned())]));
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
}

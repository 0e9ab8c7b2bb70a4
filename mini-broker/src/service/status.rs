//! Status texts and codes in responses: one place builds a `Status`, and the combined status of
//! a multi-entry answer.

use crate::validate::Reject;
use rmq_proto::Code;
use rmq_proto::v2::{self};

pub(crate) fn status(code: Code, message: impl Into<String>) -> v2::Status {
    v2::Status {
        code: code as i32,
        message: crate::validate::bounded(message.into()),
    }
}

pub(crate) fn ok() -> v2::Status {
    status(Code::Ok, "OK")
}

impl From<Reject> for v2::Status {
    fn from(r: Reject) -> Self {
        status(r.code, r.message)
    }
}

/// The common code of several results, or MULTIPLE_RESULTS when they differ.
pub(crate) fn combined(statuses: &[&v2::Status]) -> v2::Status {
    match statuses.first() {
        None => status(Code::InternalServerError, "no entries"),
        Some(first) if statuses.iter().all(|s| s.code == first.code) => (*first).clone(),
        Some(_) => status(Code::MultipleResults, "multiple results"),
    }
}

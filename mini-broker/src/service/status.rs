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

/// The status of an answer whose entries have their own (Apache's `AckMessageActivity` and
/// `SendMessageActivity`): one code among them gives that code, named; several give
/// MULTIPLE_RESULTS; none gives INTERNAL_SERVER_ERROR with `empty`. The entries keep their
/// details.
pub(crate) fn combined(statuses: &[&v2::Status], empty: &str) -> v2::Status {
    let Some(first) = statuses.first() else {
        return status(Code::InternalServerError, empty);
    };
    let code = if statuses.iter().all(|s| s.code == first.code) {
        Code::try_from(first.code).unwrap_or(Code::InternalServerError)
    } else {
        Code::MultipleResults
    };
    status(code, code.as_str_name())
}

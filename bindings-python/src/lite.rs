//! What both lite consumers share: offset options from Python.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rmq_client as core;
use std::time::{Duration, UNIX_EPOCH};

/// `(kind, value)` as `rmq.OffsetOption` spells it (for both lite consumers).
fn offset(kind: &str, value: i64) -> PyResult<core::OffsetOption> {
    let non_negative = |what: &str| {
        if value < 0 {
            Err(PyValueError::new_err(format!("{what} must be 0 or more")))
        } else {
            Ok(value)
        }
    };
    Ok(match kind {
        "last" => core::OffsetOption::Last,
        "min" => core::OffsetOption::Min,
        "max" => core::OffsetOption::Max,
        "offset" => core::OffsetOption::Offset(non_negative("an offset")?),
        "tail_n" => core::OffsetOption::TailN(non_negative("tail_n")?),
        "timestamp_ms" => core::OffsetOption::Timestamp(
            UNIX_EPOCH + Duration::from_millis(non_negative("a timestamp")?.unsigned_abs()),
        ),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown offset kind {other:?}"
            )));
        }
    })
}

/// `subscribe_lite`'s optional `(kind, value)` as the core's offset option.
pub(crate) fn offset_option(offset: Option<(String, i64)>) -> PyResult<Option<core::OffsetOption>> {
    offset
        .map(|(kind, value)| self::offset(&kind, value))
        .transpose()
}

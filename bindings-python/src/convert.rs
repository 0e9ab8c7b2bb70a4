//! Conversions between Python values and the core's: text, bodies, times, durations and
//! property maps. Type conversion only; values are checked by the core.

use crate::error::{self, IntoPy};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};
use rmq_client as core;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) fn py_repr(value: Option<&str>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| format!("{v:?}"))
}

pub(crate) fn none_to_option<'py>(value: Option<&Bound<'py, PyAny>>) -> Option<Bound<'py, PyAny>> {
    value.filter(|v| !v.is_none()).cloned()
}

pub(crate) fn string(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    value
        .cast::<PyString>()
        .map_err(|_| {
            PyTypeError::new_err(format!("{what} must be a str, not {}", type_name(value)))
        })?
        .to_cow()
        .map(|s| s.into_owned())
}

pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

pub(crate) fn bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if value.is_instance_of::<pyo3::types::PyByteArray>() || is_memoryview(value) {
        // bytes(x) copies any buffer; only the two buffer types users pass are accepted.
        let copied = value.py().get_type::<PyBytes>().call1((value,))?;
        return Ok(copied.cast::<PyBytes>()?.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!(
        "body must be bytes, bytearray, memoryview or str, not {}",
        type_name(value)
    )))
}

pub(crate) fn is_memoryview(value: &Bound<'_, PyAny>) -> bool {
    type_name(value) == "memoryview"
}

/// A delivery time from a datetime or epoch seconds.
pub(crate) fn timestamp(value: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let seconds: f64 =
        if value.hasattr("timestamp")? && !value.is_instance_of::<pyo3::types::PyFloat>() {
            value.call_method0("timestamp")?.extract()?
        } else if value.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyTypeError::new_err(
                "delivery_timestamp must be a datetime or epoch seconds",
            ));
        } else {
            value.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "delivery_timestamp must be a datetime or epoch seconds (float), not {}",
                    type_name(value)
                ))
            })?
        };
    // Part of the conversion, not a check of the time (the core takes any SystemTime): only
    // epoch seconds after 1970 that a SystemTime can hold have one.
    let unconvertible = |why: String| error::to_py(&core::Error::invalid("message", why));
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(unconvertible(format!(
            "delivery_timestamp must be a time after 1970, got {seconds}"
        )));
    }
    Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|since| UNIX_EPOCH.checked_add(since))
        .ok_or_else(|| unconvertible("delivery_timestamp is too far in the future".into()))
}

/// Seconds from Python (`float` or `int`) as a duration; the core refuses negative, infinite
/// and NaN values.
pub(crate) fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    core::options::duration_from_secs(what, value).py_err()
}

static FROM_TIMESTAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub(crate) fn datetime(py: Python<'_>, at: SystemTime) -> PyResult<Py<PyAny>> {
    let make = FROM_TIMESTAMP.get_or_try_init(py, || {
        py.import("rmq._time")?
            .getattr("from_epoch")
            .map(Bound::unbind)
    })?;
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    make.call1(py, (seconds,))
}

pub(crate) fn properties<'py>(
    py: Python<'py>,
    map: &HashMap<String, String>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, v)?;
    }
    Ok(dict)
}

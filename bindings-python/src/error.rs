//! Core errors as Python exceptions. The classes live in `rmq/_errors.py` (one subclass of
//! `rmq.RmqError` per core `ErrorKind`); this side picks the class by the kind's stable name.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};
use rmq_client::{Error, ErrorKind};

static RAISE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What an error was about, where the core knew it: topic, group, endpoint.
#[derive(Default)]
struct Context<'a> {
    topic: Option<&'a str>,
    group: Option<&'a str>,
    endpoint: Option<&'a str>,
}

/// `err` as an instance of its `rmq.RmqError` subclass.
pub fn to_py(err: &Error) -> PyErr {
    let context = Context {
        topic: err.topic(),
        group: err.group(),
        endpoint: err.endpoint(),
    };
    Python::attach(|py| {
        build(
            py,
            err.kind().as_str(),
            err.code(),
            err.operation(),
            &err.to_string(),
            context,
        )
    })
}

/// A `ClosedError` that is not a core error (fork, runtime start-up, use after close).
pub fn closed(message: String) -> PyErr {
    Python::attach(|py| {
        build(
            py,
            ErrorKind::Closed.as_str(),
            None,
            "use",
            &message,
            Context::default(),
        )
    })
}

fn build(
    py: Python<'_>,
    kind: &str,
    code: Option<i32>,
    operation: &str,
    message: &str,
    context: Context<'_>,
) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let raise = RAISE.get_or_try_init(py, || {
            py.import("rmq._errors")?
                .getattr("_from_native")
                .map(Bound::unbind)
        })?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("kind", PyString::new(py, kind))?;
        kwargs.set_item("code", code)?;
        kwargs.set_item("operation", operation)?;
        kwargs.set_item("topic", context.topic)?;
        kwargs.set_item("group", context.group)?;
        kwargs.set_item("endpoint", context.endpoint)?;
        let exc = raise.bind(py).call((message,), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    })();
    // Only a broken installation (rmq._errors missing) gets here.
    made.unwrap_or_else(|e| PyRuntimeError::new_err(format!("{message} (and {e})")))
}

/// Converts core results.
pub trait IntoPy<T> {
    /// The value, or the error as its Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}

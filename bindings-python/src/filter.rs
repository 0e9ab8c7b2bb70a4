//! `FilterExpression` and the subscriptions dict consumers take.

use crate::convert::string;
use crate::error::IntoPy;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rmq_client as core;

/// Which messages of a topic a consumer wants.
#[pyclass(module = "rmq", frozen)]
#[derive(Clone)]
pub struct FilterExpression {
    pub(crate) inner: core::FilterExpression,
}

#[pymethods]
impl FilterExpression {
    /// A tag expression: `"*"` for all, `"a"`, or `"a||b"`.
    #[staticmethod]
    fn tag(expression: &Bound<'_, PyAny>) -> PyResult<FilterExpression> {
        let inner = core::FilterExpression::tag(string(expression, "a tag expression")?);
        inner.check().py_err()?;
        Ok(FilterExpression { inner })
    }

    /// An SQL92 expression over message properties, e.g. `"region = 'eu' AND n > 3"`.
    #[staticmethod]
    fn sql(expression: &Bound<'_, PyAny>) -> PyResult<FilterExpression> {
        let inner = core::FilterExpression::sql(string(expression, "an SQL expression")?);
        inner.check().py_err()?;
        Ok(FilterExpression { inner })
    }

    /// Every message.
    #[staticmethod]
    fn all() -> FilterExpression {
        FilterExpression {
            inner: core::FilterExpression::all(),
        }
    }

    /// `"TAG"` or `"SQL92"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match &self.inner {
            core::FilterExpression::Sql(_) => "SQL92",
            _ => "TAG",
        }
    }

    /// The expression text.
    #[getter]
    fn expression(&self) -> &str {
        match &self.inner {
            core::FilterExpression::Tag(e) | core::FilterExpression::Sql(e) => e,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "FilterExpression.{}({:?})",
            self.kind().to_lowercase(),
            self.expression()
        )
    }
}

/// Subscriptions from Python: a dict of topic to a tag expression string or a
/// `FilterExpression`. The consumer's `start()` checks them (at least one, no blank filter).
pub(crate) fn subscriptions(
    value: &Bound<'_, PyAny>,
) -> PyResult<Vec<(String, core::FilterExpression)>> {
    let dict = value.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(
            "subscriptions must be a dict of topic to a tag expression or FilterExpression",
        )
    })?;
    let mut out = Vec::with_capacity(dict.len());
    for (topic, filter) in dict.iter() {
        let topic = string(&topic, "each subscribed topic")?;
        let filter = if let Ok(f) = filter.cast::<FilterExpression>() {
            f.get().inner.clone()
        } else if let Ok(tag) = filter.cast::<PyString>() {
            core::FilterExpression::tag(tag.to_cow()?.into_owned())
        } else {
            return Err(PyTypeError::new_err(format!(
                "the filter of topic {topic:?} must be a tag expression str or a FilterExpression"
            )));
        };
        out.push((topic, filter));
    }
    Ok(out)
}

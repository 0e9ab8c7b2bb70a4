//! `ClientConfig` as the core sees it, built from the string map every binding shares.

use crate::error::IntoPy;
use pyo3::prelude::*;
use rmq_client as core;
use std::collections::HashMap;

/// A checked client configuration (built by `rmq.ClientConfig`).
#[pyclass(module = "rmq._native", frozen)]
pub struct Config {
    inner: core::ClientConfig,
    /// The `(key, value)` entries it was built from: clients are built from these plus their
    /// own options, through the core's `builder_from_map`.
    entries: Vec<(String, String)>,
}

impl Config {
    /// The config's entries followed by a client's own `options`, for `builder_from_map`.
    pub(crate) fn with(&self, options: HashMap<String, String>) -> Vec<(String, String)> {
        self.entries.iter().cloned().chain(options).collect()
    }
}

#[pymethods]
impl Config {
    /// Keys and values as `ClientConfig::from_map` takes them.
    #[new]
    fn new(map: HashMap<String, String>) -> PyResult<Config> {
        let entries: Vec<(String, String)> = map.into_iter().collect();
        Ok(Config {
            inner: core::ClientConfig::from_map(entries.iter().cloned()).py_err()?,
            entries,
        })
    }

    /// The endpoints as the core parsed them.
    #[getter]
    fn endpoints(&self) -> Vec<String> {
        self.inner
            .endpoints()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

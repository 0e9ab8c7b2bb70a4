//! `ClientConfig` as the core sees it, built from the string map every binding shares.

use crate::error::IntoPy;
use pyo3::prelude::*;
use rmq_client as core;
use std::collections::HashMap;

/// A checked client configuration (built by `rmq.ClientConfig`).
#[pyclass(module = "rmq._native", frozen)]
pub struct Config {
    pub(crate) inner: core::ClientConfig,
}

#[pymethods]
impl Config {
    /// Keys and values as `ClientConfig::from_map` takes them.
    #[new]
    fn new(map: HashMap<String, String>) -> PyResult<Config> {
        Ok(Config {
            inner: core::ClientConfig::from_map(map).py_err()?,
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

//! Core errors as JS errors. The classes live in `lib/errors.cjs` (`RmqError` and one
//! subclass per core `ErrorKind`); its factory, registered by `init`, is called here on the
//! environment's thread with the error's parts and returns the object a promise rejects with.

use crate::runtime::state;
use napi::bindgen_prelude::*;
use rmq_client::{self as core, ErrorKind};

/// `(kind, message, status, operation, retriable, topic, group, endpoint)`.
pub(crate) type FactoryArgs = FnArgs<Parts>;

/// `err` as its `RmqError` subclass, ready to throw or reject with.
pub(crate) fn to_js(env: &Env, err: &core::Error) -> Error {
    make(env, parts(err))
}

/// `err` as an `RmqError` object (a value, e.g. in `ackBatch`'s results).
pub(crate) fn object(env: &Env, err: &core::Error) -> Result<Unknown<'static>> {
    build(env, parts(err))
}

type Parts = (
    String,
    String,
    Option<i32>,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn parts(err: &core::Error) -> Parts {
    (
        err.kind().as_str().to_owned(),
        err.to_string(),
        err.code(),
        err.operation().to_owned(),
        err.kind().is_retriable(),
        err.topic().map(str::to_owned),
        err.group().map(str::to_owned),
        err.endpoint().map(str::to_owned),
    )
}

/// A `ClosedError` for using a client after `close()`.
pub(crate) fn closed(env: &Env, what: &str) -> Error {
    simple(
        env,
        ErrorKind::Closed.as_str(),
        format!("the {what} is closed"),
    )
}

/// The `AbortError` a cancelled call rejects with.
pub(crate) fn aborted(env: &Env) -> Error {
    simple(env, "aborted", "the operation was aborted".to_owned())
}

/// An `InvalidArgumentError` built here (a value the core never sees).
pub(crate) fn invalid(env: &Env, message: String) -> Error {
    simple(env, ErrorKind::InvalidArgument.as_str(), message)
}

fn simple(env: &Env, kind: &str, message: String) -> Error {
    make(
        env,
        (
            kind.to_owned(),
            message,
            None,
            String::new(),
            false,
            None,
            None,
            None,
        ),
    )
}

fn build(env: &Env, parts: Parts) -> Result<Unknown<'static>> {
    state(env)
        .and_then(|s| s.make_error.borrow_back(env))
        .and_then(|f| f.call(FnArgs::from(parts)))
}

fn make(env: &Env, parts: Parts) -> Error {
    let message = parts.1.clone();
    match build(env, parts) {
        Ok(object) => Error::from(object),
        // Only a broken installation (lib/errors.cjs not loaded) gets here.
        Err(e) => Error::from_reason(format!("{message} (and {e})")),
    }
}

/// Converts core results where a JS environment is at hand.
pub(crate) trait OrThrow<T> {
    /// The value, or the error as its `RmqError` subclass.
    fn or_throw(self, env: &Env) -> Result<T>;
}

impl<T> OrThrow<T> for core::Result<T> {
    fn or_throw(self, env: &Env) -> Result<T> {
        self.map_err(|e| to_js(env, &e))
    }
}

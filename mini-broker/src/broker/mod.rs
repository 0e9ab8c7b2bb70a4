//! The in-process broker: its builder, how it starts, its handle, and the faults tests inject.

mod builder;
mod faults;
mod handle;
mod start;

#[cfg(feature = "fuzzing")]
pub(crate) use start::recover_engine;

pub use builder::{MiniBrokerBuilder, StartError};
pub use handle::MiniBroker;

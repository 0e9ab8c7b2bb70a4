//! The in-process broker: its builder, how it starts, its handle, and the faults tests inject.

mod builder;
mod faults;
mod handle;
mod start;

pub use builder::{MiniBrokerBuilder, StartError};
pub use handle::MiniBroker;

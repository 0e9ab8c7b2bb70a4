//! Empty: the crate exists for its dependency list (see its Cargo.toml).

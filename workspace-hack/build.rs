// Only here so that cargo treats this crate's build dependencies as such (cargo-hakari unifies
// the features of build and proc-macro dependencies too).
fn main() {}

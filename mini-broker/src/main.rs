//! `rmq-mini-broker`: the mini-broker as a process.

fn main() {
    println!("see --help");
}

//! The `rmq-mini-broker` process: its readiness line, arguments, and clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rmq-mini-broker");

#[test]
fn prints_one_ready_line_and_exits_zero_on_sigterm() {
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--topic",
            "a:FIFO:2",
            "--group",
            "g:fifo:max-attempts=3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("line");
    let endpoint = line
        .trim()
        .strip_prefix("rmq-mini-broker listening on ")
        .expect("ready line");
    let port: u16 = endpoint
        .rsplit_once(':')
        .expect("host:port")
        .1
        .parse()
        .expect("port");
    assert_ne!(port, 0);
    std::net::TcpStream::connect(endpoint).expect("accepts connections");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "exits after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest");
    assert_eq!(rest, "", "stdout carries only the ready line");
}

#[test]
fn bad_arguments_exit_two_with_a_message() {
    for args in [
        vec!["--topic", "orders"],
        vec!["--topic", "orders:WEIRD"],
        vec!["--group", "g:unknown"],
        vec!["--auth", "nosecret"],
        vec!["--flush", "sometimes"],
        vec!["--transaction-check-interval", "soon"],
        vec!["--tls-cert", "missing.pem", "--tls-key", "missing.key"],
        vec!["--tls-cert", "only-a-cert.pem"],
        vec!["--auto-create-groups"],
    ] {
        let out = Command::new(BIN).args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} explains itself");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help_documents_every_option() {
    let out = Command::new(BIN).arg("--help").output().expect("run");
    let help = String::from_utf8(out.stdout).expect("utf8");
    for flag in [
        "--listen",
        "--data-dir",
        "--flush",
        "--config",
        "--topic",
        "--group",
        "--tls-cert",
        "--tls-key",
        "--strict",
        "--auto-create-groups",
        "--auth",
        "--transaction-check-interval",
        "--log",
    ] {
        assert!(help.contains(flag), "--help mentions {flag}");
    }
}

/// Spawns the broker and reads its ready line.
fn started(command: &mut Command) -> (std::process::Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    (child, line)
}

#[test]
fn a_config_file_declares_topics_and_groups() {
    let dir = std::env::temp_dir().join(format!("rmq-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("broker.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:0\"\nstrict = true\n[[topics]]\nname = \"orders\"\ntype = \"FIFO\"\nqueues = 2\n[[groups]]\nname = \"g\"\nfifo = true\n",
    )
    .expect("write");
    let (mut child, line) = started(Command::new(BIN).arg("--config").arg(&path));
    assert!(
        line.starts_with("rmq-mini-broker listening on 127.0.0.1:"),
        "{line}"
    );
    child.kill().expect("kill");
    let _ = child.wait();
    std::fs::write(&path, "bogus = 1\n").expect("write");
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "unknown keys are refused");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn brokers_n_starts_a_cluster_and_lists_every_endpoint() {
    let (mut child, line) =
        started(Command::new(BIN).args(["--listen", "127.0.0.1:0", "--brokers", "3"]));
    let endpoints: Vec<&str> = line
        .trim()
        .strip_prefix("rmq-mini-broker listening on ")
        .expect("ready line")
        .split(';')
        .collect();
    assert_eq!(endpoints.len(), 3, "{line}");
    for endpoint in &endpoints {
        std::net::TcpStream::connect(endpoint).expect("each broker accepts connections");
    }
    let _ = child.kill();
    let _ = child.wait();
    let refused = Command::new(BIN)
        .args(["--brokers", "0"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
}

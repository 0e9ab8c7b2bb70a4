//! The mini-broker as a child process on a fixed loopback port and data directory, so it can
//! be SIGKILLed and started again where clients expect it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct BrokerProcess {
    binary: PathBuf,
    args: Vec<String>,
    data_dir: PathBuf,
    listen: String,
    child: Option<Child>,
}

/// The `rmq-mini-broker` binary beside this program (cargo builds both into one folder).
pub fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("rmq-mini-broker")))
        .unwrap_or_else(|| PathBuf::from("rmq-mini-broker"))
}

impl BrokerProcess {
    /// Starts the broker on a free loopback port in sync-flush durable mode, with `args`
    /// (topics, groups, …) added to every start.
    pub async fn start(binary: &Path, data_dir: &Path, args: &[String]) -> Result<Self, String> {
        let mut broker = BrokerProcess {
            binary: binary.to_owned(),
            args: args.to_vec(),
            data_dir: data_dir.to_owned(),
            listen: "127.0.0.1:0".to_owned(),
            child: None,
        };
        broker.restart().await?;
        Ok(broker)
    }

    /// `HOST:PORT` it listens on.
    pub fn endpoint(&self) -> &str {
        &self.listen
    }

    /// The running process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// SIGKILL, and reap it.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Starts it again on the same port and data; returns how long until it was listening.
    pub async fn restart(&mut self) -> Result<Duration, String> {
        self.kill().await;
        let started = Instant::now();
        // The port of a killed broker can be held for a moment by the kernel; a few tries.
        let mut last = String::new();
        for _ in 0..50 {
            match self.spawn().await {
                Ok(()) => return Ok(started.elapsed()),
                Err(why) => last = why,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(last)
    }

    async fn spawn(&mut self) -> Result<(), String> {
        let mut child = Command::new(&self.binary)
            .args([
                "--listen",
                &self.listen,
                "--log",
                "error",
                "--flush",
                "sync",
            ])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let _ = tokio::time::timeout(Duration::from_secs(60), read).await;
        match line.trim().strip_prefix("rmq-mini-broker listening on ") {
            Some(endpoint) => {
                self.listen = endpoint.to_owned();
                self.child = Some(child);
                // Keep reading, so a later line cannot fail on a closed pipe.
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
                });
                Ok(())
            }
            None => {
                let _ = child.start_kill();
                let status = child.wait().await;
                Err(format!("the broker did not start ({status:?}): {line:?}"))
            }
        }
    }
}

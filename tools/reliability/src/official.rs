//! The official Go client as a second producer (`interop/official/go`, mode `crash-producer`):
//! a child process that sends normal and FIFO messages in turn and prints `OK <key>` or
//! `ERR <key> <error>` per send, which are read into the [`Ledger`].

use crate::body::Key;
use crate::ledger::Ledger;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

pub struct OfficialProducer {
    child: Child,
    reader: JoinHandle<()>,
}

impl OfficialProducer {
    /// Runs `binary crash-producer ENDPOINT NORMAL_TOPIC FIFO_TOPIC`.
    pub fn start(
        binary: &Path,
        endpoint: &str,
        normal_topic: &str,
        fifo_topic: &str,
        ledger: Arc<Ledger>,
    ) -> Result<Self, String> {
        let mut child = Command::new(binary)
            .args(["crash-producer", endpoint, normal_topic, fifo_topic])
            // The Go client writes its log under $HOME/logs; keep it out of the user's.
            .env("HOME", std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut words = line.splitn(3, ' ');
                let (Some(verdict), Some(key)) = (words.next(), words.next()) else {
                    continue;
                };
                match (verdict, Key::parse(key)) {
                    ("OK", Some(key)) => ledger.sent(&key, true),
                    ("ERR", Some(key)) => ledger.sent(&key, false),
                    _ => eprintln!("official Go producer: {line}"),
                }
            }
        });
        Ok(OfficialProducer { child, reader })
    }

    /// Closes its stdin (its signal to stop), waits for its last lines and its exit.
    pub async fn stop(mut self) -> Result<(), String> {
        drop(self.child.stdin.take());
        let waited = tokio::time::timeout(std::time::Duration::from_secs(30), self.child.wait());
        let status = match waited.await {
            Ok(status) => status.map_err(|e| e.to_string())?,
            Err(_) => {
                let _ = self.child.kill().await;
                return Err("the official Go producer did not stop within 30 s".into());
            }
        };
        let _ = self.reader.await;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the official Go producer exited with {status}"))
        }
    }
}

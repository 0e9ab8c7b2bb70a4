//! A process's footprint as Linux reports it (`/proc/<pid>/status` and `/proc/<pid>/fd`):
//! resident memory, threads and open descriptors — what a leak makes grow.

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    pub rss_kib: u64,
    pub threads: u64,
    pub fds: u64,
}

impl Footprint {
    /// The footprint of process `pid` (`None`: this one), or `None` when it cannot be read.
    pub fn of(pid: Option<u32>) -> Option<Footprint> {
        let dir = match pid {
            Some(pid) => format!("/proc/{pid}"),
            None => "/proc/self".to_owned(),
        };
        let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        };
        Some(Footprint {
            rss_kib: field("VmRSS:")?,
            threads: field("Threads:")?,
            fds: std::fs::read_dir(format!("{dir}/fd")).ok()?.count() as u64,
        })
    }
}

impl fmt::Display for Footprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1} MiB RSS, {} threads, {} fds",
            self.rss_kib as f64 / 1024.0,
            self.threads,
            self.fds
        )
    }
}

/// Growth from `before` to `after`: RSS in percent, threads and fds in count.
pub fn growth(before: &Footprint, after: &Footprint) -> (f64, i64, i64) {
    let rss = (after.rss_kib as f64 - before.rss_kib as f64) / before.rss_kib.max(1) as f64;
    (
        rss * 100.0,
        after.threads as i64 - before.threads as i64,
        after.fds as i64 - before.fds as i64,
    )
}

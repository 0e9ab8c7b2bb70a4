//! A test-only hook that makes the journal's writes fail as a full or broken disk does.

use parking_lot::Mutex;
use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

/// Shared with [`crate::MiniBrokerBuilder::disk_faults`]: tests keep a clone and arm it while
/// the broker runs. Not part of the supported API.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct DiskFaults(Arc<Mutex<Option<Budget>>>);

#[derive(Debug)]
struct Budget {
    bytes: u64,
    errno: i32,
}

impl DiskFaults {
    /// From now on the journal's record writes succeed for `bytes` more bytes; the write that
    /// crosses that point stores what fits and fails with `errno` (`libc::ENOSPC` for a full
    /// disk, `libc::EIO` for a broken one), and so does every write after it.
    pub fn fail_after(&self, bytes: u64, errno: i32) {
        *self.0.lock() = Some(Budget { bytes, errno });
    }

    /// Lets writes succeed again (the disk got room back).
    pub fn clear(&self) {
        *self.0.lock() = None;
    }

    /// Writes `data` at the file's position, as `write_all` would on the faulty disk.
    pub(super) fn write_all(&self, file: &mut File, data: &[u8]) -> io::Result<()> {
        let mut plan = self.0.lock();
        let Some(budget) = plan.as_mut() else {
            return file.write_all(data);
        };
        let fits = usize::try_from(budget.bytes).unwrap_or(usize::MAX);
        if data.len() <= fits {
            budget.bytes -= data.len() as u64;
            return file.write_all(data);
        }
        budget.bytes = 0;
        file.write_all(&data[..fits])?;
        Err(io::Error::from_raw_os_error(budget.errno))
    }
}

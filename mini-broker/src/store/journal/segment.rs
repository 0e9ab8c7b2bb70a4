//! Segment files: `<data-dir>/commitlog/<index>.log`, pre-allocated with zeros.

use super::FlushMode;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) fn segment_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("commitlog")
}

pub(super) fn segment_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:020}.log"))
}

/// Segment files in index order.
pub(super) fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let index = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(index) = index {
            found.push((index, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Creates a segment of `size` zero bytes, so later appends overwrite allocated blocks and
/// each fdatasync flushes data only, not a growing file's metadata (RocketMQ pre-allocates
/// its commit-log files for the same reason).
///
/// With `pace`, the zeros go out in small synced chunks with pauses between, so a segment
/// prepared in the background never floods the device queue in front of the journal's own
/// fdatasyncs.
pub(super) fn preallocate(path: &Path, size: u64, pace: bool) -> io::Result<()> {
    const CHUNK: usize = 256 * 1024;
    let created = !path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    let mut len = file.metadata()?.len();
    if len >= size {
        return Ok(());
    }
    file.seek(SeekFrom::Start(len))?;
    let zeros = vec![0u8; CHUNK];
    while len < size {
        let n = usize::try_from((size - len).min(CHUNK as u64)).unwrap_or(CHUNK);
        file.write_all(&zeros[..n])?;
        len += n as u64;
        if pace {
            file.sync_data()?;
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    file.sync_all()?;
    // The file's name must survive a power loss too: a snapshot may name this segment as
    // where recovery starts.
    if created && let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// What recovery found.
/// Opens a segment for appending; under sync flush every write is durable when it returns.
pub(super) fn open_for_append(path: &Path, mode: FlushMode) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = match mode {
        FlushMode::Sync => libc::O_DSYNC,
        FlushMode::Async => 0,
    };
    OpenOptions::new()
        .write(true)
        .custom_flags(flags)
        .open(path)
}

//! The snapshot file: `<data-dir>/snapshot`, the engine's state after every entry of the
//! segments before the one it names. Written to a temporary file, synced, renamed over the
//! old one and the directory synced, and only then are the segments it covers deleted: a crash
//! at any point leaves either the old snapshot with all its segments or the new one.
//!
//! Format: `RMQSNAP1`, `[len: u64 LE][crc32: u32 LE]`, then the `Snapshot` record.

use super::record::state::Snapshot;
use super::segment::{segment_dir, segments};
use prost::Message as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"RMQSNAP1";
const HEADER: usize = MAGIC.len() + 8 + 4;

pub(crate) fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("snapshot")
}

/// Writes `snapshot` durably, then deletes the segments it covers.
pub(crate) fn write(data_dir: &Path, snapshot: &Snapshot) -> io::Result<()> {
    let body = snapshot.encode_to_vec();
    let temporary = data_dir.join("snapshot.tmp");
    {
        let mut file = File::create(&temporary)?;
        file.write_all(MAGIC)?;
        file.write_all(&(body.len() as u64).to_le_bytes())?;
        file.write_all(&crc32fast::hash(&body).to_le_bytes())?;
        file.write_all(&body)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path(data_dir))?;
    File::open(data_dir)?.sync_all()?;
    let dir = segment_dir(data_dir);
    for (index, segment) in segments(&dir)? {
        if index < snapshot.segment {
            fs::remove_file(segment)?;
        }
    }
    OpenOptions::new().read(true).open(&dir)?.sync_all()
}

/// The last snapshot written, if any. A damaged one is an error: the segments it covered are
/// gone, so starting without it would lose acknowledged state.
pub(crate) fn read(data_dir: &Path) -> io::Result<Option<Snapshot>> {
    let mut bytes = Vec::new();
    match File::open(path(data_dir)) {
        Ok(mut file) => file.read_to_end(&mut bytes)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let damaged = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the snapshot in {} is damaged: {what}", data_dir.display()),
        )
    };
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return Err(damaged("bad header"));
    }
    let len_bytes: [u8; 8] = bytes[8..16].try_into().map_err(|_| damaged("bad header"))?;
    let crc_bytes: [u8; 4] = bytes[16..20]
        .try_into()
        .map_err(|_| damaged("bad header"))?;
    let len = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|_| damaged("bad length"))?;
    let body = bytes
        .get(HEADER..HEADER.saturating_add(len))
        .ok_or_else(|| damaged("short"))?;
    if crc32fast::hash(body) != u32::from_le_bytes(crc_bytes) {
        return Err(damaged("checksum mismatch"));
    }
    Snapshot::decode(body)
        .map(Some)
        .map_err(|e| damaged(&e.to_string()))
}

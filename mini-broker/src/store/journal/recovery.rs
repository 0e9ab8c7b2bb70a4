//! Start-up: read every valid record, cut a torn or corrupt tail, find where appending resumes.

use super::record::{Entry, HEADER, read_record};
use super::segment::{segment_dir, segments};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

#[derive(Debug, Default)]
pub(crate) struct Recovery {
    /// Entries replayed.
    pub(crate) entries: usize,
    /// Bytes cut from a torn or corrupt tail.
    pub(crate) truncated_bytes: u64,
}

/// Where appending resumes: a segment index and the byte offset in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Position {
    pub(super) segment: u64,
    pub(super) offset: u64,
}

/// Reads every valid entry. A zero length header ends a segment's data (the rest is
/// pre-allocated space); a torn or corrupt record ends the log: it and everything after it
/// are cut.
///
/// Segments before `from` (the one the snapshot starts at) are covered by the snapshot: a crash
/// between writing it and deleting them leaves them behind, and they are deleted here.
pub(crate) fn recover(data_dir: &Path, from: u64) -> io::Result<(Vec<Entry>, Recovery, Position)> {
    let dir = segment_dir(data_dir);
    fs::create_dir_all(&dir)?;
    let mut entries = Vec::new();
    let mut report = Recovery::default();
    let mut files = segments(&dir)?;
    for (_, covered) in files.iter().filter(|(index, _)| *index < from) {
        fs::remove_file(covered)?;
    }
    files.retain(|(index, _)| *index >= from);
    let mut end = Position {
        segment: files.first().map_or(from, |(index, _)| *index),
        offset: 0,
    };
    let mut cut = false;
    for (index, path) in files {
        if cut {
            report.truncated_bytes += fs::metadata(&path)?.len();
            fs::remove_file(&path)?;
            continue;
        }
        let mut bytes = Vec::new();
        File::open(&path)?.read_to_end(&mut bytes)?;
        let mut pos = 0usize;
        let mut clean = false;
        while pos < bytes.len() {
            // Pre-allocated space is zeros; a segment filled up to within a header's size
            // of its end leaves a shorter zero tail.
            let rest = &bytes[pos..];
            let zero_len = rest.len() >= 4 && rest[..4] == [0, 0, 0, 0];
            if zero_len || (rest.len() < HEADER && rest.iter().all(|b| *b == 0)) {
                clean = true;
                break;
            }
            let Some(record) = read_record(&bytes[pos..]) else {
                break;
            };
            entries.push(record.0);
            pos += record.1;
        }
        if pos < bytes.len() && !clean {
            report.truncated_bytes += (bytes.len() - pos) as u64;
            let file = OpenOptions::new().write(true).open(&path)?;
            file.set_len(pos as u64)?;
            file.sync_all()?;
            cut = true;
        }
        if pos > 0 {
            end = Position {
                segment: index,
                offset: pos as u64,
            };
        }
    }
    report.entries = entries.len();
    Ok((entries, report, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::journal::record::{Op, Tick, frame};
    use crate::store::journal::segment::segment_path;
    use std::path::PathBuf;

    fn tick(now: i64) -> Entry {
        Entry {
            now,
            op: Some(Op::Tick(Tick {})),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rmq-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(segment_dir(&dir)).expect("mkdir");
        dir
    }

    #[test]
    fn short_zero_tails_end_a_segment_cleanly() {
        let dir = scratch("tail");
        for (index, now) in [(0u64, 1i64), (1, 2)] {
            let mut bytes = Vec::new();
            frame(&tick(now), &mut bytes);
            bytes.extend_from_slice(&[0, 0, 0]);
            fs::write(segment_path(&segment_dir(&dir), index), bytes).expect("write");
        }
        let (entries, report, end) = recover(&dir, 0).expect("recover");
        assert_eq!(entries.iter().map(|e| e.now).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(report.truncated_bytes, 0);
        assert_eq!(end.segment, 1);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn garbage_after_records_is_cut_with_later_segments() {
        let dir = scratch("garbage");
        let mut bytes = Vec::new();
        frame(&tick(1), &mut bytes);
        bytes.extend_from_slice(&[7, 0, 0, 0, 1, 2]);
        fs::write(segment_path(&segment_dir(&dir), 0), &bytes).expect("write");
        let mut later = Vec::new();
        frame(&tick(2), &mut later);
        fs::write(segment_path(&segment_dir(&dir), 1), later).expect("write");
        let (entries, report, end) = recover(&dir, 0).expect("recover");
        assert_eq!(entries.len(), 1);
        assert!(report.truncated_bytes > 0);
        assert_eq!(end.segment, 0);
        assert!(!segment_path(&segment_dir(&dir), 1).exists());
        let _ = fs::remove_dir_all(&dir);
    }
}

//! Client-generated message ids in the official version-01 format: 17 bytes as 34 upper-case
//! hex characters — version `01`, 6 bytes of MAC address (random when none), the low 16 bits
//! of the process id, seconds since 2021-01-01T00:00:00Z (32 bits), and a process-wide
//! sequence number (32 bits). Ids stay unique across processes on a host and across hosts.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// 2021-01-01T00:00:00Z in Unix seconds.
const EPOCH_2021: u64 = 1_609_459_200;

struct Generator {
    prefix: [u8; 8],
    start_seconds: u64,
    started: Instant,
    sequence: AtomicU32,
}

fn generator() -> &'static Generator {
    static GENERATOR: OnceLock<Generator> = OnceLock::new();
    GENERATOR.get_or_init(|| {
        let mut prefix = [0u8; 8];
        let mac = hardware_address().unwrap_or_else(rand::random);
        prefix[..6].copy_from_slice(&mac);
        prefix[6..].copy_from_slice(&((std::process::id() & 0xffff) as u16).to_be_bytes());
        let start_seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_sub(EPOCH_2021);
        Generator {
            prefix,
            start_seconds,
            started: Instant::now(),
            sequence: AtomicU32::new(0),
        }
    })
}

/// The first non-zero MAC address of a network interface (Linux), as the Java client uses.
fn hardware_address() -> Option<[u8; 6]> {
    let mut names: Vec<_> = std::fs::read_dir("/sys/class/net")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    names.into_iter().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("address")).ok()?;
        let bytes: Vec<u8> = text
            .trim()
            .split(':')
            .map(|b| u8::from_str_radix(b, 16))
            .collect::<Result<_, _>>()
            .ok()?;
        let mac: [u8; 6] = bytes.try_into().ok()?;
        (mac != [0; 6]).then_some(mac)
    })
}

/// A new message id.
pub fn next() -> String {
    let generator = generator();
    // Advanced by the monotonic clock, so a wall-clock step back cannot repeat ids.
    let seconds = generator.start_seconds + generator.started.elapsed().as_secs();
    let sequence = generator.sequence.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 17];
    bytes[0] = 0x01;
    bytes[1..9].copy_from_slice(&generator.prefix);
    bytes[9..13].copy_from_slice(&((seconds & 0xffff_ffff) as u32).to_be_bytes());
    bytes[13..17].copy_from_slice(&sequence.to_be_bytes());
    hex::encode_upper(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_have_the_official_shape_and_do_not_repeat() {
        let a = super::next();
        let b = super::next();
        assert_eq!(a.len(), 34);
        assert!(a.starts_with("01"));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        assert_eq!(&a[..26], &b[..26], "same host, process and second");
        let seq = |id: &str| u32::from_str_radix(&id[26..], 16).expect("hex");
        assert_eq!(seq(&b), seq(&a).wrapping_add(1));
        let pid = u16::from_str_radix(&a[14..18], 16).expect("hex");
        assert_eq!(u32::from(pid), std::process::id() & 0xffff);
    }
}

//! Client ids: `<hostname>@<pid>@<index>@<nanos base-36>`, the Java client's layout. The
//! server keys sessions and Settings by this id, so it must be unique per client instance and
//! stable for the instance's life.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh id for one client instance.
pub fn next() -> String {
    static INDEX: AtomicU64 = AtomicU64::new(0);
    let host = gethostname::gethostname()
        .into_string()
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "HOST_NAME_NOT_FOUND".to_owned());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{host}@{}@{}@{}",
        std::process::id(),
        INDEX.fetch_add(1, Ordering::Relaxed),
        base36(nanos)
    )
}

fn base36(mut n: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_shaped_like_javas() {
        let a = super::next();
        let b = super::next();
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('@').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[1], std::process::id().to_string());
        assert_eq!(super::base36(0), "0");
        assert_eq!(super::base36(36 * 36 - 1), "zz");
    }
}

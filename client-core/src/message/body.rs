//! Received bodies: the digest check and decompression. A body flagged `GZIP` may really be
//! gzip, zlib, LZ4 (frame) or zstd — 4.x producers and the C++ client compress differently —
//! so the format is told by its magic bytes, as the reference client does.

use md5::Md5;
use rmq_proto::v2::{Digest, DigestType, Encoding};
use sha1::{Digest as _, Sha1};
use std::io::Read;

/// Why a body is unusable.
pub(crate) type Corruption = String;

/// Checks the digest over the body as received (still compressed), then decompresses: the
/// decompressed body, or `None` when the body as received is the body (no copy is made).
pub(crate) fn decode(
    body: &[u8],
    digest: Option<&Digest>,
    encoding: i32,
) -> Result<Option<Vec<u8>>, Corruption> {
    if let Some(digest) = digest {
        let actual = match DigestType::try_from(digest.r#type) {
            Ok(DigestType::Crc32) => Some(format!("{:X}", crc32fast::hash(body))),
            Ok(DigestType::Md5) => Some(hex::encode_upper(Md5::digest(body))),
            Ok(DigestType::Sha1) => Some(hex::encode_upper(Sha1::digest(body))),
            _ => None,
        };
        if let Some(actual) = actual
            && !actual.eq_ignore_ascii_case(&digest.checksum)
        {
            return Err(format!(
                "body digest mismatch: expected {}, computed {actual}",
                digest.checksum
            ));
        }
    }
    if encoding != Encoding::Gzip as i32 {
        return Ok(None);
    }
    decompress(body).map(Some)
}

/// The largest body decompression may produce. A body is at most 4 MiB as sent (compressed),
/// and real payloads compress a few times over; past this it is a decompression bomb, and
/// the message is delivered as corrupted instead of exhausting the consumer's memory.
pub(crate) const MAX_DECOMPRESSED_BODY: u64 = 64 * 1024 * 1024;

fn decompress(body: &[u8]) -> Result<Vec<u8>, Corruption> {
    let mut out = Vec::new();
    // One byte past the cap tells a body at the cap from one over it.
    let cap = MAX_DECOMPRESSED_BODY + 1;
    let result = match body {
        [0x1f, 0x8b, ..] => flate2::read::GzDecoder::new(body)
            .take(cap)
            .read_to_end(&mut out),
        [0x78, ..] => flate2::read::ZlibDecoder::new(body)
            .take(cap)
            .read_to_end(&mut out),
        [0x04, 0x22, 0x4d, 0x18, ..] => lz4_flex::frame::FrameDecoder::new(body)
            .take(cap)
            .read_to_end(&mut out),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => ruzstd::decoding::StreamingDecoder::new(body)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|d| d.take(cap).read_to_end(&mut out)),
        _ => return Err("compressed body in an unknown format".into()),
    };
    result.map_err(|e| format!("cannot decompress the body: {e}"))?;
    if out.len() as u64 > MAX_DECOMPRESSED_BODY {
        return Err(format!(
            "the body decompresses to more than {MAX_DECOMPRESSED_BODY} bytes"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_decompression_bomb_is_a_corrupt_body_not_an_exhausted_memory() {
        // 65 MiB of zeros gzip to about 65 KiB.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..65 {
            encoder.write_all(&zeros).expect("compress");
        }
        let bomb = encoder.finish().expect("compress");
        assert!(bomb.len() < 256 * 1024);
        let why = decode(&bomb, None, Encoding::Gzip as i32).expect_err("refused");
        assert!(why.contains("decompresses to more than"), "{why}");
        // At the cap exactly it is a body.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for _ in 0..64 {
            encoder.write_all(&zeros).expect("compress");
        }
        let at_cap = encoder.finish().expect("compress");
        let body = decode(&at_cap, None, Encoding::Gzip as i32).expect("at the cap");
        assert_eq!(body.map(|b| b.len() as u64), Some(MAX_DECOMPRESSED_BODY));
    }

    fn digest(kind: DigestType, checksum: &str) -> Digest {
        Digest {
            r#type: kind as i32,
            checksum: checksum.into(),
        }
    }

    #[test]
    fn digests_are_checked_in_the_reference_format() {
        let body = b"hello".to_vec();
        let identity = Encoding::Identity as i32;
        // CRC32 is upper-case hex without leading zeros.
        let crc = format!("{:X}", crc32fast::hash(&body));
        assert_eq!(crc, "3610A686");
        assert!(decode(&body, Some(&digest(DigestType::Crc32, &crc)), identity).is_ok());
        let md5 = "5D41402ABC4B2A76B9719D911017C592";
        assert!(decode(&body, Some(&digest(DigestType::Md5, md5)), identity).is_ok());
        let sha1 = "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D";
        assert!(decode(&body, Some(&digest(DigestType::Sha1, sha1)), identity).is_ok());
        let wrong = decode(&body, Some(&digest(DigestType::Md5, "00")), identity);
        assert!(wrong.expect_err("mismatch").contains("digest mismatch"));
    }

    #[test]
    fn gzip_flagged_bodies_are_decompressed_by_magic() {
        let text = b"the quick brown fox".repeat(20);
        let gzip = Encoding::Gzip as i32;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).expect("write");
        assert_eq!(
            decode(&gz.finish().expect("gzip"), None, gzip).expect("gzip"),
            Some(text.clone())
        );
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&text).expect("write");
        assert_eq!(
            decode(&zlib.finish().expect("zlib"), None, gzip).expect("zlib"),
            Some(text.clone())
        );
        let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz4.write_all(&text).expect("write");
        assert_eq!(
            decode(&lz4.finish().expect("lz4"), None, gzip).expect("lz4"),
            Some(text.clone())
        );
        assert!(decode(b"not compressed", None, gzip).is_err());
        assert!(
            decode(&[0x1f, 0x8b, 1, 2, 3], None, gzip).is_err(),
            "truncated gzip"
        );
        assert_eq!(
            decode(&text, None, Encoding::Identity as i32).expect("plain"),
            None,
            "a plain body is used as received"
        );
    }
}

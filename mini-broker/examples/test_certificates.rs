//! Writes the TLS certificates the security tests of every language share (committed in
//! `testdata/tls/`): a test CA, and three server certificates it signs — one valid for the
//! loopback names, one for a host name no test connects to, one that expired in 2021.
//!
//! ```text
//! cargo run -p rmq-mini-broker --example test_certificates -- testdata/tls
//! ```

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    date_time_ymd,
};
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: test_certificates DIR")?;
    std::fs::create_dir_all(&dir)?;

    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name = name("rmq test CA");
    let ca_key = KeyPair::generate()?;
    write(&dir, "ca.pem", &ca.self_signed(&ca_key)?.pem())?;
    let issuer = Issuer::new(ca, ca_key);

    let loopback = ["localhost", "127.0.0.1", "::1"].map(str::to_owned);
    server(
        &dir,
        "localhost",
        &issuer,
        CertificateParams::new(loopback.to_vec())?,
    )?;
    server(
        &dir,
        "wrong-host",
        &issuer,
        CertificateParams::new(vec!["wrong-host.invalid".to_owned()])?,
    )?;
    let mut expired = CertificateParams::new(loopback.to_vec())?;
    expired.not_before = date_time_ymd(2020, 1, 1);
    expired.not_after = date_time_ymd(2021, 1, 1);
    server(&dir, "expired", &issuer, expired)?;
    Ok(())
}

/// Writes `NAME.pem` (the certificate) and `NAME.key` (its private key).
fn server(
    dir: &Path,
    file: &str,
    issuer: &Issuer<'_, KeyPair>,
    mut params: CertificateParams,
) -> Result<()> {
    params.distinguished_name = name(&format!("rmq test server ({file})"));
    let key = KeyPair::generate()?;
    write(
        dir,
        &format!("{file}.pem"),
        &params.signed_by(&key, issuer)?.pem(),
    )?;
    write(dir, &format!("{file}.key"), &key.serialize_pem())
}

fn name(common: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common);
    name
}

fn write(dir: &Path, file: &str, text: &str) -> Result<()> {
    let path = dir.join(file);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

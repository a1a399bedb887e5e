//! PostgreSQL over TLS: the store's connection is encrypted when the URL asks for it, and
//! `verify-full` refuses a server whose certificate another authority signed or that names
//! another host.
//!
//! Uses the test server's own certificate, found through its `ssl_cert_file` setting. On
//! Debian that is the self-signed "snakeoil" certificate for `localhost`, which serves as its
//! own authority, so `verify-full` can be tried for real without reconfiguring the server.
//! The server must have `ssl = on` (Debian's default). Without PostgreSQL, or without TLS on
//! it, the tests say so and skip; with `CI` set they fail instead.

use std::path::{Path, PathBuf};

use nrm_store::testing::postgres_base_url;
use nrm_store::{ConnectOptions, ConnectionSecurity, MasterKey, Store, StoreError};

/// The test server's certificate, or `None` (after saying why) when this machine cannot run
/// the TLS tests and `CI` is not set.
async fn server_certificate() -> Option<PathBuf> {
    let base = postgres_base_url();
    let skip = |why: String| {
        if std::env::var_os("CI").is_some() {
            panic!("PostgreSQL TLS cannot be tested and CI is set: {why}");
        }
        eprintln!("SKIPPING PostgreSQL TLS: {why}; set CI to make this fail");
    };
    let pool = match sqlx::PgPool::connect(&base).await {
        Ok(pool) => pool,
        Err(e) => {
            skip(format!("{base} is unreachable ({e})"));
            return None;
        }
    };
    let ssl: String = sqlx::query_scalar("SELECT current_setting('ssl')")
        .fetch_one(&pool)
        .await
        .unwrap_or_else(|e| panic!("read ssl: {e}"));
    let file: String = sqlx::query_scalar("SELECT current_setting('ssl_cert_file')")
        .fetch_one(&pool)
        .await
        .unwrap_or_else(|e| panic!("read ssl_cert_file: {e}"));
    pool.close().await;
    if ssl != "on" {
        skip(format!("the server at {base} has ssl = {ssl}"));
        return None;
    }
    let file = PathBuf::from(file);
    if !file.is_file() {
        skip(format!(
            "the server's certificate {} is not readable here",
            file.display()
        ));
        return None;
    }
    Some(file)
}

fn with(base: &str, parameters: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{parameters}")
}

fn options(ca_file: Option<&Path>) -> ConnectOptions {
    let key = MasterKey::from_hex("test", &MasterKey::generate_hex())
        .unwrap_or_else(|| panic!("generated key parses"));
    let audit_key = nrm_store::AuditKey::from_hex(&nrm_store::AuditKey::generate_hex())
        .unwrap_or_else(|| panic!("generated key parses"));
    let mut options = ConnectOptions::new(key, audit_key);
    options.max_connections = 1;
    options.database_ca_file = ca_file.map(Path::to_path_buf);
    options
}

async fn security(url: &str, ca_file: Option<&Path>) -> Result<ConnectionSecurity, StoreError> {
    let store = Store::connect(url, options(ca_file)).await?;
    let security = store.connection_security().await;
    store.close().await;
    security
}

/// Whether the connection failed because rustls refused the server's certificate for `why`
/// (a rustls `CertificateError` variant, which sqlx passes on inside an I/O error).
fn refused_certificate(result: &Result<ConnectionSecurity, StoreError>, why: &str) -> bool {
    match result {
        Err(StoreError::Database(sqlx::Error::Io(e))) => {
            format!("{e:?}").contains(&format!("InvalidCertificate({why}"))
        }
        _ => false,
    }
}

// ASVS v5.0.0-12.3.1
#[tokio::test]
async fn sslmode_require_encrypts_the_connection_and_disable_does_not() {
    let Some(_) = server_certificate().await else {
        return;
    };
    let base = postgres_base_url();
    let encrypted = security(&with(&base, "sslmode=require"), None)
        .await
        .unwrap_or_else(|e| panic!("connect with sslmode=require: {e:#?}"));
    match &encrypted {
        ConnectionSecurity::Tls { version } => {
            assert!(version.starts_with("TLSv1."), "{version}");
        }
        other => panic!("sslmode=require gave a {other} connection"),
    }
    // The same question tells a plain connection apart, so the check above can fail.
    let plain = security(&with(&base, "sslmode=disable"), None)
        .await
        .unwrap_or_else(|e| panic!("connect with sslmode=disable: {e:#?}"));
    assert_eq!(plain, ConnectionSecurity::Unencrypted);
}

// ASVS v5.0.0-12.3.2
#[tokio::test]
async fn verify_full_connects_to_the_server_its_authority_signed() {
    let Some(certificate) = server_certificate().await else {
        return;
    };
    // database_ca_file with no sslmode in the URL means verify-full; the certificate names
    // localhost, so connect by that name.
    let url = with(&postgres_base_url(), "host=localhost");
    let result = security(&url, Some(&certificate)).await;
    assert!(
        matches!(result, Ok(ConnectionSecurity::Tls { .. })),
        "verify-full against the server's own authority: {result:?}"
    );
}

// ASVS v5.0.0-12.3.2
#[tokio::test]
async fn verify_full_refuses_a_server_signed_by_another_authority() {
    let Some(_) = server_certificate().await else {
        return;
    };
    // An attacker in the middle presents a certificate the configured authority never signed:
    // here, the real server's, against a CA file of an authority made up for the test.
    let authority = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .unwrap_or_else(|e| panic!("make an authority: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let ca_file = dir.path().join("other-ca.pem");
    std::fs::write(&ca_file, authority.cert.pem()).unwrap_or_else(|e| panic!("write: {e}"));
    let url = with(&postgres_base_url(), "host=localhost&sslmode=verify-full");
    let result = security(&url, Some(&ca_file)).await;
    assert!(refused_certificate(&result, "UnknownIssuer"), "{result:?}");
}

// ASVS v5.0.0-12.3.2
#[tokio::test]
async fn verify_full_refuses_a_certificate_for_another_host_name() {
    let Some(certificate) = server_certificate().await else {
        return;
    };
    // The certificate is genuine but names localhost, not the address connected to: a
    // certificate stolen from one server must not vouch for another.
    let url = with(&postgres_base_url(), "host=127.0.0.1&sslmode=verify-full");
    let result = security(&url, Some(&certificate)).await;
    assert!(
        refused_certificate(&result, "NotValidForName"),
        "{result:?}"
    );
}

// ASVS v5.0.0-12.3.2
#[tokio::test]
async fn a_ca_file_beside_a_mode_that_would_not_use_it_is_refused() {
    // Refused before any connection is tried: the CA would silently go unchecked.
    let url = with(&postgres_base_url(), "sslmode=require");
    let result = security(&url, Some(Path::new("/etc/nrm/database-ca.pem"))).await;
    assert!(
        matches!(&result, Err(StoreError::BadUrl(message)) if message.contains("verify-full")),
        "{result:?}"
    );
}

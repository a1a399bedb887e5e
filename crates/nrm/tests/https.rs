//! The HTTPS listener: the real `nrm serve` binary, given a certificate made for the test,
//! answers over TLS, does not answer in clear on the same port, stops gracefully on SIGTERM,
//! and refuses to start with a key that is not the certificate's. Runs on SQLite and
//! PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nrm_store::testing::{self, TestStore};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A certificate for this machine's loopback names, and its key, as PEM files.
struct Certificate {
    _dir: tempfile::TempDir,
    certificate_file: std::path::PathBuf,
    key_file: std::path::PathBuf,
    der: Vec<u8>,
}

fn certificate() -> Certificate {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap_or_else(|e| panic!("make a certificate: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let certificate_file = dir.path().join("certificate.pem");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&certificate_file, made.cert.pem()).unwrap_or_else(|e| panic!("write: {e}"));
    std::fs::write(&key_file, made.signing_key.serialize_pem())
        .unwrap_or_else(|e| panic!("write: {e}"));
    Certificate {
        _dir: dir,
        certificate_file,
        key_file,
        der: made.cert.der().to_vec(),
    }
}

fn serve(store: &TestStore, certificate_file: &Path, key_file: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nrm"))
        .arg("serve")
        .env("NRM_DATABASE_URL", &store.url)
        .env("NRM_MASTER_KEY", &store.master_key_hex)
        .env("NRM_LISTEN", "127.0.0.1:0")
        .env("NRM_TLS_CERTIFICATE_FILE", certificate_file)
        .env("NRM_TLS_KEY_FILE", key_file)
        .env("NRM_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start nrm: {e}"))
}

/// The address the server printed it listens on.
fn address(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("read: {e}"));
    line.trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("https://"))
        .unwrap_or_else(|| panic!("expected an https:// address, got {line:?}"))
        .to_owned()
}

/// `GET path` over HTTPS from a client that trusts exactly the test certificate (rustls on
/// ring, as the server): the response's status line, or why there is none.
async fn get_over_tls(certificate: &Certificate, base: &str, path: &str) -> Result<String, String> {
    let mut roots = RootCertStore::empty();
    roots
        .add(certificate.der.clone().into())
        .map_err(|e| format!("trust the certificate: {e}"))?;
    let tls = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("protocol versions: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let address = base.trim_start_matches("https://");
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let name = ServerName::try_from("localhost").map_err(|e| format!("name: {e}"))?;
    let mut stream = TlsConnector::from(Arc::new(tls))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    // The server may end the TLS session without close_notify after `Connection: close`.
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    response
        .lines()
        .next()
        .filter(|line| line.starts_with("HTTP/"))
        .map(str::to_owned)
        .ok_or_else(|| format!("no HTTP response: {response:?}"))
}

/// `GET path` in clear to the same port: the status line, or why there is none.
async fn get_in_clear(base: &str, path: &str) -> Result<String, String> {
    let address = base.trim_start_matches("https://");
    let mut tcp = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), tcp.read_to_end(&mut response)).await;
    let response = String::from_utf8_lossy(&response);
    response
        .lines()
        .next()
        .filter(|line| line.starts_with("HTTP/"))
        .map(str::to_owned)
        .ok_or_else(|| format!("no HTTP response: {response:?}"))
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

// ASVS v5.0.0-12.2.1
#[tokio::test]
async fn https_listener_serves_over_tls_and_never_in_clear() {
    let certificate = certificate();
    for store in testing::all().await {
        let mut server = serve(&store, &certificate.certificate_file, &certificate.key_file);
        let base = address(&mut server);

        let ready = get_over_tls(&certificate, &base, "/ready").await;
        assert_eq!(
            ready.as_deref(),
            Ok("HTTP/1.1 200 OK"),
            "{}: HTTPS request",
            store.name
        );

        // The same port does not answer plain HTTP: nothing travels in clear.
        let clear = get_in_clear(&base, "/ready").await;
        assert!(
            clear.is_err(),
            "{}: plain HTTP was answered: {clear:?}",
            store.name
        );

        // Graceful shutdown still works behind TLS.
        let stopped = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(stopped.success());
        let status = wait_for_exit(&mut server, Duration::from_secs(15));
        if status.is_none() {
            let _ = server.kill();
        }
        assert!(
            status.is_some_and(|s| s.success()),
            "{}: no clean exit after SIGTERM: {status:?}",
            store.name
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_key_that_is_not_the_certificates_stops_start_up() {
    let certificate = certificate();
    let other = self::certificate();
    let store = testing::sqlite().await;
    let mut server = serve(&store, &certificate.certificate_file, &other.key_file);
    let status = wait_for_exit(&mut server, Duration::from_secs(60));
    if status.is_none() {
        let _ = server.kill();
    }
    assert!(
        status.is_some_and(|s| !s.success()),
        "started with a mismatched key: {status:?}"
    );
    let mut stderr = String::new();
    if let Some(mut pipe) = server.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert!(stderr.contains("is not the private key"), "{stderr}");
    store.cleanup().await;
}

//! The HTTPS listener: the real `nrm serve` binary, given a certificate made for the test,
//! answers over TLS 1.3 and 1.2, refuses a TLS 1.1 hello, does not answer in clear on the same
//! port, stops gracefully on SIGTERM,
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
use tokio_rustls::rustls::version::{TLS12, TLS13};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};

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
        .env("NRM_AUDIT_KEY", &store.audit_key_hex)
        .env(
            "NRM_AUDIT_CHECKPOINT_DIR",
            certificate_file
                .parent()
                .unwrap_or(certificate_file)
                .join("audit-checkpoints"),
        )
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
async fn get_over_tls(
    certificate: &Certificate,
    version: &'static SupportedProtocolVersion,
    base: &str,
    path: &str,
) -> Result<String, String> {
    let mut roots = RootCertStore::empty();
    roots
        .add(certificate.der.clone().into())
        .map_err(|e| format!("trust the certificate: {e}"))?;
    let tls = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(&[version])
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

const HANDSHAKE: u8 = 0x16;
const ALERT: u8 = 0x15;

/// Sends a TLS 1.2-style ClientHello (no supported_versions extension) whose highest version
/// is `version` (`[3, 3]` for TLS 1.2, `[3, 2]` for TLS 1.1) and returns the server's first
/// bytes. rustls cannot speak TLS 1.1, so the hello is written out by hand; sent as TLS 1.2,
/// the same hello gets a ServerHello, which shows only the version is refused.
async fn legacy_hello(base: &str, version: [u8; 2]) -> Vec<u8> {
    let extensions: &[&[u8]] = &[
        // supported_groups: x25519, secp256r1
        &[0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17],
        // ec_point_formats: uncompressed
        &[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00],
        // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256
        &[0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04],
        // extended_master_secret
        &[0x00, 0x17, 0x00, 0x00],
    ];
    let extensions: Vec<u8> = extensions.concat();
    let mut body = version.to_vec();
    body.extend([0x5a; 32]); // random
    body.push(0); // no session id
    // ECDHE-ECDSA and ECDHE-RSA with AES-128-GCM
    body.extend([0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x2f]);
    body.extend([0x01, 0x00]); // null compression only
    body.extend(u16::try_from(extensions.len()).unwrap_or(0).to_be_bytes());
    body.extend(extensions);
    let length = u32::try_from(body.len()).unwrap_or(0).to_be_bytes();
    let mut handshake = vec![0x01, length[1], length[2], length[3]];
    handshake.extend(body);
    let mut record = vec![HANDSHAKE, 0x03, 0x01];
    record.extend(u16::try_from(handshake.len()).unwrap_or(0).to_be_bytes());
    record.extend(handshake);
    let mut tcp = tokio::net::TcpStream::connect(base.trim_start_matches("https://"))
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    tcp.write_all(&record)
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut answer = vec![0; 64];
    let read = tokio::time::timeout(Duration::from_secs(15), tcp.read(&mut answer))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    answer.truncate(read);
    answer
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
// ASVS v5.0.0-12.1.1
#[tokio::test]
async fn https_listener_serves_over_tls_and_never_in_clear() {
    let certificate = certificate();
    for store in testing::all().await {
        let mut server = serve(&store, &certificate.certificate_file, &certificate.key_file);
        let base = address(&mut server);

        for version in [&TLS13, &TLS12] {
            let ready = get_over_tls(&certificate, version, &base, "/ready").await;
            assert_eq!(
                ready.as_deref(),
                Ok("HTTP/1.1 200 OK"),
                "{}: HTTPS request over {:?}",
                store.name,
                version.version
            );
        }

        // A client that offers at most TLS 1.1 (a downgrade) gets an alert and no ServerHello;
        // the same hello offering TLS 1.2 gets a ServerHello.
        let modern = legacy_hello(&base, [3, 3]).await;
        assert_eq!(modern.first(), Some(&HANDSHAKE), "{modern:02x?}");
        let downgraded = legacy_hello(&base, [3, 2]).await;
        assert_eq!(
            downgraded.first(),
            Some(&ALERT),
            "{}: TLS 1.1 was not refused: {downgraded:02x?}",
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

//! Production guards and file permissions, tried on the real `nrm` binary as an attacker or a
//! careless operator would: demo accounts in production, PostgreSQL in clear across a network,
//! and database files other users of the machine could read. These refusals and files concern
//! the binary's start-up and SQLite's files, so they need no PostgreSQL server.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `nrm` in `dir` with no `NRM_*` settings from the caller's environment.
fn nrm(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nrm"));
    command.current_dir(dir).env("NRM_LOG", "warn");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("NRM_") && name != "NRM_LOG" {
            command.env_remove(name);
        }
    }
    command
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run nrm: {e}"))
}

// ASVS v5.0.0-6.3.2
#[test]
fn demo_accounts_cannot_be_seeded_into_production() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let output = run(nrm(dir.path())
        .args(["demo", "--no-serve", "--cases", "1"])
        .env("NRM_ENVIRONMENT", "production"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "demo ran in production");
    assert!(
        stderr.contains("`nrm demo` refuses environment = production"),
        "{stderr}"
    );
    // Refused before anything was made: no data folder, no key, no database.
    assert!(!dir.path().join("data").exists());
}

// ASVS v5.0.0-12.3.1
#[test]
fn production_will_not_talk_to_postgres_in_clear_across_a_network() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    for url in [
        "postgres://nrm:s3cret@db.example.invalid/nrm",
        "postgres://nrm:s3cret@db.example.invalid/nrm?sslmode=require",
    ] {
        let output = run(nrm(dir.path())
            .arg("migrate")
            .env("NRM_ENVIRONMENT", "production")
            .env("NRM_DATABASE_URL", url)
            .env("NRM_MASTER_KEY", "ab".repeat(32)));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{url}: migrate ran");
        assert!(
            stderr.contains("refuses this PostgreSQL connection"),
            "{url}: {stderr}"
        );
        assert!(!stderr.contains("s3cret"), "the password leaked: {stderr}");
    }
}

/// The file's permission bits, or `None` when it does not exist.
fn mode(path: &Path) -> Option<u32> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

// ASVS v5.0.0-14.2.4
#[test]
fn other_users_cannot_read_the_database_its_log_or_the_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    // The most careless umask there is: without the binary's own care, every file it made
    // would be readable and writable by everyone.
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_nrm"))
        .args(["demo", "--cases", "3"])
        .current_dir(dir.path())
        .env("NRM_LISTEN", "127.0.0.1:0")
        .env("NRM_LOG", "warn")
        .env("NRM_SWEEP_INTERVAL_SECONDS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("NRM_") && !matches!(&*text, "NRM_LOG" | "NRM_LISTEN") {
            command.env_remove(name);
        }
    }
    let mut demo = command
        .spawn()
        .unwrap_or_else(|e| panic!("start nrm demo: {e}"));
    // While the demo serves, its SQLite connections are open and the -wal and -shm files exist.
    let stdout = demo.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("is listening on"));
    let data = dir.path().join("data");
    // `serve` takes its first audit checkpoint as it starts, beside listening.
    for _ in 0..100 {
        if data.join("audit-checkpoints").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let modes = [
        ("data", mode(&data), 0o700u32),
        ("nrm.sqlite", mode(&data.join("nrm.sqlite")), 0o600),
        ("nrm.sqlite-wal", mode(&data.join("nrm.sqlite-wal")), 0o600),
        ("nrm.sqlite-shm", mode(&data.join("nrm.sqlite-shm")), 0o600),
        ("master.key", mode(&data.join("master.key")), 0o600),
        ("audit.key", mode(&data.join("audit.key")), 0o600),
        (
            "audit-checkpoints",
            mode(&data.join("audit-checkpoints")),
            0o700,
        ),
    ];
    let _ = demo.kill();
    let _ = demo.wait();
    assert!(listening, "the demo did not start serving");
    for (file, actual, expected) in modes {
        let shown = actual.map_or_else(|| "missing".to_owned(), |m| format!("{m:o}"));
        assert_eq!(actual, Some(expected), "{file}: {shown}");
    }
}

//! Backups (issue #17 item 3): a consistent online copy of the database, compressed and
//! encrypted with the master key, and its restore.
//!
//! * SQLite: `VACUUM INTO` a private temporary file (one read transaction: a consistent copy
//!   while writers carry on), then that file is streamed into the backup.
//! * PostgreSQL: `pg_dump --format=custom` of the store's schema (one snapshot: consistent
//!   while writers carry on), streamed into the backup; restored with `pg_restore --clean
//!   --if-exists --single-transaction --exit-on-error`.
//!
//! The file: the magic line `NRMBACKUP1\n`, a length-prefixed JSON header (format, engine,
//! a random backup id, when, the master key's fingerprint: no data), then chunks of at most
//! 1 MiB, each LZ4-compressed (`lz4_flex`, already used for events) and sealed with the master
//! key (XChaCha20-Poly1305) bound to the backup id, its index and whether it is the last. A
//! chunk moved, altered, dropped, or a file cut short fails to restore; nothing is written to
//! the database from a backup that does not open completely. A backup is opened by the master
//! key in force when it was taken: keep retired master keys as long as backups made under them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vault::crypto::MasterKey;
use crate::{DatabaseKind, Store, StoreError, on_pool};

const MAGIC: &[u8] = b"NRMBACKUP1\n";
const CHUNK: usize = 1 << 20;
/// A sealed chunk is never larger than this (LZ4's worst case plus the AEAD overhead).
const MAX_SEALED: usize = CHUNK + CHUNK / 128 + 1024;

/// Why a backup or restore failed. Messages name the step, never data.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the backup does not open with this master key, or it was altered, reordered or cut short"
    )]
    Crypto,
    #[error("{0}")]
    Format(String),
    #[error("{0}")]
    Tool(String),
}

/// The backup's clear header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupHeader {
    pub format: u32,
    pub engine: String,
    pub backup_id: Uuid,
    pub taken_at: DateTime<Utc>,
    pub master_key_fingerprint: String,
}

/// What a backup or restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub header: BackupHeader,
    /// Bytes of the database copy (before compression).
    pub plain_bytes: u64,
    /// Bytes of the backup file.
    pub file_bytes: u64,
}

fn chunk_context(id: Uuid, index: u64, last: bool) -> Vec<u8> {
    format!("backup:{id}:{index}:{}", u8::from(last)).into_bytes()
}

/// A new file for the owner only (0600).
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// A private temporary folder beside `near` (same file system, so a rename is atomic).
fn private_dir(near: &Path) -> Result<tempfile::TempDir, BackupError> {
    let parent = near
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok(tempfile::Builder::new()
        .prefix(".nrm-backup-")
        .tempdir_in(parent)?)
}

/// Streams `input` into the backup file `out` (created new, 0600), sealed chunk by chunk.
fn write_sealed(
    key: &MasterKey,
    header: &BackupHeader,
    mut input: impl Read,
    out: &Path,
) -> Result<(u64, u64), BackupError> {
    let partial = out.with_extension("partial");
    let mut file = std::io::BufWriter::new(create_private(&partial)?);
    file.write_all(MAGIC)?;
    let header_json = serde_json::to_vec(header)
        .map_err(|_| BackupError::Format("the header did not serialise".to_owned()))?;
    file.write_all(
        &u32::try_from(header_json.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    )?;
    file.write_all(&header_json)?;
    let mut plain = 0u64;
    let mut index = 0u64;
    let mut current = read_chunk(&mut input)?;
    loop {
        let next = if current.len() == CHUNK {
            read_chunk(&mut input)?
        } else {
            Vec::new()
        };
        let last = next.is_empty();
        plain += current.len() as u64;
        let compressed = lz4_flex::block::compress_prepend_size(&current);
        let sealed = key
            .seal_bytes(&chunk_context(header.backup_id, index, last), &compressed)
            .map_err(|_| BackupError::Crypto)?;
        file.write_all(
            &u32::try_from(sealed.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        )?;
        file.write_all(&sealed)?;
        index += 1;
        if last {
            break;
        }
        current = next;
    }
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    let size = file.metadata()?.len();
    drop(file);
    std::fs::rename(&partial, out)?;
    Ok((plain, size))
}

fn read_chunk(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(CHUNK);
    input.take(CHUNK as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads a backup's header (no key needed: it holds no data).
pub fn read_header(path: &Path) -> Result<BackupHeader, BackupError> {
    let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
    header_of(&mut file)
}

fn header_of(file: &mut impl Read) -> Result<BackupHeader, BackupError> {
    let mut magic = [0u8; MAGIC.len()];
    file.read_exact(&mut magic)
        .map_err(|_| BackupError::Format("not an NRM backup".to_owned()))?;
    if magic != MAGIC {
        return Err(BackupError::Format("not an NRM backup".to_owned()));
    }
    let mut len = [0u8; 4];
    file.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > 64 * 1024 {
        return Err(BackupError::Format(
            "the backup header is too long".to_owned(),
        ));
    }
    let mut json = vec![0u8; len];
    file.read_exact(&mut json)?;
    let header: BackupHeader = serde_json::from_slice(&json)
        .map_err(|_| BackupError::Format("the backup header does not parse".to_owned()))?;
    if header.format != 1 {
        return Err(BackupError::Format(format!(
            "backup format {} is not known to this build",
            header.format
        )));
    }
    Ok(header)
}

/// Opens the backup at `path` with `key` into the new file `out` (0600); every chunk must
/// open, in order, up to the last. Returns the header and the plain size.
pub fn open_backup(
    key: &MasterKey,
    path: &Path,
    out: &Path,
) -> Result<(BackupHeader, u64), BackupError> {
    let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
    let header = header_of(&mut file)?;
    let mut sink = std::io::BufWriter::new(create_private(out)?);
    let mut index = 0u64;
    let mut plain = 0u64;
    loop {
        let mut len = [0u8; 4];
        if file.read_exact(&mut len).is_err() {
            // Cut short before the last chunk.
            return Err(BackupError::Crypto);
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_SEALED {
            return Err(BackupError::Crypto);
        }
        let mut sealed = vec![0u8; len];
        file.read_exact(&mut sealed)
            .map_err(|_| BackupError::Crypto)?;
        let (compressed, last) =
            match key.open_bytes(&chunk_context(header.backup_id, index, false), &sealed) {
                Ok(c) => (c, false),
                Err(_) => (
                    key.open_bytes(&chunk_context(header.backup_id, index, true), &sealed)
                        .map_err(|_| BackupError::Crypto)?,
                    true,
                ),
            };
        let chunk = lz4_flex::block::decompress_size_prepended(&compressed)
            .map_err(|_| BackupError::Crypto)?;
        plain += chunk.len() as u64;
        sink.write_all(&chunk)?;
        index += 1;
        if last {
            let mut rest = [0u8; 1];
            if file.read(&mut rest)? != 0 {
                return Err(BackupError::Format(
                    "the backup has bytes after its last chunk".to_owned(),
                ));
            }
            break;
        }
    }
    let sink = sink.into_inner().map_err(|e| e.into_error())?;
    sink.sync_all()?;
    Ok((header, plain))
}

/// The file a `sqlite://PATH` URL names.
fn sqlite_path(url: &str) -> Result<PathBuf, BackupError> {
    let rest = url.split_once(':').map(|(_, r)| r).unwrap_or_default();
    let path = rest.strip_prefix("//").unwrap_or(rest);
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return Err(BackupError::Format(
            "the SQLite URL names no file".to_owned(),
        ));
    }
    Ok(PathBuf::from(path))
}

fn run_tool(mut command: Command, what: &str) -> Result<(), BackupError> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| BackupError::Tool(format!("cannot run {what}: {e}")))?;
    if !output.status.success() {
        // pg tools' messages name objects and connection problems, not row data.
        let message = String::from_utf8_lossy(&output.stderr);
        let first = message.lines().next().unwrap_or("no message");
        return Err(BackupError::Tool(format!("{what} failed: {first}")));
    }
    Ok(())
}

impl Store {
    /// The schema the store's tables are in (PostgreSQL), for `pg_dump --schema`.
    async fn current_schema(&self) -> Result<Option<String>, StoreError> {
        Ok(match self.kind() {
            DatabaseKind::Sqlite => None,
            DatabaseKind::Postgres => Some(on_pool!(self, pool => {
                sqlx::query_scalar::<_, String>("SELECT current_schema()")
                    .fetch_one(pool)
                    .await?
            })),
        })
    }

    /// Writes an encrypted backup of this store (opened from `url`) to `out`, which must not
    /// exist. Safe while the service is writing: the copy is one consistent snapshot.
    pub async fn backup(
        &self,
        url: &str,
        out: &Path,
        now: DateTime<Utc>,
    ) -> Result<BackupReport, BackupError> {
        if out.exists() {
            return Err(BackupError::Format(format!(
                "{} exists already: a backup never overwrites a file",
                out.display()
            )));
        }
        let header = BackupHeader {
            format: 1,
            engine: self.kind().as_str().to_owned(),
            backup_id: Uuid::new_v4(),
            taken_at: now,
            master_key_fingerprint: self.master_key.fingerprint().to_owned(),
        };
        let dir = private_dir(out)?;
        let copy = dir.path().join("copy");
        match self.kind() {
            DatabaseKind::Sqlite => {
                let target = copy.to_string_lossy().replace('\'', "''");
                on_pool!(self, pool => {
                    sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
                        .execute(pool)
                        .await
                        .map_err(StoreError::from)?;
                });
            }
            DatabaseKind::Postgres => {
                let schema = self.current_schema().await?.unwrap_or_default();
                let mut command = Command::new("pg_dump");
                command
                    .arg("--format=custom")
                    .arg("--no-owner")
                    .arg("--no-privileges")
                    .arg("--compress=0")
                    .arg(format!("--schema={schema}"))
                    .arg(format!("--file={}", copy.display()))
                    .arg(format!("--dbname={url}"));
                let handle = tokio::task::spawn_blocking(move || run_tool(command, "pg_dump"));
                handle
                    .await
                    .map_err(|_| BackupError::Tool("pg_dump did not finish".to_owned()))??;
            }
        }
        let key = self.master_key.clone();
        let out_path = out.to_path_buf();
        let header_for = header.clone();
        let (plain_bytes, file_bytes) = tokio::task::spawn_blocking(move || {
            let input = std::io::BufReader::new(std::fs::File::open(&copy)?);
            write_sealed(&key, &header_for, input, &out_path)
        })
        .await
        .map_err(|_| BackupError::Tool("sealing the backup did not finish".to_owned()))??;
        drop(dir);
        Ok(BackupReport {
            header,
            plain_bytes,
            file_bytes,
        })
    }
}

/// Restores the backup at `input` into the database at `url`, opened with `key`. The service
/// must be stopped. SQLite: the database file is replaced (atomically, after the copy is
/// checked whole); PostgreSQL: the schema's objects are dropped and restored in one
/// transaction. Nothing is touched if the backup does not open completely.
pub async fn restore(
    key: &MasterKey,
    url: &str,
    input: &Path,
) -> Result<BackupReport, BackupError> {
    let kind = DatabaseKind::of_url(url)?;
    let anchor = match kind {
        DatabaseKind::Sqlite => sqlite_path(url)?,
        DatabaseKind::Postgres => input.to_path_buf(),
    };
    let dir = private_dir(&anchor)?;
    let plain = dir.path().join("copy");
    let key_for = key.clone();
    let (input_for, plain_for) = (input.to_path_buf(), plain.clone());
    let (header, plain_bytes) =
        tokio::task::spawn_blocking(move || open_backup(&key_for, &input_for, &plain_for))
            .await
            .map_err(|_| BackupError::Tool("opening the backup did not finish".to_owned()))??;
    if header.engine != kind.as_str() {
        return Err(BackupError::Format(format!(
            "this is a {} backup; the database URL names {}",
            header.engine,
            kind.as_str()
        )));
    }
    match kind {
        DatabaseKind::Sqlite => {
            let path = anchor;
            // The copy must be a whole, sound database before it replaces anything.
            let check = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&plain)
                .read_only(true);
            let pool = sqlx::SqlitePool::connect_with(check)
                .await
                .map_err(StoreError::from)?;
            let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&pool)
                .await
                .map_err(StoreError::from)?;
            pool.close().await;
            if verdict != "ok" {
                return Err(BackupError::Format(
                    "the restored SQLite copy fails its integrity check".to_owned(),
                ));
            }
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", path.display()));
                match std::fs::remove_file(&side) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
            std::fs::rename(&plain, &path)?;
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::File::open(parent)?.sync_all()?;
            }
        }
        DatabaseKind::Postgres => {
            let mut command = Command::new("pg_restore");
            command
                .arg("--clean")
                .arg("--if-exists")
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--single-transaction")
                .arg("--exit-on-error")
                .arg(format!("--dbname={url}"))
                .arg(&plain);
            tokio::task::spawn_blocking(move || run_tool(command, "pg_restore"))
                .await
                .map_err(|_| BackupError::Tool("pg_restore did not finish".to_owned()))??;
        }
    }
    let file_bytes = std::fs::metadata(input)?.len();
    drop(dir);
    Ok(BackupReport {
        header,
        plain_bytes,
        file_bytes,
    })
}

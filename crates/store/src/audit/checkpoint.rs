//! Signed checkpoints of the audit head, kept outside the database.
//!
//! Someone who can write the database can delete the end of the log and rewind the head to
//! match; the keyed chain alone cannot see that, since what is left still verifies. A
//! checkpoint records the head (sequence number and MAC) and when it was taken, MAC'd with a
//! subkey of the audit key, in a file the operator can ship elsewhere. `nrm audit verify`
//! compares the chain with every checkpoint: one beyond the last entry means entries were
//! removed; one whose MAC differs from the chain's at that entry means it was rewritten.
//!
//! Files are written whole or not at all (temporary file, fsync, rename, fsync of the folder).
//! They hold sequence numbers and MACs only, nothing about anyone.

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::Mac;
use serde::{Deserialize, Serialize};

use super::chain::{AuditKey, Hash, constant_time_eq};

/// The format tag in every checkpoint file (and in its MAC).
pub const FORMAT: &str = "nrm-audit-checkpoint/1";

/// The audit head at a moment: entry `seq` had MAC `head`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub head: Hash,
    /// The chain's first keyed entry when the checkpoint was taken (moving it is tampering).
    pub keyed_from: u64,
    /// RFC 3339 in UTC.
    pub written_at: String,
}

/// A checkpoint file as read: its name, and the checkpoint or why it cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFile {
    pub name: String,
    pub checkpoint: Result<Checkpoint, &'static str>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    format: String,
    seq: u64,
    head: String,
    keyed_from: u64,
    written_at: String,
    mac: String,
}

fn mac(key: &AuditKey, c: &Checkpoint) -> Hash {
    let mut mac = key.checkpoint_mac();
    mac.update(FORMAT.as_bytes());
    mac.update(&c.seq.to_be_bytes());
    mac.update(&c.head);
    mac.update(&c.keyed_from.to_be_bytes());
    mac.update(&(c.written_at.len() as u64).to_be_bytes());
    mac.update(c.written_at.as_bytes());
    mac.finalize().into_bytes().into()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str) -> Option<Hash> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Checkpoint {
    /// The file's name: ordered by sequence number.
    pub fn file_name(&self) -> String {
        format!("audit-{:020}.json", self.seq)
    }

    /// The signed file content.
    pub fn to_json(&self, key: &AuditKey) -> String {
        let stored = Stored {
            format: FORMAT.to_owned(),
            seq: self.seq,
            head: to_hex(&self.head),
            keyed_from: self.keyed_from,
            written_at: self.written_at.clone(),
            mac: to_hex(&mac(key, self)),
        };
        let mut text = serde_json::to_string_pretty(&stored).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a checkpoint file and checks its MAC.
    pub fn from_json(key: &AuditKey, text: &str) -> Result<Self, &'static str> {
        let stored: Stored =
            serde_json::from_str(text).map_err(|_| "it is not a checkpoint file")?;
        if stored.format != FORMAT {
            return Err("it is in an unknown format");
        }
        let (Some(head), Some(claimed)) = (from_hex(&stored.head), from_hex(&stored.mac)) else {
            return Err("it is not a checkpoint file");
        };
        let checkpoint = Self {
            seq: stored.seq,
            head,
            keyed_from: stored.keyed_from,
            written_at: stored.written_at,
        };
        if !constant_time_eq(&mac(key, &checkpoint), &claimed) {
            return Err("its signature does not verify (altered, or signed with another key)");
        }
        Ok(checkpoint)
    }
}

/// Writes `checkpoint` into `dir` (created owner-only if missing) atomically, and returns
/// the file's path.
pub fn write(dir: &Path, key: &AuditKey, checkpoint: &Checkpoint) -> std::io::Result<PathBuf> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    let path = dir.join(checkpoint.file_name());
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        checkpoint.file_name(),
        std::process::id()
    ));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(checkpoint.to_json(key).as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)?;
        // The rename is durable only once the folder is.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map(|()| path)
}

/// Reads every checkpoint file in `dir` (`audit-*.json`), in name order.
pub fn read_all(dir: &Path, key: &AuditKey) -> std::io::Result<Vec<CheckpointFile>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("audit-") && name.ends_with(".json") {
            names.push(name);
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(&name))?;
            let checkpoint = Checkpoint::from_json(key, &text);
            Ok(CheckpointFile { name, checkpoint })
        })
        .collect()
}

/// The checkpoint with the highest sequence number whose signature verifies, if any.
pub fn latest(files: &[CheckpointFile]) -> Option<&Checkpoint> {
    files
        .iter()
        .filter_map(|f| f.checkpoint.as_ref().ok())
        .max_by_key(|c| c.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes(&[7; 32])
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            seq: 42,
            head: [9; 32],
            keyed_from: 1,
            written_at: "2026-01-01T00:00:00Z".to_owned(),
        }
    }

    // ASVS v5.0.0-16.4.2
    #[test]
    fn a_checkpoint_reads_back_and_any_change_or_other_key_is_refused() {
        let text = checkpoint().to_json(&key());
        assert_eq!(Checkpoint::from_json(&key(), &text), Ok(checkpoint()));
        let other = AuditKey::from_bytes(&[8; 32]);
        assert!(Checkpoint::from_json(&other, &text).is_err());
        for (from, to) in [
            ("\"seq\": 42", "\"seq\": 41"),
            ("\"keyed_from\": 1", "\"keyed_from\": 2"),
            ("2026-01-01", "2026-01-02"),
            (&to_hex(&[9; 32]), &to_hex(&[8; 32])),
        ] {
            let forged = text.replace(from, to);
            assert_ne!(forged, text, "{from}");
            assert!(Checkpoint::from_json(&key(), &forged).is_err(), "{from}");
        }
    }

    #[test]
    fn writing_is_atomic_and_owner_only() {
        let dir = tempfile_dir();
        let path = write(&dir, &key(), &checkpoint()).unwrap_or_else(|e| panic!("{e}"));
        let files = read_all(&dir, &key()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files.len(), 1, "no temporary file is left behind");
        assert_eq!(latest(&files), Some(&checkpoint()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or_default();
            assert_eq!(mode, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        std::env::temp_dir().join(format!(
            "nrm-checkpoint-test-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ))
    }
}

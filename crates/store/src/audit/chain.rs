//! The audit chain's arithmetic, pure: how an entry's MAC is computed and how a sequence of
//! entries is checked. The store writes and reads entries; this decides whether they are intact.
//!
//! Each entry carries an HMAC-SHA256, under the audit key, of its fields and its predecessor's
//! MAC. The key is held outside the database (configuration or a key file, like the master
//! key), so someone who can write the database but does not hold the key cannot make an
//! edited, inserted or re-chained entry verify. Entries written before the chain was keyed
//! (seq below the head's `keyed_from`) keep their unkeyed SHA-256 hash; the first keyed entry
//! commits to the last of them, so none of them can be changed without breaking it.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// A MAC (or, before keying, a hash) in the chain.
pub type Hash = [u8; 32];

/// The hash before the first entry.
pub const GENESIS: Hash = [0; 32];

/// Length of the audit key in bytes.
pub const AUDIT_KEY_LEN: usize = 32;

/// The key the audit chain and its checkpoints are MAC'd with. It comes from configuration
/// and is never stored in the database. Two subkeys are derived from it, one for entries and
/// one for checkpoints, so a MAC made for one can never pass as the other.
#[derive(Clone)]
pub struct AuditKey {
    entries: HmacSha256,
    checkpoints: HmacSha256,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
}

impl AuditKey {
    pub fn from_bytes(bytes: &[u8; AUDIT_KEY_LEN]) -> Self {
        let derive = |label: &[u8]| {
            let mut mac = keyed(bytes);
            mac.update(label);
            keyed(&mac.finalize().into_bytes())
        };
        Self {
            entries: derive(b"nrm audit key: entries"),
            checkpoints: derive(b"nrm audit key: checkpoints"),
        }
    }

    /// Parses 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.trim();
        if hex.len() != AUDIT_KEY_LEN * 2 {
            return None;
        }
        let mut bytes = [0u8; AUDIT_KEY_LEN];
        for (i, slot) in bytes.iter_mut().enumerate() {
            *slot = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self::from_bytes(&bytes))
    }

    /// A fresh random key as hex, for `nrm demo` and key generation.
    pub fn generate_hex() -> String {
        crate::vault::crypto::MasterKey::generate_hex()
    }

    pub(crate) fn checkpoint_mac(&self) -> HmacSha256 {
        self.checkpoints.clone()
    }
}

/// One audit entry as stored. No personal data: ids, action codes and outcome codes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: u64,
    /// RFC 3339 in UTC with microseconds, exactly as hashed.
    pub recorded_at: String,
    pub actor_user: String,
    pub actor_organisation: String,
    pub action: String,
    pub case_id: Option<String>,
    pub outcome: String,
    /// The non-case subject of an administrative action (`user:<uuid>`, `token:<uuid>`…).
    pub subject: Option<String>,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// Feeds an entry's content to `out` in one unambiguous encoding: every field is
/// length-prefixed, so no two different entries encode the same bytes.
fn encode(entry: &AuditEntry, version: &[u8], mut out: impl FnMut(&[u8])) {
    out(version);
    out(&entry.seq.to_be_bytes());
    for field in [
        entry.recorded_at.as_str(),
        entry.actor_user.as_str(),
        entry.actor_organisation.as_str(),
        entry.action.as_str(),
        entry.case_id.as_deref().unwrap_or("\u{0}none"),
        entry.outcome.as_str(),
    ] {
        out(&(field.len() as u64).to_be_bytes());
        out(field.as_bytes());
    }
    // Entries written before subjects existed encode exactly as they did then.
    if let Some(subject) = &entry.subject {
        out(b"subject");
        out(&(subject.len() as u64).to_be_bytes());
        out(subject.as_bytes());
    }
    out(&entry.prev_hash);
}

/// The unkeyed SHA-256 of an entry written before the chain was keyed.
pub fn legacy_hash(entry: &AuditEntry) -> Hash {
    let mut h = Sha256::new();
    encode(entry, b"nrm-audit:v1", |bytes| h.update(bytes));
    h.finalize().into()
}

/// The MAC of an entry's content and its predecessor's MAC under the audit key.
pub fn entry_mac(key: &AuditKey, entry: &AuditEntry) -> Hash {
    let mut mac = key.entries.clone();
    encode(entry, b"nrm-audit:v2", |bytes| mac.update(bytes));
    mac.finalize().into_bytes().into()
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit chain is broken at entry {seq}: {reason}")]
pub struct ChainBreak {
    /// The first entry that does not verify (for truncation: the first missing one).
    pub seq: u64,
    pub reason: &'static str,
}

/// Checks entries as they are streamed in `seq` order.
#[derive(Debug)]
pub struct Verifier<'k> {
    key: &'k AuditKey,
    keyed_from: u64,
    expected_seq: u64,
    prev: Hash,
}

impl<'k> Verifier<'k> {
    /// A verifier for a chain whose entries from `keyed_from` on are MAC'd with `key` (1 for a
    /// chain keyed from its start).
    pub fn new(key: &'k AuditKey, keyed_from: u64) -> Self {
        Self::resume(key, keyed_from, 0, GENESIS)
    }

    /// A verifier that carries on after entry `seq` whose MAC was `hash` (a checkpoint).
    pub fn resume(key: &'k AuditKey, keyed_from: u64, seq: u64, hash: Hash) -> Self {
        Self {
            key,
            keyed_from: keyed_from.max(1),
            expected_seq: seq + 1,
            prev: hash,
        }
    }

    /// The last entry checked so far and its MAC.
    pub fn position(&self) -> (u64, Hash) {
        (self.expected_seq - 1, self.prev)
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let at = self.expected_seq;
        if entry.seq != at {
            return Err(ChainBreak {
                seq: at,
                reason: "an entry is missing or out of order",
            });
        }
        if entry.prev_hash != self.prev {
            return Err(ChainBreak {
                seq: at,
                reason: "it does not follow the entry before it",
            });
        }
        let expected = if at < self.keyed_from {
            legacy_hash(entry)
        } else {
            entry_mac(self.key, entry)
        };
        // Comparing in constant time: a MAC must not be guessable byte by byte.
        if !constant_time_eq(&expected, &entry.hash) {
            return Err(ChainBreak {
                seq: at,
                reason: "its content does not match its MAC (edited, or written without the audit key)",
            });
        }
        self.prev = entry.hash;
        self.expected_seq += 1;
        Ok(())
    }

    /// Checks the end of the chain against the head the database keeps: a truncated tail
    /// leaves the head pointing past the last entry. (Someone who can write the database can
    /// rewind the head too; the checkpoints outside the database catch that.)
    pub fn finish(&self, head_seq: u64, head_hash: Hash) -> Result<u64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq < last {
            return Err(ChainBreak {
                seq: head_seq + 1,
                reason: "the log continues past the recorded head",
            });
        }
        if head_seq > last {
            return Err(ChainBreak {
                seq: last + 1,
                reason: "the log ends before the recorded head: entries were removed from the end",
            });
        }
        if head_hash != self.prev {
            return Err(ChainBreak {
                seq: last.max(1),
                reason: "the last entry does not match the recorded head",
            });
        }
        Ok(last)
    }
}

pub(crate) fn constant_time_eq(a: &Hash, b: &Hash) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Verifies a whole chain held in memory.
pub fn verify(
    key: &AuditKey,
    keyed_from: u64,
    entries: &[AuditEntry],
    head_seq: u64,
    head_hash: Hash,
) -> Result<u64, ChainBreak> {
    let mut v = Verifier::new(key, keyed_from);
    for e in entries {
        v.push(e)?;
    }
    v.finish(head_seq, head_hash)
}

/// What an entry records, before it is placed in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryContent {
    pub recorded_at: String,
    pub actor_user: String,
    pub actor_organisation: String,
    pub action: String,
    pub case_id: Option<String>,
    pub outcome: String,
    pub subject: Option<String>,
}

/// Builds the keyed entry after `(prev_seq, prev_hash)` (used by the store and by tests).
pub fn next_entry(
    key: &AuditKey,
    prev_seq: u64,
    prev_hash: Hash,
    content: EntryContent,
) -> AuditEntry {
    let mut entry = AuditEntry {
        seq: prev_seq + 1,
        recorded_at: content.recorded_at,
        actor_user: content.actor_user,
        actor_organisation: content.actor_organisation,
        action: content.action,
        case_id: content.case_id,
        outcome: content.outcome,
        subject: content.subject,
        prev_hash,
        hash: GENESIS,
    };
    entry.hash = entry_mac(key, &entry);
    entry
}

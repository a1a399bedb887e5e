//! The audit chain's arithmetic, pure: how an entry's hash is computed and how a sequence of
//! entries is checked. The store writes and reads entries; this decides whether they are intact.

use sha2::{Digest, Sha256};

/// A hash in the chain.
pub type Hash = [u8; 32];

/// The hash before the first entry.
pub const GENESIS: Hash = [0; 32];

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

/// The hash of an entry's content and its predecessor's hash. Every field is length-prefixed,
/// so no two different entries encode the same bytes.
pub fn entry_hash(entry: &AuditEntry) -> Hash {
    let mut h = Sha256::new();
    h.update(b"nrm-audit:v1");
    h.update(entry.seq.to_be_bytes());
    for field in [
        entry.recorded_at.as_str(),
        entry.actor_user.as_str(),
        entry.actor_organisation.as_str(),
        entry.action.as_str(),
        entry.case_id.as_deref().unwrap_or("\u{0}none"),
        entry.outcome.as_str(),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    // Entries written before subjects existed hash exactly as they did then.
    if let Some(subject) = &entry.subject {
        h.update(b"subject");
        h.update((subject.len() as u64).to_be_bytes());
        h.update(subject.as_bytes());
    }
    h.update(entry.prev_hash);
    h.finalize().into()
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
pub struct Verifier {
    expected_seq: u64,
    prev: Hash,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev: GENESIS,
        }
    }
}

impl Verifier {
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
        if entry_hash(entry) != entry.hash {
            return Err(ChainBreak {
                seq: at,
                reason: "its content does not match its hash",
            });
        }
        self.prev = entry.hash;
        self.expected_seq += 1;
        Ok(())
    }

    /// Checks the end of the chain against the head the database keeps (and, where one is
    /// kept outside the database, against that anchor): a truncated tail leaves the head
    /// pointing past the last entry.
    pub fn finish(self, head_seq: u64, head_hash: Hash) -> Result<u64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq != last {
            return Err(ChainBreak {
                seq: last.min(head_seq) + 1,
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

/// Verifies a whole chain held in memory.
pub fn verify(entries: &[AuditEntry], head_seq: u64, head_hash: Hash) -> Result<u64, ChainBreak> {
    let mut v = Verifier::default();
    for e in entries {
        v.push(e)?;
    }
    v.finish(head_seq, head_hash)
}

/// Builds the next entry after `prev` (used by the store and by tests).
#[expect(clippy::too_many_arguments, reason = "one argument per hashed field")]
pub fn next_entry(
    prev_seq: u64,
    prev_hash: Hash,
    recorded_at: String,
    actor_user: String,
    actor_organisation: String,
    action: String,
    case_id: Option<String>,
    outcome: String,
    subject: Option<String>,
) -> AuditEntry {
    let mut entry = AuditEntry {
        seq: prev_seq + 1,
        recorded_at,
        actor_user,
        actor_organisation,
        action,
        case_id,
        outcome,
        subject,
        prev_hash,
        hash: GENESIS,
    };
    entry.hash = entry_hash(&entry);
    entry
}

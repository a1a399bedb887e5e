//! Envelope encryption for the vault: a data key per subject, wrapped by the master key.
//!
//! XChaCha20-Poly1305 throughout (192-bit random nonces, so random nonces never collide in
//! practice). Every ciphertext is bound to where it belongs through its associated data: a
//! wrapped key to its subject, a record to its record id, subject and kind. Moving ciphertext
//! between rows, or flipping a bit, makes decryption fail; it never yields someone else's data.
//! Destroying a subject's wrapped key makes all their records unreadable (crypto-shredding).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use uuid::Uuid;

const NONCE_LEN: usize = 24;
/// Length of a key in bytes.
pub const KEY_LEN: usize = 32;

/// The key that wraps every subject's data key. It comes from configuration and is never
/// stored in the database.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
    /// HMAC-SHA256 key for lookup hashes ([`MasterKey::lookup_hash`]), derived from the master
    /// key so that no second secret has to be configured. After a rotation it is kept from the
    /// key before (configured as `lookup_key`), so lookup hashes never change: see
    /// [`MasterKey::with_lookup_key`].
    lookup_key: [u8; KEY_LEN],
    /// A one-way name for the key itself (HMAC of a fixed label): recorded when a key is
    /// retired, so that a retired key is refused without the database ever holding it.
    fingerprint: String,
}

type HmacSha256 = Hmac<sha2::Sha256>;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 64 hexadecimal characters (surrounding whitespace ignored) as a key.
fn parse_hex(hex: &str) -> Option<[u8; KEY_LEN]> {
    let hex = hex.trim();
    if hex.len() != KEY_LEN * 2 {
        return None;
    }
    let mut bytes = [0u8; KEY_LEN];
    for (i, slot) in bytes.iter_mut().enumerate() {
        *slot = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(bytes)
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; KEY_LEN] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

/// Encryption or decryption failed: wrong key, or the stored bytes were altered or moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vault data could not be decrypted: wrong key, or the stored bytes were altered")]
pub struct CryptoError;

impl MasterKey {
    /// `id` names the key (stored beside each wrapped key, so rotation knows what wrapped what).
    pub fn from_bytes(id: impl Into<String>, bytes: &[u8; KEY_LEN]) -> Self {
        Self {
            id: id.into(),
            cipher: XChaCha20Poly1305::new(bytes.into()),
            lookup_key: hmac_sha256(bytes, &[b"nrm-lookup-key:v1"]),
            fingerprint: hex(&hmac_sha256(bytes, &[b"nrm-master-key-fingerprint:v1"])[..16]),
        }
    }

    /// This key with the lookup key given as 64 hexadecimal characters (the `lookup_key`
    /// configured after a rotation: the lookup key of the first master key, kept so that every
    /// stored lookup hash stays valid).
    pub fn with_lookup_key(mut self, hex: &str) -> Option<Self> {
        self.lookup_key = parse_hex(hex)?;
        Some(self)
    }

    /// This key with `other`'s lookup key (a new key during rotation keeps the old lookup key).
    pub fn with_lookup_key_of(mut self, other: &MasterKey) -> Self {
        self.lookup_key = other.lookup_key;
        self
    }

    /// The lookup key as hex, to write to the `lookup_key` file when rotating. It is a one-way
    /// derivation of the first master key: knowing it does not reveal any master key.
    pub fn lookup_key_hex(&self) -> String {
        hex(&self.lookup_key)
    }

    /// A one-way name for this key (32 hex characters).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A one-way name for the lookup key (32 hex characters).
    pub fn lookup_fingerprint(&self) -> String {
        hex(&hmac_sha256(&self.lookup_key, &[b"nrm-lookup-key-fingerprint:v1"])[..16])
    }

    /// Seals a large payload (a backup chunk) bound to `context`.
    pub fn seal_bytes(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut aad = b"nrm-bytes:v1:".to_vec();
        aad.extend_from_slice(context);
        seal(&self.cipher, plaintext, &aad)
    }

    /// Opens what [`MasterKey::seal_bytes`] sealed with the same `context`.
    pub fn open_bytes(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut aad = b"nrm-bytes:v1:".to_vec();
        aad.extend_from_slice(context);
        open(&self.cipher, sealed, &aad)
    }

    /// Parses 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_hex(id: impl Into<String>, hex: &str) -> Option<Self> {
        Some(Self::from_bytes(id, &parse_hex(hex)?))
    }

    /// A fresh random key as hex, for `nrm demo` and key generation.
    pub fn generate_hex() -> String {
        let mut bytes = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A keyed hash (HMAC-SHA256) of `value` for `purpose`: lets a table find a row by a value
    /// (a typed email address, a client address) without storing the value, and without
    /// letting someone who reads the database test guesses against it.
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> [u8; KEY_LEN] {
        hmac_sha256(
            &self.lookup_key,
            &[purpose.as_bytes(), b"\0", value.as_bytes()],
        )
    }

    /// Seals a small secret (a TOTP seed) under the master key, bound to `context`.
    pub fn seal_secret(&self, context: &str, secret: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal(
            &self.cipher,
            secret,
            format!("nrm-secret:v1:{context}").as_bytes(),
        )
    }

    /// Opens a secret sealed by [`MasterKey::seal_secret`] with the same `context`.
    pub fn open_secret(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open(
            &self.cipher,
            sealed,
            format!("nrm-secret:v1:{context}").as_bytes(),
        )
    }

    /// Makes a new data key for `subject` and returns it with its wrapped form.
    pub fn new_data_key(&self, subject: Uuid) -> Result<(DataKey, Vec<u8>), CryptoError> {
        let mut key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut key);
        let wrapped = seal(&self.cipher, &key, &wrap_aad(subject))?;
        Ok((DataKey(XChaCha20Poly1305::new((&key).into())), wrapped))
    }

    /// A subject's wrapped data key opened to its raw bytes (for re-wrapping in rotation).
    pub(crate) fn unwrap_data_key_bytes(
        &self,
        subject: Uuid,
        wrapped: &[u8],
    ) -> Result<[u8; KEY_LEN], CryptoError> {
        open(&self.cipher, wrapped, &wrap_aad(subject))?
            .try_into()
            .map_err(|_| CryptoError)
    }

    /// Wraps a subject's raw data key under this key (for re-wrapping in rotation).
    pub(crate) fn wrap_data_key_bytes(
        &self,
        subject: Uuid,
        key: &[u8; KEY_LEN],
    ) -> Result<Vec<u8>, CryptoError> {
        seal(&self.cipher, key, &wrap_aad(subject))
    }

    /// Unwraps a subject's data key.
    pub fn unwrap_data_key(&self, subject: Uuid, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let key = open(&self.cipher, wrapped, &wrap_aad(subject))?;
        let key: [u8; KEY_LEN] = key.try_into().map_err(|_| CryptoError)?;
        Ok(DataKey(XChaCha20Poly1305::new((&key).into())))
    }
}

/// One subject's data key, only ever held in memory.
#[derive(Clone)]
pub struct DataKey(XChaCha20Poly1305);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn encrypt(
        &self,
        binding: &RecordBinding<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        seal(&self.0, plaintext, &binding.aad())
    }

    pub fn decrypt(
        &self,
        binding: &RecordBinding<'_>,
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        open(&self.0, ciphertext, &binding.aad())
    }
}

/// Where a record belongs; bound into its authentication tag.
#[derive(Debug, Clone, Copy)]
pub struct RecordBinding<'a> {
    pub record: Uuid,
    pub subject: Uuid,
    pub kind: &'a str,
}

impl RecordBinding<'_> {
    fn aad(&self) -> Vec<u8> {
        format!(
            "nrm-vault-record:v1:{}:{}:{}",
            self.record, self.subject, self.kind
        )
        .into_bytes()
    }
}

fn wrap_aad(subject: Uuid) -> Vec<u8> {
    format!("nrm-vault-key:v1:{subject}").into_bytes()
}

fn seal(cipher: &XChaCha20Poly1305, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let body = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError)?;
    let mut out = Vec::with_capacity(NONCE_LEN + body.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

fn open(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < NONCE_LEN {
        return Err(CryptoError);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| CryptoError)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> MasterKey {
        MasterKey::from_bytes("test", &[7u8; KEY_LEN])
    }

    #[test]
    fn a_record_round_trips_and_is_not_plaintext() {
        let subject = Uuid::new_v4();
        let (key, wrapped) = master().new_data_key(subject).expect("wrap");
        let binding = RecordBinding {
            record: Uuid::new_v4(),
            subject,
            kind: "personal_details",
        };
        let sealed = key.encrypt(&binding, b"CANARY-NAME").expect("seal");
        assert!(!sealed.windows(11).any(|w| w == b"CANARY-NAME"));
        let key = master().unwrap_data_key(subject, &wrapped).expect("unwrap");
        assert_eq!(
            key.decrypt(&binding, &sealed).expect("open"),
            b"CANARY-NAME"
        );
    }

    #[test]
    fn moved_or_altered_ciphertext_fails() {
        let subject = Uuid::new_v4();
        let (key, wrapped) = master().new_data_key(subject).expect("wrap");
        let binding = RecordBinding {
            record: Uuid::new_v4(),
            subject,
            kind: "personal_details",
        };
        let sealed = key.encrypt(&binding, b"secret").expect("seal");
        let other_row = RecordBinding {
            record: Uuid::new_v4(),
            ..binding
        };
        assert_eq!(key.decrypt(&other_row, &sealed), Err(CryptoError));
        let other_kind = RecordBinding {
            kind: "decision_reasons",
            ..binding
        };
        assert_eq!(key.decrypt(&other_kind, &sealed), Err(CryptoError));
        for i in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[i] ^= 1;
            assert_eq!(
                key.decrypt(&binding, &flipped),
                Err(CryptoError),
                "bit flip at {i}"
            );
        }
        // A wrapped key moved to another subject does not unwrap.
        assert!(master().unwrap_data_key(Uuid::new_v4(), &wrapped).is_err());
        // Another master key cannot unwrap.
        let other = MasterKey::from_bytes("other", &[8u8; KEY_LEN]);
        assert!(other.unwrap_data_key(subject, &wrapped).is_err());
    }

    #[test]
    fn hex_keys_parse_strictly() {
        assert!(MasterKey::from_hex("k", &MasterKey::generate_hex()).is_some());
        assert!(MasterKey::from_hex("k", "abcd").is_none());
        assert!(MasterKey::from_hex("k", &"zz".repeat(32)).is_none());
    }
}

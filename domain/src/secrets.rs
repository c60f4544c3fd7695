//! Secrets at rest: AES-256-GCM with a random 96-bit nonce per value, the key id stored
//! beside the ciphertext so keys can rotate (the first key encrypts, all decrypt), and
//! the owning row passed as associated data so a ciphertext cannot be moved to
//! another row or field.

use aes_gcm::aead::Nonce as AeadNonce;
use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("STOCKBRIDGE_SECRET_KEYS is malformed: {0}")]
    MalformedKeys(String),
    #[error("no secret key is configured; set STOCKBRIDGE_SECRET_KEYS")]
    NoKeys,
    #[error("the value was encrypted with key '{0}', which is not configured")]
    UnknownKey(String),
    #[error("a stored secret failed authentication (wrong key or tampered row)")]
    Tampered,
}

struct NamedKey {
    id: String,
    cipher: Aes256Gcm,
}

pub struct SecretBox {
    keys: Vec<NamedKey>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("SecretBox").field("key_ids", &ids).finish()
    }
}

/// An encrypted value and the id of the key that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

impl SecretBox {
    /// Parses `ID:BASE64KEY[,ID:BASE64KEY…]` (32-byte keys).
    pub fn from_config(spec: &str) -> Result<Self, SecretError> {
        let mut keys = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry.split_once(':').ok_or_else(|| {
                SecretError::MalformedKeys("each entry must be ID:BASE64KEY".into())
            })?;
            if id.is_empty() || keys.iter().any(|k: &NamedKey| k.id == id) {
                return Err(SecretError::MalformedKeys(format!(
                    "key id '{id}' is empty or repeated"
                )));
            }
            let raw = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| SecretError::MalformedKeys(format!("key '{id}' is not base64")))?;
            if raw.len() != 32 {
                return Err(SecretError::MalformedKeys(format!(
                    "key '{id}' must be 32 bytes"
                )));
            }
            let key = Key::<Aes256Gcm>::try_from(raw.as_slice())
                .map_err(|_| SecretError::MalformedKeys(format!("key '{id}' must be 32 bytes")))?;
            let cipher = Aes256Gcm::new(&key);
            keys.push(NamedKey {
                id: id.to_owned(),
                cipher,
            });
        }
        if keys.is_empty() {
            return Err(SecretError::NoKeys);
        }
        Ok(Self { keys })
    }

    /// A random key in the `STOCKBRIDGE_SECRET_KEYS` format, for operators setting up.
    pub fn generate_config_entry(id: &str) -> String {
        let key: [u8; 32] = rand::random();
        format!(
            "{id}:{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        )
    }

    pub fn seal(&self, plaintext: &str, associated: &str) -> Result<Sealed, SecretError> {
        let key = self.keys.first().ok_or(SecretError::NoKeys)?;
        let nonce = Nonce::generate();
        let ciphertext = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: associated.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Tampered)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(nonce.as_slice());
        bytes.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: key.id.clone(),
            bytes,
        })
    }

    pub fn open(
        &self,
        key_id: &str,
        bytes: &[u8],
        associated: &str,
    ) -> Result<String, SecretError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| SecretError::UnknownKey(key_id.to_owned()))?;
        if bytes.len() <= NONCE_LEN {
            return Err(SecretError::Tampered);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = AeadNonce::<Aes256Gcm>::try_from(nonce).map_err(|_| SecretError::Tampered)?;
        let plaintext = key
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: associated.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| SecretError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_keys() -> SecretBox {
        let spec = format!(
            "{},{}",
            SecretBox::generate_config_entry("k2"),
            SecretBox::generate_config_entry("k1")
        );
        SecretBox::from_config(&spec).expect("valid keys")
    }

    #[test]
    fn a_sealed_secret_opens_with_the_same_row() {
        let sb = two_keys();
        let sealed = sb
            .seal("s3cret", "org|store|consumer_secret")
            .expect("seal");
        assert_eq!(sealed.key_id, "k2");
        assert!(!sealed.bytes.windows(6).any(|w| w == b"s3cret"));
        let opened = sb.open(&sealed.key_id, &sealed.bytes, "org|store|consumer_secret");
        assert_eq!(opened.expect("open"), "s3cret");
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_does_not_open() {
        let sb = two_keys();
        let sealed = sb
            .seal("s3cret", "org|store-a|consumer_secret")
            .expect("seal");
        let moved = sb.open(&sealed.key_id, &sealed.bytes, "org|store-b|consumer_secret");
        assert!(matches!(moved, Err(SecretError::Tampered)));
    }

    #[test]
    fn a_tampered_ciphertext_does_not_open() {
        let sb = two_keys();
        let mut sealed = sb.seal("s3cret", "row").expect("seal");
        let last = sealed.bytes.len() - 1;
        sealed.bytes[last] ^= 1;
        assert!(matches!(
            sb.open("k2", &sealed.bytes, "row"),
            Err(SecretError::Tampered)
        ));
    }

    #[test]
    fn values_sealed_with_a_retired_first_key_still_open_after_rotation() {
        let old = SecretBox::generate_config_entry("old");
        let before = SecretBox::from_config(&old).expect("keys");
        let sealed = before.seal("token", "row").expect("seal");
        let rotated = format!("{},{old}", SecretBox::generate_config_entry("new"));
        let after = SecretBox::from_config(&rotated).expect("keys");
        assert_eq!(
            after
                .open(&sealed.key_id, &sealed.bytes, "row")
                .expect("open"),
            "token"
        );
        assert_eq!(after.seal("x", "row").expect("seal").key_id, "new");
    }

    #[test]
    fn malformed_key_configuration_is_refused_with_a_reason() {
        assert!(matches!(
            SecretBox::from_config(""),
            Err(SecretError::NoKeys)
        ));
        assert!(matches!(
            SecretBox::from_config("nokey"),
            Err(SecretError::MalformedKeys(_))
        ));
        assert!(matches!(
            SecretBox::from_config("k:AAAA"),
            Err(SecretError::MalformedKeys(_))
        ));
    }
}

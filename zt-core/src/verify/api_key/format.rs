//! The API key format: a fixed prefix, a public key id, a random secret and a checksum.
//!
//! ```text
//! ztk_<id: 12 base62>_<secret: 32 base62><checksum: 6 base62>
//! ```
//!
//! The secret carries about 190 bits from the operating system's generator. The checksum is
//! CRC-32 (IEEE) of everything before it, in base62, so a typo is refused without a lookup
//! and a secret scanner can tell a real key from a look-alike. Leaked keys match
//! [`KEY_PATTERN`].

use std::fmt;

use aws_lc_rs::digest;
use secrecy::SecretString;

/// Prefix shared by every key, so scanners and people recognise them.
pub const KEY_PREFIX: &str = "ztk_";

/// A regular expression matching every key this crate issues, for secret scanners.
pub const KEY_PATTERN: &str = r"\bztk_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}\b";

const ID_LEN: usize = 12;
const SECRET_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
const KEY_LEN: usize = KEY_PREFIX.len() + ID_LEN + 1 + SECRET_LEN + CHECKSUM_LEN;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Holds a freshly generated API key: show it once, store only [`NewKey::hash`].
///
/// `Debug` shows the key id only.
pub struct NewKey {
    id: String,
    key: SecretString,
    hash: KeyHash,
}

impl NewKey {
    /// Generates a key with a random id and secret from the operating system.
    ///
    /// # Panics
    ///
    /// Panics if the operating system's random generator fails, which leaves no safe way
    /// to make a key.
    #[must_use]
    pub fn generate() -> Self {
        let id = random_base62(ID_LEN);
        let secret = random_base62(SECRET_LEN);
        let mut key = format!("{KEY_PREFIX}{id}_{secret}");
        key.push_str(&checksum(&key));
        let hash = KeyHash::of(&key);
        Self {
            id,
            key: key.into(),
            hash,
        }
    }

    /// Returns the public key id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the whole key, to hand to its owner once.
    #[must_use]
    pub fn key(&self) -> &SecretString {
        &self.key
    }

    /// Returns the hash to store in the key ring.
    #[must_use]
    pub fn hash(&self) -> KeyHash {
        self.hash
    }
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Holds the SHA-256 of a whole key; what a key ring stores instead of the key.
///
/// Keys carry 190 random bits, so a fast hash is enough: there is nothing to brute-force.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyHash(pub(crate) [u8; 32]);

impl KeyHash {
    /// Hashes a presented key.
    #[must_use]
    pub fn of(key: &str) -> Self {
        let digest = digest::digest(&digest::SHA256, key.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// Compares two hashes in constant time.
    #[must_use]
    pub fn matches(&self, other: &KeyHash) -> bool {
        use subtle::ConstantTimeEq as _;
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(..)")
    }
}

/// Explains why a presented string is not a well-formed key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormatError {
    /// Wrong prefix, length or characters.
    Malformed,
    /// Well formed, but the checksum does not match: a typo or a made-up key.
    Checksum,
}

/// Splits a presented key into its id, after checking shape and checksum.
pub(crate) fn parse(presented: &str) -> Result<&str, FormatError> {
    let bytes = presented.as_bytes();
    if bytes.len() != KEY_LEN || !presented.is_ascii() || !presented.starts_with(KEY_PREFIX) {
        return Err(FormatError::Malformed);
    }
    let body = &presented[KEY_PREFIX.len()..];
    let (id, rest) = body.split_at(ID_LEN);
    let (separator, tail) = rest.split_at(1);
    if separator != "_" || !is_base62(id) || !is_base62(tail) {
        return Err(FormatError::Malformed);
    }
    let (unchecked, sum) = presented.split_at(KEY_LEN - CHECKSUM_LEN);
    if checksum(unchecked) != sum {
        return Err(FormatError::Checksum);
    }
    Ok(id)
}

/// Reads a key id as written in a key ring: 12 base62 characters.
pub(crate) fn is_key_id(id: &str) -> bool {
    id.len() == ID_LEN && is_base62(id)
}

fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn checksum(text: &str) -> String {
    let mut value = crc32fast::hash(text.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        // Invariant: the OS generator does not fail on a working system; a key must not be
        // made from anything weaker.
        #[allow(clippy::expect_used)] // See the invariant above.
        aws_lc_rs::rand::fill(&mut buf).expect("the operating system's random generator failed");
        for &b in &buf {
            // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
            if b < 248 && out.len() < len {
                out.push(char::from(BASE62[usize::from(b % 62)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn generated_keys_parse_and_match_the_published_pattern() {
        let key = NewKey::generate();
        let text = key.key().expose_secret();
        assert_eq!(text.len(), KEY_LEN);
        assert_eq!(parse(text), Ok(key.id()));
        assert!(text.starts_with("ztk_"));
        assert_eq!(KeyHash::of(key.key().expose_secret()), key.hash());
        let shape = |c: u8| c.is_ascii_alphanumeric();
        assert!(text.as_bytes()[4..16].iter().all(|&c| shape(c)));
        assert_eq!(text.as_bytes()[16], b'_');
        assert!(text.as_bytes()[17..].iter().all(|&c| shape(c)));
    }

    #[test]
    fn keys_are_unique() {
        let a = NewKey::generate();
        let b = NewKey::generate();
        assert_ne!(a.id(), b.id());
        assert_ne!(a.key().expose_secret(), b.key().expose_secret());
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        let key = NewKey::generate();
        let mut text = key.key().expose_secret().to_owned().into_bytes();
        text[20] = if text[20] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(text).unwrap();
        assert_eq!(parse(&typo), Err(FormatError::Checksum));
    }

    #[test]
    fn wrong_shapes_are_malformed() {
        let key = NewKey::generate();
        let text = key.key().expose_secret();
        let cases = [
            String::new(),
            text[1..].to_owned(),
            format!("{text}x"),
            text.replacen("ztk_", "ztx_", 1),
            text.replacen('_', "-", 2),
            format!("{}é{}", &text[..20], &text[22..]),
            format!("{}é{}", &text[..15], &text[17..]),
            format!("{}é{}", &text[..16], &text[18..]),
            format!("{}é{}", &text[..48], &text[50..]),
        ];
        for case in &cases {
            assert_eq!(parse(case), Err(FormatError::Malformed), "{case:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = NewKey::generate();
        let printed = format!("{key:?} {:?}", key.hash());
        assert!(!printed.contains(key.key().expose_secret()));
        assert!(printed.contains(key.id()));
    }
}

//! SHA-256 as the transfer speaks it: lowercase hex, computed as bytes
//! pass, and compared in constant time where a secret is involved.

use ring::digest::{Context, SHA256};
use subtle::ConstantTimeEq;

/// A SHA-256 being computed over bytes as they are written or received.
#[derive(Clone)]
pub struct RunningSha256(Context);

impl RunningSha256 {
    pub fn new() -> RunningSha256 {
        RunningSha256(Context::new(&SHA256))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn hex(self) -> String {
        hex::encode(self.0.finish())
    }
}

impl Default for RunningSha256 {
    fn default() -> Self {
        RunningSha256::new()
    }
}

/// SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&SHA256, bytes))
}

/// What the source keeps of a transfer token: its SHA-256, never the token.
#[derive(Clone)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn of(token: &str) -> TokenDigest {
        let mut digest = [0; 32];
        digest.copy_from_slice(ring::digest::digest(&SHA256, token.as_bytes()).as_ref());
        TokenDigest(digest)
    }

    /// Whether `presented` is the token, in time that does not depend on
    /// how much of it matches.
    pub fn matches(&self, presented: &str) -> bool {
        TokenDigest::of(presented).0.ct_eq(&self.0).into()
    }
}

/// Kept on disk as lowercase hex: the digest, which does not give the
/// token back.
impl serde::Serialize for TokenDigest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for TokenDigest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut digest = [0; 32];
        hex::decode_to_slice(&text, &mut digest)
            .map_err(|_| serde::de::Error::custom("a token digest is 64 hex digits"))?;
        Ok(TokenDigest(digest))
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_sha256_equals_the_one_of_the_whole() {
        let mut running = RunningSha256::new();
        running.update(b"hello ");
        running.update(b"world");
        assert_eq!(running.hex(), sha256_hex(b"hello world"));
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_token_digest_matches_only_its_token() {
        let digest = TokenDigest::of("s3cret");
        assert!(digest.matches("s3cret"));
        assert!(!digest.matches("s3cre"));
        assert!(!digest.matches(""));
        assert_eq!(format!("{digest:?}"), "TokenDigest(..)");
        let kept = serde_json::to_string(&digest).unwrap();
        assert!(!kept.contains("s3cret"), "{kept}");
        let read: TokenDigest = serde_json::from_str(&kept).unwrap();
        assert!(read.matches("s3cret"));
        assert!(serde_json::from_str::<TokenDigest>("\"abc\"").is_err());
    }
}

//! Standard Webhooks signatures: HMAC-SHA256 under the endpoint's secret
//! over `{webhook-id}.{webhook-timestamp}.{body}`, sent as `v1,<base64>`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::webhooks::SECRET_PREFIX;

/// The secret is not `whsec_` followed by base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the webhook secret is malformed")]
pub struct MalformedSecret;

/// The `webhook-signature` header for one attempt.
pub fn signature(
    secret: &str,
    message_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, MalformedSecret> {
    let key = Zeroizing::new(
        secret
            .strip_prefix(SECRET_PREFIX)
            .and_then(|encoded| {
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .ok()
            })
            .ok_or(MalformedSecret)?,
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| MalformedSecret)?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_id_timestamp_and_body_with_the_decoded_secret() {
        let secret = format!(
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(b"0123456789abcdef0123456789")
        );
        let one = signature(&secret, "msg_1", 1_700_000_000, b"{}").unwrap();
        assert!(one.starts_with("v1,"));
        assert_eq!(
            one,
            signature(&secret, "msg_1", 1_700_000_000, b"{}").unwrap()
        );
        for other in [
            signature(&secret, "msg_2", 1_700_000_000, b"{}"),
            signature(&secret, "msg_1", 1_700_000_001, b"{}"),
            signature(&secret, "msg_1", 1_700_000_000, b"{ }"),
        ] {
            assert_ne!(one, other.unwrap());
        }
        assert_eq!(
            signature("whsec_not base64!", "m", 1, b""),
            Err(MalformedSecret)
        );
        assert_eq!(signature("plain", "m", 1, b""), Err(MalformedSecret));
    }
}

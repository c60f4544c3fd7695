//! The notifications the merchant's small Magento module sends when an order or a credit
//! memo is saved (Magento Open Source has no outbound webhooks of its own). A
//! notification is only a hint naming the entity: the receiver verifies it, drops
//! repeats by `event_id`, and reads the entity through the signed REST API.
//!
//! Signing: `X-Signature: v1=<base64 HMAC-SHA256(secret, timestamp + "." + raw body)>`
//! with `X-Timestamp` (Unix seconds) and `X-Event-Id`. Binding the timestamp into the
//! MAC lets the receiver refuse old deliveries; several space-separated `v1=` values
//! are accepted so a secret can be rotated without dropping deliveries.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

pub const SIGNATURE_HEADER: &str = "X-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Timestamp";
pub const EVENT_ID_HEADER: &str = "X-Event-Id";

/// How far a delivery's timestamp may be from the receiver's clock, either way.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The body of a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique per change; the same change delivered again carries the same id.
    pub event_id: String,
    /// `order.created`, `order.updated`, `order.canceled` or `creditmemo.created`.
    pub event: String,
    /// `order` or `creditmemo`.
    pub entity_type: String,
    pub entity_id: i64,
    pub increment_id: String,
    pub store_id: i64,
    /// Magento's `updated_at`: `YYYY-MM-DD HH:MM:SS`, UTC.
    pub updated_at: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotificationError {
    #[error("the notification has no {0} header")]
    MissingHeader(&'static str),
    #[error("the notification's timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("the notification is {seconds} s away from our clock (at most {TOLERANCE_SECONDS} s)")]
    Stale { seconds: i64 },
    #[error("the notification's signature does not match")]
    BadSignature,
    #[error("the notification body is not one: {0}")]
    BadBody(String),
}

/// The raw MAC. HMAC accepts keys of any length, so `None` cannot happen in practice;
/// it makes a signature that matches nothing rather than a panic.
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac.finalize().into_bytes().to_vec())
}

/// The `X-Signature` value for a delivery of `body` at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1={}",
        STANDARD.encode(mac(secret, timestamp, body).unwrap_or_default())
    )
}

/// Checks a delivery as received: the timestamp within [`TOLERANCE_SECONDS`] of `now`,
/// one of the signatures matching (compared in constant time), and the body a
/// notification. Dropping repeats by `event_id` is the receiver's part.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Notification, NotificationError> {
    let timestamp = timestamp.ok_or(NotificationError::MissingHeader(TIMESTAMP_HEADER))?;
    let signature = signature.ok_or(NotificationError::MissingHeader(SIGNATURE_HEADER))?;
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| NotificationError::BadTimestamp)?;
    let skew = (now - timestamp).abs();
    if skew > TOLERANCE_SECONDS {
        return Err(NotificationError::Stale { seconds: skew });
    }
    let expected = mac(secret, timestamp, body).ok_or(NotificationError::BadSignature)?;
    let matches = signature
        .split_whitespace()
        .filter_map(|candidate| candidate.strip_prefix("v1="))
        .filter_map(|encoded| STANDARD.decode(encoded).ok())
        .any(|given| bool::from(given.as_slice().ct_eq(expected.as_slice())));
    if !matches {
        return Err(NotificationError::BadSignature);
    }
    serde_json::from_slice(body).map_err(|e| NotificationError::BadBody(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec-test-secret";
    const NOW: i64 = 1_800_000_000;

    fn body() -> Vec<u8> {
        serde_json::to_vec(&Notification {
            event_id: "sbx1-7".into(),
            event: "order.created".into(),
            entity_type: "order".into(),
            entity_id: 7,
            increment_id: "000000007".into(),
            store_id: 1,
            updated_at: "2026-11-27 03:00:00".into(),
        })
        .expect("serialisable")
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body_in_base64() {
        // Independent computation of the same construction.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").expect("any length");
        mac.update(b"42.{}");
        let expected = format!("v1={}", STANDARD.encode(mac.finalize().into_bytes()));
        assert_eq!(sign(b"key", 42, b"{}"), expected);
    }

    #[test]
    fn a_fresh_correctly_signed_delivery_is_accepted() {
        let body = body();
        let signature = sign(SECRET, NOW - 10, &body);
        let notification = verify(
            SECRET,
            Some(&(NOW - 10).to_string()),
            Some(&signature),
            &body,
            NOW,
        )
        .expect("valid");
        assert_eq!(notification.entity_id, 7);
        assert_eq!(notification.event, "order.created");
    }

    #[test]
    fn a_changed_body_or_timestamp_or_secret_is_refused() {
        let body = body();
        let signature = sign(SECRET, NOW, &body);
        let mut tampered = body.clone();
        tampered[10] ^= 1;
        let stamp = NOW.to_string();
        assert_eq!(
            verify(SECRET, Some(&stamp), Some(&signature), &tampered, NOW),
            Err(NotificationError::BadSignature)
        );
        assert_eq!(
            verify(
                SECRET,
                Some(&(NOW + 1).to_string()),
                Some(&signature),
                &body,
                NOW
            ),
            Err(NotificationError::BadSignature)
        );
        assert_eq!(
            verify(b"other", Some(&stamp), Some(&signature), &body, NOW),
            Err(NotificationError::BadSignature)
        );
    }

    #[test]
    fn deliveries_more_than_five_minutes_off_are_refused() {
        let body = body();
        let old = NOW - TOLERANCE_SECONDS - 1;
        let signature = sign(SECRET, old, &body);
        assert_eq!(
            verify(SECRET, Some(&old.to_string()), Some(&signature), &body, NOW),
            Err(NotificationError::Stale { seconds: 301 })
        );
    }

    #[test]
    fn any_of_several_signatures_may_match_during_a_secret_rotation() {
        let body = body();
        let header = format!(
            "{} {}",
            sign(b"old-secret", NOW, &body),
            sign(SECRET, NOW, &body)
        );
        assert!(verify(SECRET, Some(&NOW.to_string()), Some(&header), &body, NOW).is_ok());
    }

    #[test]
    fn missing_headers_and_garbage_are_named() {
        let body = body();
        assert_eq!(
            verify(SECRET, None, Some("v1=x"), &body, NOW),
            Err(NotificationError::MissingHeader(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(SECRET, Some("1"), None, &body, NOW),
            Err(NotificationError::MissingHeader(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify(SECRET, Some("soon"), Some("v1=x"), &body, NOW),
            Err(NotificationError::BadTimestamp)
        );
        let stamp = NOW.to_string();
        let not_json = b"hello";
        let signature = sign(SECRET, NOW, not_json);
        assert!(matches!(
            verify(SECRET, Some(&stamp), Some(&signature), not_json, NOW),
            Err(NotificationError::BadBody(_))
        ));
    }
}

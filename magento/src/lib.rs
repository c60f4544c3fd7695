//! Magento 2 REST client: OAuth 1.0a HMAC-SHA256 signing, lenient DTOs, error
//! classification, retries and per-store limits. Knows Magento's wire format and nothing of our ledger.

pub mod attributes;
pub mod catalog_writes;
pub mod chunking;
pub mod client;
pub mod dto;
pub mod error;
pub mod notification;
pub mod oauth;
pub mod order_writes;
pub mod resilience;
pub mod search;
pub mod window;

pub use client::{ClientOptions, MagentoClient};
pub use error::MagentoError;
pub use oauth::Credentials;
pub use resilience::{RetryPolicy, StoreLimits};

//! Magento 2 REST client: OAuth 1.0a HMAC-SHA256 signing, lenient DTOs and error
//! classification. Knows Magento's wire format and nothing of our ledger.

pub mod client;
pub mod dto;
pub mod error;
pub mod oauth;
pub mod search;

pub use client::{ClientOptions, MagentoClient};
pub use error::MagentoError;
pub use oauth::Credentials;

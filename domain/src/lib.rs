//! Stockbridge's business: tenancy and API keys, the ledger (reference books,
//! products, stock, customers, sales), the sales channels it is connected to
//! ([`channel`]: Magento stores with their settings, mappings and links), and the job
//! and event machinery the long work runs on. No HTTP, GraphQL or job-queue types appear here; the queue is
//! reached through [`jobs::JobTransport`].

pub mod auth;
pub mod channel;
pub mod customers;
pub mod error;
pub mod events;
pub mod jobs;
pub mod page;
pub mod products;
pub mod reference;
mod rows;
pub mod sales;
pub mod secrets;
pub mod services;
pub mod stock;
mod wire_enum;

pub use entities;
pub use error::{DomainError, ErrorCode, FieldError};
pub use services::Services;

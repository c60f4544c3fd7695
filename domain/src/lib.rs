//! Stockbridge's business: tenancy and API keys, reference books, connected Magento
//! stores with their settings and mappings, and the job and event machinery the
//! long work runs on. No HTTP, GraphQL or job-queue types appear here; the queue is
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
pub mod settings;
pub mod stock;
pub mod stores;
mod wire_enum;

pub use entities;
pub use error::{DomainError, ErrorCode, FieldError};
pub use services::Services;

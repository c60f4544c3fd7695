//! Orders in: Magento orders captured into the log as pending orders with their stock
//! allocated at once, from three sources that all call [`capture::Capturer`]: signed
//! notifications ([`notifications`], one `ORDER_CAPTURE` job each), the always-on poller
//! ([`poll`], `ORDERS_POLL`) and "Load Orders" ([`load`], `ORDERS_LOAD`). [`rules`]
//! decides which orders qualify, [`lines`] what they mean for stock, and [`log`] reads
//! the log and the pending orders and deletes entries.

pub mod capture;
pub mod lines;
pub mod load;
pub mod log;
pub mod notifications;
pub mod poll;
pub mod rules;

pub use capture::{Capturer, Outcome, PENDING_ORDER_REFERENCE};
pub use lines::HoldCode;
pub use rules::Verdict;

use entities::enums::JobItemOutcome;

use crate::error::DomainError;
use crate::jobs::{ItemError, ItemErrorCode, ItemRecord};

/// How a job reports what capture did with one order.
pub(crate) fn item_of(index: i32, key: String, outcome: &Outcome) -> ItemRecord {
    let (state, code, message) = match outcome {
        Outcome::Captured { held: None, .. } => (
            JobItemOutcome::Succeeded,
            ItemErrorCode::Captured,
            "captured as a pending order",
        ),
        Outcome::Captured { held: Some(_), .. } => (
            JobItemOutcome::Succeeded,
            ItemErrorCode::Captured,
            "captured as a pending order, held with a reason",
        ),
        Outcome::AlreadyCaptured { .. } => (
            JobItemOutcome::Skipped,
            ItemErrorCode::AlreadyCaptured,
            "already in the log",
        ),
        Outcome::Cancelled { .. } => (
            JobItemOutcome::Succeeded,
            ItemErrorCode::CancelledInMagento,
            "cancelled in Magento: its pending order was dropped and its stock freed",
        ),
        Outcome::Skipped(Verdict::NotYet) => (
            JobItemOutcome::Skipped,
            ItemErrorCode::NotCapturedByRule,
            "does not meet \"Capture order when it is\" yet",
        ),
        Outcome::Skipped(Verdict::OtherStoreView) => (
            JobItemOutcome::Skipped,
            ItemErrorCode::OtherStoreView,
            "placed in a store view \"Magento Store\" does not load",
        ),
        Outcome::Skipped(Verdict::NotLoaded) => (
            JobItemOutcome::Skipped,
            ItemErrorCode::NotLoaded,
            "\"Magento Store\" is \"Do not load\"",
        ),
        Outcome::Skipped(Verdict::Cancelled) => (
            JobItemOutcome::Skipped,
            ItemErrorCode::CancelledInMagento,
            "cancelled in Magento before it was captured",
        ),
        Outcome::Skipped(Verdict::Capture) | Outcome::Unknown => (
            JobItemOutcome::Skipped,
            ItemErrorCode::NotInMagento,
            "not in Magento and never captured",
        ),
    };
    ItemRecord::with_outcome(index, key, state, Some(ItemError::new(code, message)))
}

/// The failed item for a capture the ledger refused (a cancellation whose sale cannot be
/// voided, say); `None` for a failure worth another attempt (the database away), which
/// fails the attempt instead.
pub(crate) fn refused_item(index: i32, key: String, err: &DomainError) -> Option<ItemRecord> {
    let error = match err {
        DomainError::Invalid(errors) => ItemError::refused(errors),
        DomainError::NotFound { entity } => {
            ItemError::new(ItemErrorCode::NotFound, format!("{entity} not found"))
        }
        DomainError::Magento(m) if !m.is_retryable() => ItemError::magento(m),
        _ => return None,
    };
    Some(ItemRecord::new(index, key, Some(error)))
}

//! The sale's overall status, as DEAR lists sales: derived from the order, its
//! fulfilments, invoice and credit notes, never stored (so it cannot disagree with them).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use entities::enums::{CreditNoteStatus, OrderStatus, SaleInvoiceStatus, StageStatus};

use super::read::SaleRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleStatus {
    Draft,
    /// Authorised, nothing picked yet.
    Ordered,
    /// A pick is open (draft), or only part of the order is picked.
    Picking,
    Picked,
    Packed,
    Shipped,
    /// Shipped in full and its invoice paid.
    Completed,
    /// An authorised credit note stands against it.
    Credited,
    Voided,
}

impl SaleRecord {
    pub fn status(&self) -> SaleStatus {
        match self.sale.order_status {
            OrderStatus::Voided => return SaleStatus::Voided,
            OrderStatus::Draft => return SaleStatus::Draft,
            OrderStatus::Authorised => {}
        }
        if self
            .credit_notes
            .iter()
            .any(|c| c.credit_note.status == CreditNoteStatus::Authorised)
        {
            return SaleStatus::Credited;
        }
        let reached = |stage: fn(&super::read::FulfilmentRecord) -> StageStatus| {
            self.covered_by(|f| stage(f) == StageStatus::Authorised)
        };
        let paid = self
            .invoices
            .iter()
            .any(|i| i.invoice.status == SaleInvoiceStatus::Paid);
        if reached(|f| f.fulfilment.ship_status) {
            return if paid {
                SaleStatus::Completed
            } else {
                SaleStatus::Shipped
            };
        }
        if reached(|f| f.fulfilment.pack_status) {
            return SaleStatus::Packed;
        }
        if reached(|f| f.fulfilment.pick_status) {
            return SaleStatus::Picked;
        }
        if self
            .fulfilments
            .iter()
            .any(|f| f.fulfilment.pick_status != StageStatus::Voided)
        {
            return SaleStatus::Picking;
        }
        SaleStatus::Ordered
    }

    /// Whether the fulfilments passing `stage` cover every line's whole quantity.
    fn covered_by(&self, stage: impl Fn(&super::read::FulfilmentRecord) -> bool) -> bool {
        let mut covered: BTreeMap<Uuid, Decimal> = BTreeMap::new();
        for fulfilment in self.fulfilments.iter().filter(|f| stage(f)) {
            for line in &fulfilment.lines {
                *covered.entry(line.sale_line_id).or_default() += line.quantity;
            }
        }
        !self.lines.is_empty()
            && self
                .lines
                .iter()
                .all(|l| covered.get(&l.id).copied().unwrap_or_default() >= l.quantity)
    }
}

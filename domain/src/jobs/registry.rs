//! Every job type, once.

use super::JobKind;
use super::job::JobType;
use crate::channel::magento::export::bulk_listing::BulkListing;
use crate::channel::magento::export::stock_push::StockPush;
use crate::channel::magento::import::customers::CustomersDownload;
use crate::channel::magento::import::orders::load::OrdersLoad;
use crate::channel::magento::import::orders::notifications::OrderCapture;
use crate::channel::magento::import::orders::poll::OrdersPoll;
use crate::channel::magento::import::products::ProductsDownload;
use crate::channel::magento::import::stock::StockImport;
use crate::channel::magento::stores::metadata::MetadataRefresh;

const TYPES: &[JobType] = &[
    JobType::of::<MetadataRefresh>(),
    JobType::of::<CustomersDownload>(),
    JobType::of::<ProductsDownload>(),
    JobType::of::<BulkListing>(),
    JobType::of::<StockPush>(),
    JobType::of::<StockImport>(),
    JobType::of::<OrderCapture>(),
    JobType::of::<OrdersPoll>(),
    JobType::of::<OrdersLoad>(),
];

pub(crate) fn job_type(kind: JobKind) -> Option<&'static JobType> {
    TYPES.iter().find(|t| t.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_kind_has_exactly_one_type() {
        for kind in JobKind::ALL {
            let types = TYPES.iter().filter(|t| t.kind == *kind).count();
            assert_eq!(types, 1, "{kind:?}");
        }
    }
}

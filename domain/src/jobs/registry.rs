//! Every job type, once.

use super::JobKind;
use super::job::JobType;
use crate::customers::download::CustomersDownload;
use crate::listing::bulk::BulkListing;
use crate::listing::download::ProductsDownload;
use crate::listing::stock_import::StockImport;
use crate::listing::stock_sync::StockPush;
use crate::stores::metadata::MetadataRefresh;

const TYPES: &[JobType] = &[
    JobType::of::<MetadataRefresh>(),
    JobType::of::<CustomersDownload>(),
    JobType::of::<ProductsDownload>(),
    JobType::of::<BulkListing>(),
    JobType::of::<StockPush>(),
    JobType::of::<StockImport>(),
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

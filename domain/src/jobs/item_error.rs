//! Why one item of a job failed or was skipped: a code from a closed set (the GraphQL
//! enum `JobItemErrorCode`, so a dashboard can group by it) and a message a merchant
//! reads. A ledger refusal names the fields in words, never an API path.

use magento::MagentoError;

use crate::error::{ErrorCode, FieldError};
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Every code a job item can carry; `job_items.error_code` stores its name.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ItemErrorCode {
        /// The ledger refused the item: its validation codes.
        RequiresSetting => "REQUIRES_SETTING",
        OutOfRange => "OUT_OF_RANGE",
        NotFound => "NOT_FOUND",
        InvalidCombination => "INVALID_COMBINATION",
        AlreadyExists => "ALREADY_EXISTS",
        Invalid => "INVALID",
        DescriptionMissing => "DESCRIPTION_MISSING",
        ImageMissing => "IMAGE_MISSING",
        DefaultLocationMissing => "DEFAULT_LOCATION_MISSING",
        AttributeSetMissing => "ATTRIBUTE_SET_MISSING",
        InsufficientStock => "INSUFFICIENT_STOCK",
        /// Magento refused the credentials, could not be reached, or refused the item.
        InvalidCredentials => "INVALID_CREDENTIALS",
        StoreUnreachable => "STORE_UNREACHABLE",
        MagentoError => "MAGENTO_ERROR",
        /// Downloads: what a Magento product or customer lacks to become a ledger record.
        SkuMissing => "SKU_MISSING",
        NameMissing => "NAME_MISSING",
        UnsupportedType => "UNSUPPORTED_TYPE",
        OptionsUnsupported => "OPTIONS_UNSUPPORTED",
        OptionValuesMissing => "OPTION_VALUES_MISSING",
        VariantNotSimple => "VARIANT_NOT_SIMPLE",
        DuplicateSku => "DUPLICATE_SKU",
        ParentFailed => "PARENT_FAILED",
        AlreadyListed => "ALREADY_LISTED",
        AddressUnusable => "ADDRESS_UNUSABLE",
        /// Listing and stock operations.
        NotListed => "NOT_LISTED",
        NotAStockProduct => "NOT_A_STOCK_PRODUCT",
        NoStockOfItsOwn => "NO_STOCK_OF_ITS_OWN",
        HasStockMovements => "HAS_STOCK_MOVEMENTS",
        NoMagentoStock => "NO_MAGENTO_STOCK",
        SourceNotMapped => "SOURCE_NOT_MAPPED",
        /// A note on an imported item: Magento's negative quantity came in as 0.
        NegativeInMagento => "NEGATIVE_IN_MAGENTO",
        /// Order capture: a note on a captured order, and why an order was not.
        Captured => "CAPTURED",
        AlreadyCaptured => "ALREADY_CAPTURED",
        NotCapturedByRule => "NOT_CAPTURED_BY_RULE",
        OtherStoreView => "OTHER_STORE_VIEW",
        NotLoaded => "NOT_LOADED",
        /// Cancelled in Magento: never captured, or its pending order dropped now.
        CancelledInMagento => "CANCELLED_IN_MAGENTO",
        /// Gone from Magento (404 on re-read).
        NotInMagento => "NOT_IN_MAGENTO",
        /// The order has no entity id to file it under.
        MalformedOrder => "MALFORMED_ORDER",
    }
}

impl From<ErrorCode> for ItemErrorCode {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::RequiresSetting => Self::RequiresSetting,
            ErrorCode::OutOfRange => Self::OutOfRange,
            ErrorCode::NotFound => Self::NotFound,
            ErrorCode::InvalidCombination => Self::InvalidCombination,
            ErrorCode::InvalidCredentials => Self::InvalidCredentials,
            ErrorCode::StoreUnreachable => Self::StoreUnreachable,
            ErrorCode::MagentoError => Self::MagentoError,
            ErrorCode::AlreadyExists => Self::AlreadyExists,
            ErrorCode::Invalid => Self::Invalid,
            ErrorCode::DescriptionMissing => Self::DescriptionMissing,
            ErrorCode::ImageMissing => Self::ImageMissing,
            ErrorCode::DefaultLocationMissing => Self::DefaultLocationMissing,
            ErrorCode::AttributeSetMissing => Self::AttributeSetMissing,
            ErrorCode::InsufficientStock => Self::InsufficientStock,
        }
    }
}

/// Why one item of a job failed: a code for grouping and a message for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub code: ItemErrorCode,
    pub message: String,
}

impl ItemError {
    pub fn new(code: ItemErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An item the ledger refused: the first error's code, every error in words.
    pub fn refused(errors: &[FieldError]) -> Self {
        Self {
            code: errors
                .first()
                .map_or(ItemErrorCode::Invalid, |e| e.code.into()),
            message: errors
                .iter()
                .map(FieldError::in_words)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// An item Magento refused or failed.
    pub fn magento(err: &MagentoError) -> Self {
        let code = match err {
            MagentoError::InvalidCredentials { .. }
            | MagentoError::SignatureMethodRejected { .. } => ItemErrorCode::InvalidCredentials,
            MagentoError::Unreachable { .. } | MagentoError::Timeout => {
                ItemErrorCode::StoreUnreachable
            }
            _ => ItemErrorCode::MagentoError,
        };
        Self::new(code, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_its_wire_name() {
        for code in ItemErrorCode::ALL {
            assert_eq!(ItemErrorCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(ItemErrorCode::parse("NOPE"), None);
    }

    #[test]
    fn a_refused_item_names_the_fields_in_words_not_an_api_path() {
        let error = ItemError::refused(&[
            FieldError::new(
                &["lines", "3", "productId"],
                ErrorCode::NotFound,
                "no such product",
            ),
            FieldError::new(
                &["bufferInventory"],
                ErrorCode::OutOfRange,
                "at most 99,999,999",
            ),
        ]);
        assert_eq!(error.code, ItemErrorCode::NotFound);
        assert_eq!(
            error.message,
            "line 4, product: no such product; buffer inventory: at most 99,999,999"
        );
        assert!(!error.message.contains("input"), "{}", error.message);
    }
}

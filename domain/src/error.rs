use magento::MagentoError;
use sea_orm::DbErr;

use crate::secrets::SecretError;

/// What a caller can fix: the code tells the kind, `field` the input path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    RequiresSetting,
    OutOfRange,
    NotFound,
    InvalidCombination,
    InvalidCredentials,
    StoreUnreachable,
    MagentoError,
    AlreadyExists,
    Invalid,
    /// Listing prerequisites (spec: "every item needs a description, item image, and
    /// default location", and an attribute set to be created in Magento).
    DescriptionMissing,
    ImageMissing,
    DefaultLocationMissing,
    AttributeSetMissing,
    /// A change would take on hand below zero at a location.
    InsufficientStock,
}

impl ErrorCode {
    /// The wire name (the GraphQL enum value, and a job item's error code).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::RequiresSetting => "REQUIRES_SETTING",
            ErrorCode::OutOfRange => "OUT_OF_RANGE",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidCombination => "INVALID_COMBINATION",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::StoreUnreachable => "STORE_UNREACHABLE",
            ErrorCode::MagentoError => "MAGENTO_ERROR",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::Invalid => "INVALID",
            ErrorCode::DescriptionMissing => "DESCRIPTION_MISSING",
            ErrorCode::ImageMissing => "IMAGE_MISSING",
            ErrorCode::DefaultLocationMissing => "DEFAULT_LOCATION_MISSING",
            ErrorCode::AttributeSetMissing => "ATTRIBUTE_SET_MISSING",
            ErrorCode::InsufficientStock => "INSUFFICIENT_STOCK",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Vec<String>,
    pub message: String,
    pub code: ErrorCode,
}

impl FieldError {
    /// `path` is the GraphQL input path, e.g. `["input", "bufferInventory"]`.
    pub fn new(path: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
            code,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The object does not exist in the caller's organisation (whether it exists in
    /// another one is never revealed).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// Business validation failed; nothing was saved.
    #[error("invalid input: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("Magento: {0}")]
    Magento(#[from] MagentoError),
    #[error("secrets: {0}")]
    Secrets(#[from] SecretError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("job queue: {0}")]
    Queue(String),
}

impl DomainError {
    pub fn invalid(path: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(path, code, message)])
    }
}

impl From<sea_orm::TransactionError<DomainError>> for DomainError {
    fn from(err: sea_orm::TransactionError<DomainError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => DomainError::Db(db),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

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
    /// `path` names the domain field, e.g. `["bufferInventory"]` or `["lines", "3", "productId"]`;
    /// the API maps it to its own input path, a job reports it in words.
    pub fn new(path: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
            code,
        }
    }
}

impl FieldError {
    /// The error as a merchant reads it, the field in words: `["lines", "3",
    /// "productId"]` is "line 4, product". Jobs report refusals this way; the API maps
    /// the path to its own input instead.
    pub fn in_words(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for segment in self.field.iter().filter(|s| *s != "input") {
            match (segment.parse::<u64>(), parts.last_mut()) {
                (Ok(index), Some(list)) => *list = format!("{} {}", singular(list), index + 1),
                (Ok(index), None) => parts.push(format!("item {}", index + 1)),
                (Err(_), _) => parts.push(words(segment)),
            }
        }
        if parts.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", parts.join(", "), self.message)
        }
    }
}

/// `bufferInventory` → "buffer inventory", `productId` → "product".
fn words(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    match out.strip_suffix(" id") {
        Some(stem) if !stem.is_empty() => stem.to_owned(),
        _ => out,
    }
}

fn singular(plural: &str) -> String {
    if let Some(stem) = plural.strip_suffix("sses") {
        format!("{stem}ss")
    } else if let Some(stem) = plural.strip_suffix("ies") {
        format!("{stem}y")
    } else {
        plural.strip_suffix('s').unwrap_or(plural).to_owned()
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

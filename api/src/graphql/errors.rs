use async_graphql::{Enum, ErrorExtensions, SimpleObject};

use domain::DomainError;
use domain::auth::Role;

/// A business failure the caller can fix, in a mutation's payload.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// Path of the offending argument, e.g. `["input", "bufferInventory"]`.
    pub field: Vec<String>,
    pub message: String,
    pub code: UserErrorCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::ErrorCode")]
pub enum UserErrorCode {
    RequiresSetting,
    OutOfRange,
    NotFound,
    InvalidCombination,
    InvalidCredentials,
    StoreUnreachable,
    MagentoError,
    AlreadyExists,
    Invalid,
    DescriptionMissing,
    ImageMissing,
    DefaultLocationMissing,
    AttributeSetMissing,
    InsufficientStock,
}

pub fn unauthenticated() -> async_graphql::Error {
    async_graphql::Error::new("a valid API key is required (Authorization: Bearer <key>)")
        .extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
}

pub fn forbidden(needed: Role) -> async_graphql::Error {
    async_graphql::Error::new(format!("this needs the {needed:?} role"))
        .extend_with(|_, e| e.set("code", "FORBIDDEN"))
}

pub fn bad_input(message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, e| e.set("code", "BAD_USER_INPUT"))
}

/// Logs the cause under an id and tells the caller only the id.
pub fn internal(err: impl std::fmt::Display) -> async_graphql::Error {
    let error_id = uuid::Uuid::new_v4();
    tracing::error!(%error_id, error = %err, "internal error");
    async_graphql::Error::new(format!("internal error (id {error_id})")).extend_with(move |_, e| {
        e.set("code", "INTERNAL");
        e.set("errorId", error_id.to_string());
    })
}

/// Sorts a domain failure into userErrors (what the caller can fix) or a top-level
/// error (what it cannot). `not_found_field` names the argument an unknown object
/// came from.
///
/// This is where the domain's field names become GraphQL paths: the domain names its
/// fields (`["lines", "3", "productId"]`, `["bufferInventory"]`), relative to what the
/// mutation passes it; a mutation whose arguments sit in an `input` object (its
/// `not_found_field` starts with `input`) reports them under `input`.
pub fn user_errors(
    err: DomainError,
    not_found_field: &[&str],
) -> async_graphql::Result<Vec<UserError>> {
    let root: &[&str] = match not_found_field.first() {
        Some(&"input") => &["input"],
        _ => &[],
    };
    user_errors_under(err, root, not_found_field)
}

/// [`user_errors`] for a mutation whose domain fields sit under `root` while the
/// unknown object came from elsewhere (`storeUpdateSettings(storeId, input)`).
pub fn user_errors_under(
    err: DomainError,
    root: &[&str],
    not_found_field: &[&str],
) -> async_graphql::Result<Vec<UserError>> {
    match err {
        DomainError::Invalid(errors) => Ok(errors
            .into_iter()
            .map(|e| UserError {
                field: root
                    .iter()
                    .map(|s| (*s).to_owned())
                    .chain(e.field)
                    .collect(),
                message: e.message,
                code: e.code.into(),
            })
            .collect()),
        DomainError::NotFound { entity } => Ok(vec![UserError {
            field: not_found_field.iter().map(|s| (*s).to_owned()).collect(),
            message: format!("{entity} not found"),
            code: UserErrorCode::NotFound,
        }]),
        DomainError::Magento(m) => Ok(vec![UserError {
            field: Vec::new(),
            message: m.to_string(),
            code: UserErrorCode::MagentoError,
        }]),
        other => Err(internal(other)),
    }
}

/// A domain result as a payload: the object, or the userErrors explaining why not.
pub fn payload<T, U, P>(
    result: Result<T, DomainError>,
    not_found_field: &[&str],
    wrap: impl FnOnce(T) -> U,
    build: impl FnOnce(Option<U>, Vec<UserError>) -> P,
) -> async_graphql::Result<P> {
    match result {
        Ok(value) => Ok(build(Some(wrap(value)), Vec::new())),
        Err(err) => Ok(build(None, user_errors(err, not_found_field)?)),
    }
}

/// For queries: an unknown object is `null`; anything else but NotFound is internal.
pub fn optional<T>(result: Result<T, DomainError>) -> async_graphql::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(DomainError::NotFound { .. }) => Ok(None),
        Err(err) => Err(internal(err)),
    }
}

pub fn query<T>(result: Result<T, DomainError>) -> async_graphql::Result<T> {
    result.map_err(internal)
}

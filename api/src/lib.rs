//! The HTTP + GraphQL adapter and the `stockbridge` binary's commands. Thin: it
//! authenticates, decodes arguments, calls the domain and maps its errors.

pub mod config;
pub mod demo;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod runtime;

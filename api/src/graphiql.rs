//! GraphiQL, served entirely by the binary so it works on a server without internet:
//! our page (`web/graphiql/index.html`) and pinned vendored assets (`web/graphiql/VENDORED.md`).

use actix_web::http::header;
use actix_web::middleware::Compress;
use actix_web::{HttpResponse, web};

struct Asset {
    file: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

macro_rules! asset {
    ($file:literal, $content_type:expr) => {
        Asset {
            file: $file,
            content_type: $content_type,
            body: include_bytes!(concat!("../web/graphiql/", $file)),
        }
    };
}

/// Each file name carries its package's version, so a URL's content never changes.
const ASSETS: &[Asset] = &[
    asset!("graphiql-4.1.2.min.css", CSS),
    asset!("graphiql-4.1.2.min.js", JS),
    asset!("react-18.3.1.production.min.js", JS),
    asset!("react-dom-18.3.1.production.min.js", JS),
    asset!("graphql-ws-6.4.2.min.js", JS),
];

const PAGE: &str = include_str!("../web/graphiql/index.html");

/// `GET /graphql/assets/{file}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql/assets/{file}")
            .wrap(Compress::default())
            .route(web::get().to(asset)),
    );
}

/// The page changes with our releases, so browsers revalidate it every time.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

async fn asset(file: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.file == file.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::{ASSETS, PAGE};

    #[test]
    fn the_page_references_exactly_the_served_assets() {
        let referenced: Vec<&str> = PAGE
            .split("graphql/assets/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        let mut served: Vec<&str> = ASSETS.iter().map(|a| a.file).collect();
        let mut sorted = referenced.clone();
        sorted.sort_unstable();
        served.sort_unstable();
        assert_eq!(sorted, served);
    }
}

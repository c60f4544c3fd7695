//! The shop's media folder, as its web server serves it: product images under
//! `/media/catalog/product/{file}` (the store config's `base_media_url` plus
//! `catalog/product`), unsigned, outside the REST API and its request counts.
//!
//! What is served:
//! - an image uploaded through `POST products/{sku}/media`, with the bytes it was sent;
//! - the media library: images in the folder that no product uses yet, as a merchant
//!   uploads them before creating the products ([`MEDIA_LIBRARY`]);
//! - any other file a product's gallery names (the seeded and generated catalogue name
//!   files nobody uploaded): a small PNG of one colour, the colour taken from the path,
//!   so each image is stable and two images differ.
//!
//! Anything else is a 404, as a missing file is on a real shop.

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::Method;
use serde_json::{Value, json};

use crate::State;
use crate::query::raw_url_decode;
use crate::response::json_response;
use crate::shop::Shop;

/// Where product images live under the shop's base URL.
pub const PRODUCT_MEDIA_PATH: &str = "/media/catalog/product";

/// Files of the media library, as gallery `file` paths: images no product uses.
pub const MEDIA_LIBRARY: &[&str] = &["/s/t/storm-lantern.png", "/c/a/canvas-tote.png"];

/// Width and height of a generated image, in pixels.
const GENERATED_SIZE: u32 = 32;

/// One file of the media folder with its bytes.
pub(crate) struct StoredImage {
    pub mime_type: &'static str,
    pub data: Vec<u8>,
    /// The product it was uploaded for; `None` for the media library.
    pub sku: Option<String>,
}

/// The files the folder holds itself (uploads and the library), by gallery `file` path.
pub(crate) type MediaFolder = HashMap<String, StoredImage>;

/// The media library's files, generated.
pub(crate) fn library() -> MediaFolder {
    MEDIA_LIBRARY
        .iter()
        .map(|file| {
            let image = StoredImage {
                mime_type: "image/png",
                data: generated_image(file),
                sku: None,
            };
            ((*file).to_owned(), image)
        })
        .collect()
}

/// Answers `GET` and `HEAD` of `/media/catalog/product/{file}`; `None` when the path
/// is not a product image path.
pub(crate) fn serve(method: &Method, path: &str, state: &State) -> Option<HttpResponse> {
    let file = path.strip_prefix(PRODUCT_MEDIA_PATH)?;
    if !file.starts_with('/') {
        return None;
    }
    if method != Method::GET && method != Method::HEAD {
        return Some(HttpResponse::MethodNotAllowed().finish());
    }
    let file = raw_url_decode(file);
    let shop = state.shop.read().unwrap_or_else(|e| e.into_inner());
    let (mime_type, data) = match shop.media.get(&file) {
        Some(stored) => (stored.mime_type, stored.data.clone()),
        None if referenced(&shop, &file) => ("image/png", generated_image(&file)),
        None => return Some(not_found()),
    };
    drop(shop);
    let mut response = HttpResponse::Ok();
    response.content_type(mime_type);
    Some(if method == Method::HEAD {
        response.no_chunking(data.len() as u64).finish()
    } else {
        response.body(data)
    })
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
        )
}

/// Whether a product's gallery names `file`.
fn referenced(shop: &Shop, file: &str) -> bool {
    shop.products.iter().any(|product| {
        product["media_gallery_entries"]
            .as_array()
            .is_some_and(|entries| entries.iter().any(|e| e["file"] == file))
    })
}

/// `GET /sandbox/media`: the files the folder holds itself, uploads with their product.
pub(crate) fn control(state: &State) -> HttpResponse {
    let shop = state.shop.read().unwrap_or_else(|e| e.into_inner());
    let mut files: Vec<Value> = shop
        .media
        .iter()
        .map(|(file, stored)| {
            json!({
                "file": file,
                "url_path": format!("{PRODUCT_MEDIA_PATH}{file}"),
                "sku": stored.sku,
                "mime_type": stored.mime_type,
                "bytes": stored.data.len(),
            })
        })
        .collect();
    drop(shop);
    files.sort_by(|a, b| a["file"].as_str().cmp(&b["file"].as_str()));
    json_response(actix_web::http::StatusCode::OK, &json!({ "files": files }))
}

/// The image served for a file nobody uploaded: one colour, from the path's hash.
pub(crate) fn generated_image(file: &str) -> Vec<u8> {
    // FNV-1a: stable across runs and platforms, unlike the standard library's hasher.
    let hash = file.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    let [r, g, b, _] = hash.to_be_bytes();
    solid_png(GENERATED_SIZE, GENERATED_SIZE, [r, g, b])
}

/// A PNG of one colour: 8-bit RGB, no filter, its pixels in uncompressed ("stored")
/// deflate blocks, which every decoder reads.
pub fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    // Each line: filter type 0 (none), then its pixels.
    let mut line = Vec::with_capacity(1 + 3 * width as usize);
    line.push(0);
    for _ in 0..width {
        line.extend_from_slice(&rgb);
    }
    let pixels = line.repeat(height as usize);
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &header);
    png_chunk(&mut png, b"IDAT", &zlib_stored(&pixels));
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored deflate blocks (at most 65 535 bytes each).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    // CMF 0x78 (deflate, 32 KiB window), FLG 0x01: no dictionary, check bits valid.
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(usize::from(u16::MAX)).peekable();
    if data.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let length = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    const MODULUS: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % MODULUS;
        b = (b + a) % MODULUS;
    }
    (b << 16) | a
}

/// CRC-32 (IEEE), bit by bit: the images are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksums_match_their_published_check_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn a_generated_image_is_stable_and_differs_by_path() {
        assert_eq!(generated_image("/a/b/x.jpg"), generated_image("/a/b/x.jpg"));
        assert_ne!(generated_image("/a/b/x.jpg"), generated_image("/a/b/y.jpg"));
    }
}

//! The shop's media folder: every image a product's gallery names is served under the
//! store's media URL as a real, decodable image; an image uploaded through the REST API
//! is served with the bytes it was sent; the media library serves images no product
//! uses yet; anything else is a 404, and none of it counts as a REST request.

mod common;

use std::io::Read;

use magento::ClientOptions;
use magento::dto::{MAIN_IMAGE_ROLES, MediaEntryInput};
use magento::search::SearchCriteria;
use sandbox::{GenerateSpec, MEDIA_LIBRARY, RunningSandbox, SandboxOptions};
use serde_json::json;

use common::{connect, control_ok, requests, start, start_with};

/// `(status, content type, body)` of a plain GET.
async fn fetch(url: &str) -> (u16, String, Vec<u8>) {
    let response = reqwest::get(url).await.expect("answered");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        response.bytes().await.expect("body").to_vec(),
    )
}

/// A decoded 8-bit RGB PNG: `(width, height, pixels of the first row)`. Every chunk's
/// CRC is checked, and the image data is inflated by `flate2` (which checks the zlib
/// stream's own checksum).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let body = bytes
        .strip_prefix(b"\x89PNG\r\n\x1a\n".as_slice())
        .expect("a PNG signature");
    let mut at = 0;
    let (mut header, mut data) = (Vec::new(), Vec::new());
    loop {
        let length = u32::from_be_bytes(body[at..at + 4].try_into().expect("length")) as usize;
        let kind = &body[at + 4..at + 8];
        let content = &body[at + 8..at + 8 + length];
        let stored_crc = u32::from_be_bytes(
            body[at + 8 + length..at + 12 + length]
                .try_into()
                .expect("crc"),
        );
        let mut crc = flate2::Crc::new();
        crc.update(&body[at + 4..at + 8 + length]);
        assert_eq!(crc.sum(), stored_crc, "the CRC of {kind:?}");
        match kind {
            b"IHDR" => header = content.to_vec(),
            b"IDAT" => data.extend_from_slice(content),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + length;
    }
    let width = u32::from_be_bytes(header[0..4].try_into().expect("width"));
    let height = u32::from_be_bytes(header[4..8].try_into().expect("height"));
    assert_eq!(&header[8..10], &[8, 2], "8-bit RGB");
    let mut pixels = Vec::new();
    flate2::read::ZlibDecoder::new(data.as_slice())
        .read_to_end(&mut pixels)
        .expect("the image data inflates");
    let row = 1 + 3 * width as usize;
    assert_eq!(pixels.len(), row * height as usize, "one row per line");
    (width, height, pixels[1..row].to_vec())
}

fn assert_an_image(url: &str, (status, content_type, body): &(u16, String, Vec<u8>)) {
    assert_eq!(*status, 200, "{url}");
    assert_eq!(content_type, "image/png", "{url}");
    let (width, height, _) = decode_png(body);
    assert!(width > 0 && height > 0, "{url}");
}

#[tokio::test]
async fn a_seeded_products_image_url_answers_a_decodable_image() {
    let sandbox = start().await;
    for file in ["/h/t/ht-tee-front.jpg", "/m/u/mug-11oz-blk.jpg"] {
        let url = sandbox.media_url(file);
        assert_an_image(&url, &fetch(&url).await);
    }
    let front = fetch(&sandbox.media_url("/h/t/ht-tee-front.jpg")).await.2;
    let back = fetch(&sandbox.media_url("/h/t/ht-tee-back.jpg")).await.2;
    assert_ne!(
        decode_png(&front).2,
        decode_png(&back).2,
        "two images, two colours"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn the_media_url_is_the_store_configs_base_media_url() {
    let sandbox = start().await;
    let client = connect(&sandbox, ClientOptions::default());
    let configs = client.store_configs().await.expect("store configs");
    let base = configs[0].base_media_url.clone().expect("a media URL");
    assert_eq!(
        format!("{base}catalog/product/m/u/mug-11oz-blk.jpg"),
        sandbox.media_url("/m/u/mug-11oz-blk.jpg")
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn every_generated_products_image_is_served() {
    let sandbox = start_with(SandboxOptions {
        generate: Some(GenerateSpec {
            products: 60,
            orders: 0,
            seed: 7,
        }),
        ..SandboxOptions::default()
    })
    .await;
    let client = connect(&sandbox, ClientOptions::default());
    let products = client
        .products(SearchCriteria::new().filter("type_id", "configurable", "eq"))
        .await
        .expect("products");
    let files: Vec<String> = products
        .iter()
        .flat_map(|p| p.media_gallery_entries.iter().map(|e| e.file.clone()))
        .collect();
    assert!(!files.is_empty(), "the generated configurables have images");
    for file in files {
        let url = sandbox.media_url(&file);
        assert_an_image(&url, &fetch(&url).await);
    }
    sandbox.stop().await;
}

/// An image the sandbox never generates (its own are 32×32).
fn uploaded_png() -> Vec<u8> {
    sandbox::solid_png(2, 1, [255, 0, 0])
}

#[tokio::test]
async fn an_uploaded_image_is_served_with_its_bytes_at_the_entrys_file() {
    let sandbox = start().await;
    let client = connect(&sandbox, ClientOptions::default());
    let data = uploaded_png();
    client
        .add_media_entry(
            "24-UG06",
            &MediaEntryInput {
                label: "Bottle".into(),
                position: 1,
                disabled: false,
                types: MAIN_IMAGE_ROLES.iter().map(|r| (*r).to_owned()).collect(),
                file_name: "bottle.png".into(),
                mime_type: "image/png".into(),
                data: data.clone(),
            },
        )
        .await
        .expect("uploaded");
    let entries = client.media_entries("24-UG06").await.expect("media");
    let file = &entries[0].file;
    let (status, content_type, body) = fetch(&sandbox.media_url(file)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert_eq!(body, data, "the bytes it was sent");

    let listed = control_ok(&sandbox, reqwest::Method::GET, "media", json!({})).await;
    let upload = listed["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["file"] == file.as_str())
        .expect("the upload is listed")
        .clone();
    assert_eq!(upload["sku"], "24-UG06");
    assert_eq!(upload["bytes"], data.len());
    sandbox.stop().await;
}

#[tokio::test]
async fn the_media_library_serves_images_no_product_uses() {
    let sandbox = start().await;
    for file in MEDIA_LIBRARY {
        let url = sandbox.media_url(file);
        assert_an_image(&url, &fetch(&url).await);
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn an_upload_named_like_a_library_file_does_not_overwrite_it() {
    let sandbox = start().await;
    let client = connect(&sandbox, ClientOptions::default());
    let library_file = MEDIA_LIBRARY[0];
    let before = fetch(&sandbox.media_url(library_file)).await.2;
    let name = library_file.rsplit('/').next().expect("a name");
    client
        .add_media_entry(
            "24-UG06",
            &MediaEntryInput {
                label: String::new(),
                position: 1,
                disabled: false,
                types: Vec::new(),
                file_name: name.to_owned(),
                mime_type: "image/png".into(),
                data: uploaded_png(),
            },
        )
        .await
        .expect("uploaded");
    let entries = client.media_entries("24-UG06").await.expect("media");
    assert_ne!(entries[0].file, library_file, "stored under another name");
    assert_eq!(fetch(&sandbox.media_url(library_file)).await.2, before);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_file_no_product_names_is_not_found_and_images_are_not_rest_requests() {
    let sandbox: RunningSandbox = start().await;
    let before = requests(&sandbox).await;
    assert_eq!(
        fetch(&sandbox.media_url("/n/o/nope.jpg")).await.0,
        404,
        "no such file"
    );
    fetch(&sandbox.media_url("/m/u/mug-11oz-blk.jpg")).await;
    assert_eq!(requests(&sandbox).await, before);
    sandbox.stop().await;
}

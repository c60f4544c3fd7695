//! The Magento module in `magento-module/` (what a merchant installs so Magento sends
//! notifications): every PHP file lints clean, and what its signer signs our verifier
//! accepts, byte for byte, while a tampered body is refused. Needs `php` (Debian's
//! `php-cli`; `.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use magento::notification::{NotificationError, verify};

fn module_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../magento-module")
}

fn php() -> Command {
    let probe = Command::new("php").arg("--version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "php is needed for the Magento module's tests (apt-get install -y php-cli)"
    );
    Command::new("php")
}

fn php_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("module directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            php_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "php") {
            found.push(path);
        }
    }
}

#[test]
fn every_php_file_of_the_module_lints_clean() {
    let mut files = Vec::new();
    php_files(&module_dir(), &mut files);
    assert!(files.len() >= 10, "the module's PHP files: {files:?}");
    for file in files {
        let lint = php().arg("-l").arg(&file).output().expect("php ran");
        assert!(
            lint.status.success(),
            "{}: {}{}",
            file.display(),
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

/// The module's `bin/sign.php` signature of `body` at `timestamp`.
fn php_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let file = std::env::temp_dir().join(format!("sb-notification-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, body).expect("body written");
    let signed = php()
        .arg(module_dir().join("bin/sign.php"))
        .arg(secret)
        .arg(timestamp.to_string())
        .arg(&file)
        .output()
        .expect("php ran");
    let _ = std::fs::remove_file(&file);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    String::from_utf8(signed.stdout)
        .expect("text")
        .trim()
        .to_owned()
}

fn notification() -> Vec<u8> {
    br#"{"event_id":"mage-0f3a","event":"order.created","entity_type":"order","entity_id":42,"increment_id":"000000042","store_id":1,"updated_at":"2026-12-04 10:00:00"}"#.to_vec()
}

#[test]
fn what_the_module_signs_our_verifier_accepts() {
    let now = 1_800_000_000;
    let body = notification();
    let signature = php_signature("whsec_module-test", now, &body);

    let received = verify(
        b"whsec_module-test",
        Some(&now.to_string()),
        Some(&signature),
        &body,
        now,
    )
    .expect("accepted");

    assert_eq!(received.entity_id, 42);
    assert_eq!(received.event, "order.created");
}

#[test]
fn a_body_changed_after_the_module_signed_it_is_refused() {
    let now = 1_800_000_000;
    let body = notification();
    let signature = php_signature("whsec_module-test", now, &body);
    let tampered = String::from_utf8(body)
        .expect("text")
        .replace("\"entity_id\":42", "\"entity_id\":43");

    let refused = verify(
        b"whsec_module-test",
        Some(&now.to_string()),
        Some(&signature),
        tampered.as_bytes(),
        now,
    );

    assert_eq!(refused, Err(NotificationError::BadSignature));
}

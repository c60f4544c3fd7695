//! Opaque global IDs: base64url of `Type:uuid`. Decoding proves nothing about access;
//! every lookup is still scoped by the caller's organisation.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::errors::bad_input;

pub fn encode(kind: &str, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

/// The one rule for an ID that names nothing the caller may see: a well-formed ID of
/// another type decodes to the nil uuid, which no record has, so it is answered exactly
/// like an ID of another organisation (`null`, or `NOT_FOUND` at its field). Only a
/// malformed ID is a request error.
pub fn decode(kind: &str, id: &ID) -> async_graphql::Result<Uuid> {
    let raw = URL_SAFE_NO_PAD
        .decode(id.as_str())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| bad_input(format!("'{}' is not an ID", id.as_str())))?;
    let (found_kind, uuid) = raw
        .split_once(':')
        .ok_or_else(|| bad_input("malformed ID"))?;
    let uuid: Uuid = uuid.parse().map_err(|_| bad_input("malformed ID"))?;
    Ok(if found_kind == kind {
        uuid
    } else {
        Uuid::nil()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_decodes_only_as_its_own_type() {
        let uuid = Uuid::new_v4();
        let id = encode("Store", uuid);
        assert_eq!(decode("Store", &id).expect("well formed"), uuid);
        assert_eq!(decode("Job", &id).expect("well formed"), Uuid::nil());
        assert!(decode("Store", &ID("%%%".into())).is_err());
    }
}

//! Entry points for the fuzz targets in `/fuzz` (feature `fuzzing`). Each takes arbitrary bytes,
//! must never panic, and checks the invariants that must hold for whatever it accepts.

use std::collections::BTreeMap;

use time::macros::datetime;

use crate::metadata::{Root, Signed, Targets};
use crate::name::{Gun, RoleName};
use crate::update::{MinimumVersions, TrustedCollection};
use crate::upload;
use crate::verify::{self, Expiry, TrustPinning};

const NOW: time::OffsetDateTime = datetime!(2026-11-22 12:00 UTC);
const GO_ROOT: &[u8] = include_bytes!("../tests/data/repo-full/metadata/root.json");
const GO_GUN: &str = "example.com/vectors/full";

/// Canonical JSON: whatever parses has a canonical form that is a fixed point.
pub fn cjson(data: &[u8]) {
    let Ok(value) = notary_cjson::parse(data) else { return };
    let Ok(canonical) = notary_cjson::to_canonical(&value) else {
        return;
    };
    let reparsed = notary_cjson::parse(&notary_cjson::to_file_form(&canonical));
    assert!(reparsed.is_ok_and(|v| notary_cjson::to_canonical(&v).ok() == Some(canonical)));
}

/// A root from a stranger: parse, then the full root rules.
pub fn parse_signed_root(data: &[u8]) {
    let Ok(root) = Signed::<Root>::parse(data.to_vec()) else {
        return;
    };
    if let Ok(gun) = GO_GUN.parse::<Gun>() {
        let _ = verify::verify_root(
            root,
            None,
            &gun,
            &TrustPinning::TrustOnFirstUse,
            0,
            Expiry::Enforce,
            NOW,
        );
    }
}

/// The client update fed hostile bytes at every step, from a real Go root.
pub fn verify_update(data: &[u8]) {
    let (Ok(gun), Ok(root)) = (GO_GUN.parse::<Gun>(), Signed::<Root>::parse(GO_ROOT.to_vec())) else {
        return;
    };
    let Ok(root) = verify::trust_cached_root(root) else {
        return;
    };
    let mut c = TrustedCollection::new(gun.clone(), root, MinimumVersions::none());
    let _ = c.load_timestamp(data.to_vec(), NOW);
    let _ = c.load_snapshot(data.to_vec(), NOW);
    let _ = c.load_targets(data.to_vec(), NOW);
    if let Ok(role) = "targets/releases".parse::<RoleName>() {
        let _ = c.load_delegation(&role, data.to_vec(), NOW);
    }
    let _ = c.list(&[]);
    // The server's rules over the same bytes as every part.
    let mut uploads = BTreeMap::new();
    for role in ["root", "targets", "snapshot", "targets/a"] {
        if let Ok(role) = role.parse::<RoleName>() {
            uploads.insert(role, data.to_vec());
        }
    }
    let stored: BTreeMap<String, Vec<u8>> = [("root".to_owned(), GO_ROOT.to_vec())].into();
    let _ = upload::validate_update(&gun, &stored, uploads, NOW);
    let _ = Signed::<Targets>::parse(data.to_vec());
}

/// Names from URLs and multipart parts.
pub fn gun_and_role(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(gun) = text.parse::<Gun>() {
        assert_eq!(gun.as_str(), text);
        assert!(!gun.as_str().split('/').any(|s| s == ".." || s.is_empty()));
    }
    if let Ok(role) = text.parse::<RoleName>() {
        assert_eq!(role.as_str(), text);
        let _ = role.parent();
    }
}

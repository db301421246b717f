//! Every canonical-JSON vector produced against Go Notary 0.7 (see tests/data/canonical-json/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::PathBuf;

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/canonical-json")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn canonical_of(input: &[u8]) -> Vec<u8> {
    notary_cjson::to_canonical(&notary_cjson::parse(input).unwrap()).unwrap()
}

#[test]
fn inputs_canonicalise_to_the_bytes_go_accepted() {
    let names = [
        "case1-mixed",
        "floats-as-integers",
        "no-html-escaping",
        "raw-control-chars",
        "utf8-byte-order",
    ];
    for name in names {
        let ours = canonical_of(&data(&format!("{name}.input.json")));
        assert_eq!(ours, data(&format!("{name}.canonical.bin")), "{name}");
        if name != "case1-mixed" {
            assert_ne!(
                ours,
                data(&format!("{name}.WRONG.bin")),
                "{name} must differ from the WRONG bytes"
            );
        }
    }
}

#[test]
fn canonical_bytes_are_a_fixed_point() {
    for name in ["case1-mixed", "utf8-byte-order", "floats-as-integers"] {
        let canonical = data(&format!("{name}.canonical.bin"));
        // Raw control characters make canonical bytes invalid JSON; parse the file form instead.
        assert_eq!(
            canonical_of(&notary_cjson::to_file_form(&canonical)),
            canonical,
            "{name}"
        );
    }
}

#[test]
fn uploaded_file_signed_member_canonicalises_to_the_signed_bytes() {
    let doc = notary_cjson::parse(&data("case1-mixed.uploaded-targets.json")).unwrap();
    let ours = notary_cjson::to_canonical(&doc["signed"]).unwrap();
    assert_eq!(ours, data("case1-mixed.canonical.bin"));
}

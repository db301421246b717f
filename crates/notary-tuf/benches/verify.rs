//! Canonicalise / sign / verify per key type, and verifying a 100,000-target targets file.
//!
//! `cargo bench -p notary-tuf --bench verify`; compare with `openssl speed ecdsap256 ed25519 rsa2048`
//! on the same machine.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::RsaKeyPair;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use notary_tuf::metadata::{self, Delegations, FileMeta, Signed, Targets};
use notary_tuf::sign::PrivateKey;
use notary_tuf::verify::{self, RoleKeySet};
use notary_tuf::{Expires, KeyId, PublicKey};
use time::macros::datetime;

fn targets_body(n: usize) -> Targets {
    let targets = (0..n)
        .map(|i| {
            (
                format!("registry.example.com/team/app/target-{i:06}"),
                FileMeta::of_bytes(&i.to_le_bytes()),
            )
        })
        .collect();
    Targets {
        type_name: "Targets".into(),
        delegations: Delegations::default(),
        expires: Expires::at(datetime!(2030-01-01 0:00 UTC)),
        targets,
        version: 2,
        extra: Default::default(),
    }
}

fn keys() -> Vec<(&'static str, PrivateKey)> {
    vec![
        ("ecdsa", PrivateKey::generate_ecdsa().unwrap()),
        ("ed25519", PrivateKey::generate_ed25519().unwrap()),
        (
            "rsa2048",
            PrivateKey::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).unwrap()),
        ),
    ]
}

fn per_key_type(c: &mut Criterion) {
    let small = targets_body(10);
    let canonical = metadata::canonical_body(&small).unwrap();
    let mut group = c.benchmark_group("small-targets");
    group.bench_function("canonicalise", |b| {
        b.iter(|| metadata::canonical_body(black_box(&small)).unwrap())
    });
    for (name, key) in keys() {
        let public = key.public_key();
        let sig = key.sign(public.key_id(), &canonical).unwrap();
        group.bench_function(format!("sign/{name}"), |b| {
            b.iter(|| key.sign_bytes(black_box(&canonical)).unwrap())
        });
        group.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| public.verify(&sig.method, black_box(&canonical), &sig.sig).unwrap())
        });
    }
    group.finish();
}

fn large_targets(c: &mut Criterion) {
    let key = PrivateKey::generate_ecdsa().unwrap();
    let public: PublicKey = key.public_key();
    let id: KeyId = public.key_id();
    let body = targets_body(100_000);
    let canonical = metadata::canonical_body(&body).unwrap();
    let file = Signed::from_parts(body, vec![key.sign(id.clone(), &canonical).unwrap()])
        .unwrap()
        .raw()
        .to_vec();
    let keys: BTreeMap<&KeyId, &PublicKey> = [(&id, &public)].into();
    let set = RoleKeySet { keys, threshold: 1 };

    let mut group = c.benchmark_group("targets-100k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(file.len() as u64));
    group.bench_function("parse+verify", |b| {
        b.iter(|| {
            let signed = Signed::<Targets>::parse(black_box(file.clone())).unwrap();
            verify::check_signatures("targets", signed.canonical(), signed.signatures(), &set).unwrap();
            signed
        })
    });
    group.bench_function("hash-check", |b| {
        let meta = FileMeta::of_bytes(&file);
        b.iter(|| meta.check_hashes("targets", black_box(&file)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, per_key_type, large_targets);
criterion_main!(benches);

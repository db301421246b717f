//! X.509 certificates inside `ecdsa-x509` / `rsa-x509` keys (`shared/spec/keys.md` §1, §4).
//!
//! Parsing only: Notary never checks a root certificate's own signature (the root's trust comes
//! from signatures over root.json and from pinning); it checks names, dates and algorithms.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey as X509PublicKey;
use x509_parser::x509::{SubjectPublicKeyInfo, X509Version};

use crate::error::CertError;
use crate::name::Gun;

/// One parsed certificate, reduced to what Notary looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    spki: Vec<u8>,
    common_name: Option<String>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    is_ca: bool,
    sha1_signature: bool,
    rsa_bits: Option<usize>,
}

impl Certificate {
    /// Parses one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertError> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| CertError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CertError::Malformed("trailing bytes after certificate".into()));
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
        let spki = cert.public_key();
        Ok(Certificate {
            der: der.to_vec(),
            spki: spki.raw.to_vec(),
            common_name,
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            is_ca: cert.is_ca(),
            sha1_signature: SHA1_SIGNATURE_OIDS.contains(&sig_oid.as_str()),
            rsa_bits: match spki.parsed() {
                Ok(X509PublicKey::RSA(rsa)) => Some(rsa.key_size()),
                _ => None,
            },
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// DER SubjectPublicKeyInfo of the certified key.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The subject common name, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// `notAfter`.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Whether Basic Constraints say CA:TRUE.
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// Whether the subject CN names `gun`: equal, or `prefix*` with the GUN starting with
    /// `prefix` (metadata.md §12.2 step 3).
    pub fn matches_gun(&self, gun: &Gun) -> bool {
        let Some(cn) = self.common_name.as_deref() else {
            return false;
        };
        if cn == gun.as_str() {
            return true;
        }
        cn.ends_with('*') && gun.as_str().starts_with(cn.trim_end_matches('*'))
    }

    /// Checks that do not depend on the clock: no SHA-1 signature, RSA ≥ 2048 bits,
    /// `notBefore` ≤ `notAfter` (keys.md §4.2).
    pub fn check_algorithms(&self) -> Result<(), CertError> {
        if self.sha1_signature {
            return Err(CertError::Sha1Signature);
        }
        if self.rsa_bits.is_some_and(|bits| bits < 2048) {
            return Err(CertError::WeakRsaKey);
        }
        if self.not_before > self.not_after {
            return Err(CertError::Expired {
                common_name: self.cn_for_messages(),
            });
        }
        Ok(())
    }

    /// [`check_algorithms`](Self::check_algorithms) plus validity at `now`: `notBefore` at most
    /// 24 hours ahead, `notAfter` not passed.
    pub fn check_valid_at(&self, now: OffsetDateTime) -> Result<(), CertError> {
        self.check_algorithms()?;
        if self.not_before > now + Duration::hours(24) || self.not_after < now {
            return Err(CertError::Expired {
                common_name: self.cn_for_messages(),
            });
        }
        Ok(())
    }

    fn cn_for_messages(&self) -> String {
        self.common_name.clone().unwrap_or_default()
    }
}

/// A certificate bundle from a key's `public` PEM text: the first certificate, then the others.
#[derive(Clone, Debug)]
pub struct CertChain {
    certs: Vec<Certificate>,
}

impl CertChain {
    /// Parses every `CERTIFICATE` block of `pem_text`; at least one is required, and any other
    /// block type is an error.
    pub fn parse_pem(pem_text: &[u8]) -> Result<CertChain, CertError> {
        let blocks = pem::parse_many(pem_text).map_err(|e| CertError::Malformed(e.to_string()))?;
        if blocks.is_empty() {
            return Err(CertError::Malformed("no PEM certificate found".into()));
        }
        if blocks.len() > MAX_CHAIN_LEN {
            return Err(CertError::Malformed("too many certificates in chain".into()));
        }
        let certs = blocks
            .iter()
            .map(|b| {
                if b.tag() != "CERTIFICATE" {
                    return Err(CertError::Malformed(format!("unexpected PEM block {:?}", b.tag())));
                }
                Certificate::from_der(b.contents())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CertChain { certs })
    }

    /// The first certificate (the leaf of a well-formed bundle).
    pub fn first(&self) -> &Certificate {
        // `parse_pem` refuses empty bundles.
        &self.certs[0]
    }

    /// The leaf and intermediates of a Notary root key: exactly one non-CA certificate, which
    /// must come first (metadata.md §12.2 step 2).
    pub fn leaf_and_intermediates(&self) -> Option<(&Certificate, &[Certificate])> {
        let (leaf, rest) = self.certs.split_first()?;
        if leaf.is_ca || rest.iter().any(|c| !c.is_ca) {
            return None;
        }
        Some((leaf, rest))
    }
}

/// The trust anchors of CA trust pinning: every certificate of a PEM bundle
/// (`shared/spec/client.md` §3 step 3), read as Go's `LoadCertBundleFromPEM` reads it.
///
/// Which anchors are usable depends on the time, so the filtering (no expired, SHA-1 or small-RSA
/// CA certificates) happens in [`crate::verify::verify_root`], at its `now`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaBundle {
    certs: Vec<Certificate>,
}

impl CaBundle {
    /// Parses every PEM block of `pem_text`: each must be a parsable `CERTIFICATE`, and there must
    /// be at least one.
    pub fn parse_pem(pem_text: &[u8]) -> Result<CaBundle, CertError> {
        let blocks = pem::parse_many(pem_text).map_err(|e| CertError::Malformed(e.to_string()))?;
        if blocks.is_empty() {
            return Err(CertError::Malformed("no valid certificates found".into()));
        }
        if blocks.len() > MAX_CA_BUNDLE_LEN {
            return Err(CertError::Malformed("too many certificates in CA bundle".into()));
        }
        let certs = blocks
            .iter()
            .map(|b| {
                if b.tag() != "CERTIFICATE" {
                    return Err(CertError::Malformed(format!("invalid pem block type: {}", b.tag())));
                }
                Certificate::from_der(b.contents())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CaBundle { certs })
    }

    /// The certificates, in file order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certs
    }

    /// The anchors Notary keeps at `now`: those passing [`Certificate::check_valid_at`] (Go's
    /// `ValidateCertificate(cert, true)`; CA:TRUE is not required of them).
    pub fn usable_at(&self, now: OffsetDateTime) -> Vec<&Certificate> {
        self.certs.iter().filter(|c| c.check_valid_at(now).is_ok()).collect()
    }
}

/// Which extended key usages a verified chain must allow (Go's `x509.VerifyOptions.KeyUsages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainUsage {
    /// Go's default, serverAuth: each certificate has no EKU, or anyExtendedKeyUsage, serverAuth
    /// or a Server Gated Crypto purpose (CA trust pinning, keys.md §4.2).
    ServerAuth,
    /// `ExtKeyUsageAny`: extended key usages are not looked at (registry token `x5c` chains,
    /// server-behaviour.md §9.2).
    AnyExtendedKeyUsage,
}

/// Whether `leaf` chains to one of `anchors` through some of `intermediates`, as Go's
/// `x509.Certificate.Verify` decides with default options (keys.md §4.2):
/// - every certificate of the chain is within its validity period at `now` (no leeway) and has no
///   critical extension Go does not handle;
/// - each signature verifies under its parent's key (no SHA-1); a parent must be CA:TRUE (a v3
///   parent without Basic Constraints is refused), have `keyCertSign` if it has a Key Usage, and
///   respect its path length;
/// - an anchor equal to the leaf is a chain by itself;
/// - the chain is usable for **serverAuth**: each certificate has no EKU, or anyExtendedKeyUsage,
///   serverAuth or a Server Gated Crypto purpose. Notary's own root certificates
///   (`codeSigning` only) therefore never pass.
///
/// Name constraints are not evaluated: a chain in which a CA has name constraints and the leaf has
/// subject alternative names is refused (stricter than Go).
pub fn chains_to_anchor(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[&Certificate],
    now: OffsetDateTime,
) -> bool {
    chains_to_anchor_for(leaf, intermediates, anchors, now, ChainUsage::ServerAuth)
}

/// [`chains_to_anchor`] with the extended key usage the chain must allow given by `usage`.
pub fn chains_to_anchor_for(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[&Certificate],
    now: OffsetDateTime,
    usage: ChainUsage,
) -> bool {
    let Some(leaf) = ChainNode::parse(leaf) else {
        return false;
    };
    if !leaf.is_valid(&[], now) {
        return false;
    }
    let anchors: Vec<ChainNode<'_>> = anchors.iter().filter_map(|c| ChainNode::parse(c)).collect();
    if anchors.iter().any(|a| a.cert.der == leaf.cert.der) {
        return leaf.allows(usage);
    }
    let intermediates: Vec<ChainNode<'_>> = intermediates.iter().filter_map(ChainNode::parse).collect();
    let mut budget = MAX_SIGNATURE_CHECKS;
    let mut chain = vec![&leaf];
    extend_chain(&mut chain, &anchors, &intermediates, now, usage, &mut budget)
}

/// Go's PEM encoding: optional `Name: value` headers sorted by name and a blank line, base64 in
/// 64-column lines, LF line ends, final newline. Clients recompute key IDs from re-encoded
/// certificates, so any other layout changes the ID (keys.md §4.1).
pub fn pem_encode(tag: &str, headers: &[(&str, &str)], der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 80);
    out.push_str("-----BEGIN ");
    out.push_str(tag);
    out.push_str("-----\n");
    if !headers.is_empty() {
        let mut sorted = headers.to_vec();
        sorted.sort();
        for (name, value) in sorted {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push('\n');
        }
        out.push('\n');
    }
    for line in b64.as_bytes().chunks(64) {
        // Base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(tag);
    out.push_str("-----\n");
    out
}

/// Whether DER SubjectPublicKeyInfo is an EC key on P-256.
pub(crate) fn is_p256_spki(spki: &[u8]) -> bool {
    let Ok((_, info)) = SubjectPublicKeyInfo::from_der(spki) else {
        return false;
    };
    let curve = info
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    info.algorithm.algorithm.to_id_string() == "1.2.840.10045.2.1" && curve.as_deref() == Some("1.2.840.10045.3.1.7")
}

/// The modulus size of a DER SubjectPublicKeyInfo RSA key.
pub(crate) fn rsa_modulus_bits(spki: &[u8]) -> Option<usize> {
    let (_, info) = SubjectPublicKeyInfo::from_der(spki).ok()?;
    match info.parsed().ok()? {
        X509PublicKey::RSA(rsa) => Some(rsa.key_size()),
        _ => None,
    }
}

/// One certificate of a chain being built, with its parsed form.
struct ChainNode<'a> {
    cert: &'a Certificate,
    x509: X509Certificate<'a>,
}

/// Grows `chain` (leaf first) towards an anchor, depth first, as Go's `buildChains` does; true as
/// soon as one complete chain is also usable for `usage`.
fn extend_chain<'n>(
    chain: &mut Vec<&'n ChainNode<'n>>,
    anchors: &'n [ChainNode<'n>],
    intermediates: &'n [ChainNode<'n>],
    now: OffsetDateTime,
    usage: ChainUsage,
    budget: &mut u32,
) -> bool {
    let Some(&child) = chain.last() else {
        return false;
    };
    for anchor in anchors {
        if try_parent(child, anchor, chain, now, budget)
            && chain.iter().all(|c| c.allows(usage))
            && anchor.allows(usage)
        {
            return true;
        }
    }
    for intermediate in intermediates {
        if !intermediate.x509.is_ca() || !try_parent(child, intermediate, chain, now, budget) {
            continue;
        }
        chain.push(intermediate);
        if extend_chain(chain, anchors, intermediates, now, usage, budget) {
            return true;
        }
        chain.pop();
    }
    false
}

/// Whether `parent` can extend `chain` (whose last certificate is `child`): it names the issuer,
/// is not in the chain yet, signed `child` and is valid at `now`. Each signature check spends one
/// unit of `budget`.
fn try_parent(
    child: &ChainNode<'_>,
    parent: &ChainNode<'_>,
    chain: &[&ChainNode<'_>],
    now: OffsetDateTime,
    budget: &mut u32,
) -> bool {
    if parent.x509.subject().as_raw() != child.x509.issuer().as_raw() || chain.iter().any(|c| c.same_as(parent)) {
        return false;
    }
    let Some(left) = budget.checked_sub(1) else {
        return false;
    };
    *budget = left;
    child.is_signed_by(parent) && parent.is_valid(chain, now)
}

impl<'a> ChainNode<'a> {
    fn parse(cert: &'a Certificate) -> Option<ChainNode<'a>> {
        let (_, x509) = X509Certificate::from_der(&cert.der).ok()?;
        Some(ChainNode { cert, x509 })
    }

    /// Go's `isValid` for this certificate above `below` (the chain from the leaf up to its child;
    /// empty for the leaf itself). Intermediates' CA flag is checked by the caller.
    fn is_valid(&self, below: &[&ChainNode<'_>], now: OffsetDateTime) -> bool {
        if self.has_unhandled_critical_extension() || now < self.cert.not_before || now > self.cert.not_after {
            return false;
        }
        if let Some(leaf) = below.first()
            && !matches!(self.x509.name_constraints(), Ok(None))
            && !matches!(leaf.x509.subject_alternative_name(), Ok(None))
        {
            return false;
        }
        match self.x509.basic_constraints() {
            Ok(Some(bc)) => bc
                .value
                .path_len_constraint
                .is_none_or(|max| below.len().saturating_sub(1) <= max as usize),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// Go's `CheckSignatureFrom`: `parent` may sign certificates, and its key verifies this
    /// certificate's signature.
    fn is_signed_by(&self, parent: &ChainNode<'_>) -> bool {
        let may_sign = match parent.x509.basic_constraints() {
            Ok(Some(bc)) => bc.value.ca,
            Ok(None) => parent.x509.version() != X509Version::V3,
            Err(_) => false,
        };
        let cert_sign = match parent.x509.key_usage() {
            Ok(Some(ku)) => ku.value.key_cert_sign() || ku.value.flags == 0,
            Ok(None) => true,
            Err(_) => false,
        };
        may_sign
            && cert_sign
            && !self.cert.sha1_signature
            && self.x509.verify_signature(Some(parent.x509.public_key())).is_ok()
    }

    /// Go's `checkChainForKeyUsage` for `usage` (skipped entirely for `ExtKeyUsageAny`).
    fn allows(&self, usage: ChainUsage) -> bool {
        match usage {
            ChainUsage::ServerAuth => self.allows_server_auth(),
            ChainUsage::AnyExtendedKeyUsage => true,
        }
    }

    /// Go's `checkChainForKeyUsage` for the one usage it asks by default, serverAuth.
    fn allows_server_auth(&self) -> bool {
        let eku = match self.x509.extended_key_usage() {
            Ok(Some(eku)) => eku.value,
            Ok(None) => return true,
            Err(_) => return false,
        };
        let unspecified = !(eku.any
            || eku.server_auth
            || eku.client_auth
            || eku.code_signing
            || eku.email_protection
            || eku.time_stamping
            || eku.ocsp_signing)
            && eku.other.is_empty();
        unspecified
            || eku.any
            || eku.server_auth
            || eku
                .other
                .iter()
                .any(|oid| SERVER_GATED_CRYPTO_OIDS.contains(&oid.to_id_string().as_str()))
    }

    fn has_unhandled_critical_extension(&self) -> bool {
        self.x509
            .extensions()
            .iter()
            .any(|e| e.critical && !GO_HANDLED_EXTENSION_OIDS.contains(&e.oid.to_id_string().as_str()))
    }

    /// Go's `alreadyInChain`: same subject and same key.
    fn same_as(&self, other: &ChainNode<'_>) -> bool {
        self.x509.subject().as_raw() == other.x509.subject().as_raw() && self.cert.spki == other.cert.spki
    }
}

const MAX_CHAIN_LEN: usize = 16;

/// A CA bundle may be a whole system trust store.
const MAX_CA_BUNDLE_LEN: usize = 4096;

/// Go's `maxChainSignatureChecks`.
const MAX_SIGNATURE_CHECKS: u32 = 100;

/// Critical extensions Go's parser handles: subjectKeyIdentifier, keyUsage, subjectAltName,
/// basicConstraints, nameConstraints, cRLDistributionPoints, certificatePolicies,
/// authorityKeyIdentifier, extKeyUsage, authorityInfoAccess.
const GO_HANDLED_EXTENSION_OIDS: [&str; 10] = [
    "2.5.29.14",
    "2.5.29.15",
    "2.5.29.17",
    "2.5.29.19",
    "2.5.29.30",
    "2.5.29.31",
    "2.5.29.32",
    "2.5.29.35",
    "2.5.29.37",
    "1.3.6.1.5.5.7.1.1",
];

/// Netscape and Microsoft Server Gated Crypto, which Go accepts in place of serverAuth.
const SERVER_GATED_CRYPTO_OIDS: [&str; 2] = ["2.16.840.1.113730.4.1", "1.3.6.1.4.1.311.10.3.3"];

/// sha1WithRSAEncryption, dsa-with-sha1, ecdsa-with-SHA1.
const SHA1_SIGNATURE_OIDS: [&str; 3] = ["1.2.840.113549.1.1.5", "1.2.840.10040.4.3", "1.2.840.10045.4.1"];

#[cfg(test)]
mod tests {
    use super::*;

    const QA_CERT: &[u8] = include_bytes!("../tests/data/keys/delegation-qa.crt");

    #[test]
    fn parses_a_ca_certificate_and_reencodes_it_like_go() {
        let chain = CertChain::parse_pem(QA_CERT).unwrap();
        assert!(chain.first().is_ca());
        assert!(
            chain.leaf_and_intermediates().is_none(),
            "a CA:TRUE certificate is no root leaf"
        );
        let again = pem_encode("CERTIFICATE", &[], chain.first().der());
        assert_eq!(again.as_bytes(), QA_CERT);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(CertChain::parse_pem(b"").is_err());
        assert!(CertChain::parse_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err());
        assert!(CertChain::parse_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err());
    }

    #[test]
    fn pem_headers_are_sorted() {
        let text = pem_encode(
            "ENCRYPTED PRIVATE KEY",
            &[("role", "targets"), ("gun", "g")],
            &[1, 2, 3],
        );
        assert_eq!(
            text,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: g\nrole: targets\n\nAQID\n-----END ENCRYPTED PRIVATE KEY-----\n"
        );
    }
}

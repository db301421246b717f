//! The JWT itself (server-behaviour.md §9.2): three unpadded base64url segments, a JOSE header
//! naming the signing key, and the registry claim set. Parsing only; [`crate::TokenVerifier`]
//! decides whether to believe it.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};

use crate::access::{ResourceActions, null_as_default};

/// The longest token accepted; real registry tokens with a two-certificate `x5c` are ~3 KiB.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The JOSE header of a registry token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `typ` (`JWT`); not checked, as in Go.
    #[serde(default, deserialize_with = "null_as_default")]
    pub typ: String,
    /// `alg`: ES256/384/512 or RS256/384/512.
    #[serde(default, deserialize_with = "null_as_default")]
    pub alg: String,
    /// `kid`: the libtrust key ID of a trusted root certificate's key.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub kid: String,
    /// `x5c`: standard-base64 DER certificates, leaf first.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub x5c: Vec<String>,
    /// `jwk`: the signing key itself, as a JSON Web Key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<serde_json::Value>,
}

/// The claim set of a registry token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// `iss`: must equal the configured issuer.
    #[serde(default, deserialize_with = "null_as_default")]
    pub iss: String,
    /// `sub`: who the token was issued to (logged, never used for decisions).
    #[serde(default, deserialize_with = "null_as_default")]
    pub sub: String,
    /// `aud`: must equal the configured service. A single string: an array does not parse.
    #[serde(default, deserialize_with = "null_as_default")]
    pub aud: String,
    /// `exp`: Unix seconds after which (plus leeway) the token is refused.
    #[serde(default, deserialize_with = "null_as_default")]
    pub exp: i64,
    /// `nbf`: Unix seconds before which (minus leeway) the token is refused.
    #[serde(default, deserialize_with = "null_as_default")]
    pub nbf: i64,
    /// `iat`: Unix seconds of issue; not checked, as in Go.
    #[serde(default, deserialize_with = "null_as_default")]
    pub iat: i64,
    /// `jti`: a unique token ID; not checked, as in Go.
    #[serde(default, deserialize_with = "null_as_default")]
    pub jti: String,
    /// `access`: what the token grants.
    #[serde(default, deserialize_with = "null_as_default")]
    pub access: Vec<ResourceActions>,
}

/// A token split and decoded, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The JOSE header.
    pub header: Header,
    /// The claims.
    pub claims: Claims,
    signing_input: String,
    signature: Vec<u8>,
}

/// Why a token could not be decoded (Go's `ErrMalformedToken`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedToken {
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("token longer than {MAX_TOKEN_BYTES} bytes")]
    TooLong,
    /// Not three `.`-separated segments.
    #[error("token is not three dot-separated segments")]
    Segments,
    /// A segment is not base64url.
    #[error("token {segment} is not base64url")]
    Base64 {
        /// `header`, `claims` or `signature`.
        segment: &'static str,
    },
    /// The header or claims are not the expected JSON.
    #[error("token {segment} is not valid JSON: {reason}")]
    Json {
        /// `header` or `claims`.
        segment: &'static str,
        /// serde_json's message (never contains the token).
        reason: String,
    },
}

impl Token {
    /// Splits and decodes a compact JWS as Go's `token.NewToken` does.
    pub fn parse(raw: &str) -> Result<Token, MalformedToken> {
        if raw.len() > MAX_TOKEN_BYTES {
            return Err(MalformedToken::TooLong);
        }
        let parts: Vec<&str> = raw.split('.').collect();
        let [header, claims, signature] = parts[..] else {
            return Err(MalformedToken::Segments);
        };
        let signing_input = format!("{header}.{claims}");
        let header_json = jose_base64url_decode(header).ok_or(MalformedToken::Base64 { segment: "header" })?;
        let claims_json = jose_base64url_decode(claims).ok_or(MalformedToken::Base64 { segment: "claims" })?;
        let signature = jose_base64url_decode(signature).ok_or(MalformedToken::Base64 { segment: "signature" })?;
        let header = serde_json::from_slice(&header_json).map_err(|e| MalformedToken::Json {
            segment: "header",
            reason: e.to_string(),
        })?;
        let claims = serde_json::from_slice(&claims_json).map_err(|e| MalformedToken::Json {
            segment: "claims",
            reason: e.to_string(),
        })?;
        Ok(Token {
            header,
            claims,
            signing_input,
            signature,
        })
    }

    /// The signed bytes: `<header>.<claims>` as received.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The decoded signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// Encodes header and claims and appends `signature` over them: what an issuer sends. `sign`
/// receives the signing input and returns the raw JWS signature (ECDSA `r‖s`, or RSA PKCS#1).
pub fn encode<E>(
    header: &Header,
    claims: &Claims,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<String, E> {
    // Serialising these plain structs to JSON cannot fail.
    let header = base64url(&serde_json::to_vec(header).unwrap_or_default());
    let claims = base64url(&serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{claims}");
    let signature = sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", base64url(&signature)))
}

/// Unpadded base64url.
pub fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// libtrust's `joseBase64UrlDecode`: padding is added back by length (a length of 1 mod 4 is
/// invalid), then strict base64url decoding.
fn jose_base64url_decode(segment: &str) -> Option<Vec<u8>> {
    let padded = match segment.len() % 4 {
        0 => segment.to_owned(),
        2 => format!("{segment}=="),
        3 => format!("{segment}="),
        _ => return None,
    };
    GO_URL_ENCODING.decode(padded).ok()
}

/// Go's `base64.URLEncoding`: padded, and (not being `Strict`) lenient about unused trailing bits.
const GO_URL_ENCODING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(header: &str, claims: &str, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            base64url(header.as_bytes()),
            base64url(claims.as_bytes()),
            base64url(signature)
        )
    }

    #[test]
    fn parses_a_registry_token() {
        let raw = compact(
            r#"{"typ":"JWT","alg":"ES256","kid":"ABCD"}"#,
            r#"{"iss":"i","sub":"alice","aud":"s","exp":20,"nbf":10,"iat":10,"jti":"j","access":[{"type":"repository","name":"g","actions":["pull","push"]}]}"#,
            &[1, 2, 3],
        );
        let token = Token::parse(&raw).unwrap();
        assert_eq!(token.header.alg, "ES256");
        assert_eq!(token.header.kid, "ABCD");
        assert_eq!(token.claims.sub, "alice");
        assert_eq!(token.claims.access[0].actions, ["pull", "push"]);
        assert_eq!(token.signature(), [1, 2, 3]);
        let (input, _) = raw.rsplit_once('.').unwrap();
        assert_eq!(token.signing_input(), input.as_bytes());
    }

    #[test]
    fn audience_arrays_and_broken_segments_are_malformed() {
        let array_aud = compact(r#"{"alg":"ES256"}"#, r#"{"aud":["s"]}"#, &[1]);
        assert!(matches!(
            Token::parse(&array_aud),
            Err(MalformedToken::Json { segment: "claims", .. })
        ));
        assert_eq!(Token::parse(""), Err(MalformedToken::Segments));
        assert_eq!(Token::parse("a.b"), Err(MalformedToken::Segments));
        assert_eq!(Token::parse("a.b.c.d"), Err(MalformedToken::Segments));
        assert_eq!(
            Token::parse("abcde.e30.AA"),
            Err(MalformedToken::Base64 { segment: "header" })
        );
        assert_eq!(
            Token::parse("e30.e30.*"),
            Err(MalformedToken::Base64 { segment: "signature" })
        );
        assert_eq!(
            Token::parse(&"a".repeat(MAX_TOKEN_BYTES + 1)),
            Err(MalformedToken::TooLong)
        );
        // Empty JSON objects decode to zero values, as in Go.
        let empty = Token::parse("e30.e30.").unwrap();
        assert_eq!(empty.claims, Claims::default());
        assert!(empty.signature().is_empty());
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let header = Header {
            typ: "JWT".into(),
            alg: "RS256".into(),
            x5c: vec!["AAAA".into()],
            ..Header::default()
        };
        let claims = Claims {
            iss: "i".into(),
            aud: "s".into(),
            exp: 5,
            access: vec![ResourceActions {
                resource_type: "repository".into(),
                name: "g".into(),
                actions: vec!["*".into()],
                ..ResourceActions::default()
            }],
            ..Claims::default()
        };
        let raw = encode(&header, &claims, |input| Ok::<_, ()>(input[..4].to_vec())).unwrap();
        let token = Token::parse(&raw).unwrap();
        assert_eq!(token.signature(), &raw.as_bytes()[..4]);
        assert_eq!((token.header, token.claims), (header, claims));
    }
}

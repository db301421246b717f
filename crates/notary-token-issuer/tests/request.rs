//! Request parsing: the GET query with Basic auth, the OAuth2 form, limits.

use notary_token_issuer::request::{MAX_PARAMS_BYTES, MAX_SCOPES, RequestError, RequestForm, TokenRequest};

fn basic(user_password: &str) -> Vec<u8> {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_password)
    )
    .into_bytes()
}

#[test]
fn get_with_scopes_and_credentials() {
    let query = "service=registry&scope=repository%3Ateam%2Fapp%3Apull%2Cpush&scope=repository:a:pull+repository:b:pull&account=alice&offline_token=true&client_id=docker";
    let request = TokenRequest::from_get(query, Some(&basic("alice:pa:ss"))).unwrap();
    assert_eq!(request.service, "registry");
    assert_eq!(request.form, RequestForm::Get);
    let scopes: Vec<String> = request.scopes.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        scopes,
        [
            "repository:team/app:pull,push",
            "repository:a:pull",
            "repository:b:pull"
        ]
    );
    let credentials = request.credentials.unwrap();
    assert_eq!(credentials.user, "alice");
    assert_eq!(credentials.password.as_slice(), b"pa:ss");
    assert!(
        !format!("{credentials:?}").contains("pa:ss"),
        "Debug hides the password"
    );
}

#[test]
fn get_anonymous_and_scheme_case() {
    let request = TokenRequest::from_get("service=s", None).unwrap();
    assert!(request.credentials.is_none() && request.scopes.is_empty());
    assert!(TokenRequest::from_get("service=s", Some(&basic("a:b")[..].to_ascii_lowercase())).is_err());
    let upper = [b"BASIC".as_slice(), &basic("a:b")[5..]].concat();
    assert_eq!(
        TokenRequest::from_get("service=s", Some(&upper))
            .unwrap()
            .credentials
            .unwrap()
            .user,
        "a"
    );
}

#[test]
fn get_errors() {
    let cases: &[(&str, Option<Vec<u8>>, RequestError)] = &[
        ("scope=repository:a:pull", None, RequestError::MissingService),
        ("service=", None, RequestError::MissingService),
        ("service=a&service=b", None, RequestError::Repeated("service")),
        (
            "service=s&scope=nonsense",
            None,
            RequestError::Scope(notary_token_issuer::scope::ScopeError::Shape),
        ),
        (
            "service=s&account=bob",
            Some(basic("alice:pw")),
            RequestError::AccountMismatch,
        ),
        (
            "service=s",
            Some(b"Bearer abc".to_vec()),
            RequestError::BadAuthorization,
        ),
        ("service=s", Some(b"Basic !!!".to_vec()), RequestError::BadAuthorization),
        ("service=s", Some(basic("no-colon")), RequestError::BadAuthorization),
        ("service=s", Some(basic(":pw")), RequestError::BadAuthorization),
        ("service=s", Some(b"Basic".to_vec()), RequestError::BadAuthorization),
    ];
    for (query, authorization, error) in cases {
        assert_eq!(
            TokenRequest::from_get(query, authorization.as_deref()).unwrap_err(),
            *error,
            "{query}"
        );
    }
    let many = (0..=MAX_SCOPES)
        .map(|i| format!("scope=repository:r{i}:pull"))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(
        TokenRequest::from_get(&format!("service=s&{many}"), None).unwrap_err(),
        RequestError::TooManyScopes
    );
    let big = format!("service=s&x={}", "a".repeat(MAX_PARAMS_BYTES));
    assert_eq!(TokenRequest::from_get(&big, None).unwrap_err(), RequestError::TooLarge);
}

#[test]
fn oauth2_password_grant() {
    let form = b"grant_type=password&username=alice&password=p%26w+d&service=registry&client_id=docker&access_type=offline&scope=repository%3Aa%3Apull+repository%3Ab%3Apush";
    let request = TokenRequest::from_oauth2_form(form).unwrap();
    assert_eq!(request.form, RequestForm::OAuth2);
    assert_eq!(request.scopes.len(), 2);
    let credentials = request.credentials.unwrap();
    assert_eq!(credentials.user, "alice");
    assert_eq!(credentials.password.as_slice(), b"p&w d");

    let refused: &[(&[u8], RequestError)] = &[
        (b"username=a&password=b&service=s", RequestError::IncompleteGrant),
        (
            b"grant_type=password&password=b&service=s",
            RequestError::IncompleteGrant,
        ),
        (
            b"grant_type=password&username=a&service=s",
            RequestError::IncompleteGrant,
        ),
        (
            b"grant_type=refresh_token&refresh_token=x&service=s",
            RequestError::UnsupportedGrantType,
        ),
        (
            b"grant_type=password&username=a&password=b",
            RequestError::MissingService,
        ),
    ];
    for (form, error) in refused {
        assert_eq!(TokenRequest::from_oauth2_form(form).unwrap_err(), *error);
    }
}

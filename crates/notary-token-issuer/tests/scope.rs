//! Scope parsing: names with ports, classes, several scopes per parameter, hostile input.

use notary_token_issuer::scope::{MAX_SCOPE_BYTES, Scope, ScopeError};

fn parsed(text: &str) -> (String, String, Vec<String>) {
    let s = Scope::parse(text).unwrap();
    (s.resource_type, s.name, s.actions)
}

#[test]
fn well_formed_scopes() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "repository:team/app:pull,push",
            "repository",
            "team/app",
            &["pull", "push"],
        ),
        (
            "repository:localhost:5000/app:pull",
            "repository",
            "localhost:5000/app",
            &["pull"],
        ),
        (
            "repository:127.0.0.1:14050/team/app:*",
            "repository",
            "127.0.0.1:14050/team/app",
            &["*"],
        ),
        ("registry:catalog:*", "registry", "catalog", &["*"]),
        (
            "repository(plugin):vieux/sshfs:pull",
            "repository",
            "vieux/sshfs",
            &["pull"],
        ),
        ("repository:a:pull,pull,,push", "repository", "a", &["pull", "push"]),
        ("repository:a:", "repository", "a", &[]),
    ];
    for (text, resource_type, name, actions) in cases {
        let (t, n, a) = parsed(text);
        assert_eq!((t.as_str(), n.as_str()), (*resource_type, *name), "{text}");
        assert_eq!(a, *actions, "{text}");
    }
}

#[test]
fn space_separated_lists() {
    let scopes = Scope::parse_list(" repository:a/b:pull  repository:c:push ").unwrap();
    assert_eq!(scopes.len(), 2);
    assert_eq!(scopes[1].to_string(), "repository:c:push");
    assert!(Scope::parse_list("").unwrap().is_empty());
}

#[test]
fn malformed_scopes_are_refused() {
    let cases: &[(&str, ScopeError)] = &[
        ("repository", ScopeError::Shape),
        ("repository:app", ScopeError::Shape),
        ("Repository:app:pull", ScopeError::ResourceType),
        (":app:pull", ScopeError::ResourceType),
        ("repository(:app:pull", ScopeError::ResourceType),
        ("repository(Plugin):app:pull", ScopeError::ResourceType),
        ("repository::pull", ScopeError::Name),
        ("repository:team//app:pull", ScopeError::Name),
        ("repository:team/../admin:pull", ScopeError::Name),
        ("repository:./team:pull", ScopeError::Name),
        ("repository:/team:pull", ScopeError::Name),
        ("repository:team/:pull", ScopeError::Name),
        ("repository:te am:pull", ScopeError::Name),
        ("repository:te\"am:pull", ScopeError::Name),
        ("repository:té:pull", ScopeError::Name),
        ("repository:app:PULL", ScopeError::Actions),
        ("repository:app:pull;push", ScopeError::Actions),
        ("repository:app:a,b,c,d,e,f,g,h,i", ScopeError::Actions),
    ];
    for (text, error) in cases {
        assert_eq!(Scope::parse(text).unwrap_err(), *error, "{text}");
    }
    let long = format!("repository:{}:pull", "a".repeat(MAX_SCOPE_BYTES));
    assert_eq!(Scope::parse(&long).unwrap_err(), ScopeError::TooLong);
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz: every short string over an alphabet of the separators.
    let alphabet = ['a', ':', '/', ',', '(', ')', '*', '.', ' '];
    let mut stack = vec![String::new()];
    while let Some(s) = stack.pop() {
        let _ = Scope::parse(&s);
        let _ = Scope::parse_list(&s);
        if s.chars().count() < 5 {
            for c in alphabet {
                stack.push(format!("{s}{c}"));
            }
        }
    }
}

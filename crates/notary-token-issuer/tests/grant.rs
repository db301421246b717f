//! Grant evaluation: prefixes on `/` boundaries, `*` actions, anonymous and any-user grants,
//! partial grants, merging of repeated scopes.

use notary_auth::ResourceActions;
use notary_token_issuer::grant::{Grant, NamePrefix, Principal, Subjects, evaluate};
use notary_token_issuer::scope::Scope;

fn grant(subjects: Subjects, prefix: &str, actions: &[&str]) -> Grant {
    Grant {
        subjects,
        resource_type: "repository".into(),
        prefix: NamePrefix::parse(prefix).unwrap(),
        actions: actions.iter().map(|a| a.to_string()).collect(),
    }
}

fn users(names: &[&str]) -> Subjects {
    Subjects::Users(names.iter().map(|n| n.to_string()).collect())
}

fn granted(grants: &[Grant], principal: Principal<'_>, scopes: &str) -> Vec<String> {
    evaluate(grants, principal, &Scope::parse_list(scopes).unwrap())
        .into_iter()
        .map(|a| format!("{}:{}:{}", a.resource_type, a.name, a.actions.join(",")))
        .collect()
}

#[test]
fn prefixes_match_on_path_boundaries() {
    let cases: &[(&str, &str, bool)] = &[
        ("team/", "team/app", true),
        ("team/", "team/a/b", true),
        ("team/", "team", false),
        ("team/", "teamx/app", false),
        ("team/", "team-b/app", false),
        ("team", "team", true),
        ("team", "team/app", true),
        ("team", "teamx", false),
        ("team", "teamx/app", false),
        ("team/app", "team/app", true),
        ("team/app", "team/app/sub", true),
        ("team/app", "team/apple", false),
        ("localhost:5000/", "localhost:5000/app", true),
        ("localhost:5000/", "localhost:50001/app", false),
        ("*", "anything/at/all", true),
    ];
    for (prefix, name, expected) in cases {
        assert_eq!(
            NamePrefix::parse(prefix).unwrap().matches(name),
            *expected,
            "prefix {prefix:?} name {name:?}"
        );
    }
}

#[test]
fn malformed_prefixes_are_refused() {
    for prefix in ["", "/", "/team", "team//", "team/../x/", "./team", "te am/", "a//b"] {
        assert!(NamePrefix::parse(prefix).is_err(), "{prefix:?}");
    }
}

#[test]
fn actions_star_and_partial_grants() {
    let grants = [
        grant(users(&["alice"]), "team/", &["*"]),
        grant(users(&["bob"]), "team/", &["pull", "push"]),
        grant(Subjects::AnyUser, "team/", &["pull"]),
        grant(Subjects::Anonymous, "public/", &["pull"]),
    ];
    let alice = Principal::User("alice");
    let bob = Principal::User("bob");
    let eve = Principal::User("eve");
    assert_eq!(
        granted(&grants, alice, "repository:team/app:pull,push,*"),
        ["repository:team/app:pull,push,*"]
    );
    // bob may not rotate keys or delete (`*`), eve may only pull: the rest is left out.
    assert_eq!(
        granted(&grants, bob, "repository:team/app:pull,push,*"),
        ["repository:team/app:pull,push"]
    );
    assert_eq!(
        granted(&grants, eve, "repository:team/app:pull,push"),
        ["repository:team/app:pull"]
    );
    // Nothing granted at all: no entry, not an error.
    assert!(granted(&grants, eve, "repository:teamx/app:pull").is_empty());
    assert!(granted(&grants, Principal::Anonymous, "repository:team/app:pull").is_empty());
    // Anonymous grants apply to everyone.
    assert_eq!(
        granted(&grants, Principal::Anonymous, "repository:public/x:pull,push"),
        ["repository:public/x:pull"]
    );
    assert_eq!(
        granted(&grants, eve, "repository:public/x:pull"),
        ["repository:public/x:pull"]
    );
}

#[test]
fn multiple_scopes_merge_per_resource_and_types_are_separate() {
    let grants = [
        grant(users(&["alice"]), "team/", &["pull", "push"]),
        Grant {
            subjects: users(&["alice"]),
            resource_type: "registry".into(),
            prefix: NamePrefix::parse("catalog").unwrap(),
            actions: vec!["*".into()],
        },
    ];
    let alice = Principal::User("alice");
    let access = evaluate(
        &grants,
        alice,
        &Scope::parse_list("repository:team/a:pull repository:team/b:push repository:team/a:push registry:catalog:* repository:catalog:pull").unwrap(),
    );
    assert_eq!(
        access,
        [
            ResourceActions {
                resource_type: "repository".into(),
                name: "team/a".into(),
                actions: vec!["pull".into(), "push".into()],
                ..Default::default()
            },
            ResourceActions {
                resource_type: "repository".into(),
                name: "team/b".into(),
                actions: vec!["push".into()],
                ..Default::default()
            },
            ResourceActions {
                resource_type: "registry".into(),
                name: "catalog".into(),
                actions: vec!["*".into()],
                ..Default::default()
            },
        ]
    );
}

#[test]
fn subjects() {
    assert!(Subjects::Anonymous.include(Principal::Anonymous));
    assert!(Subjects::Anonymous.include(Principal::User("x")));
    assert!(!Subjects::AnyUser.include(Principal::Anonymous));
    assert!(Subjects::AnyUser.include(Principal::User("x")));
    assert!(!users(&["a"]).include(Principal::User("A")));
    assert!(!users(&["a"]).include(Principal::Anonymous));
}

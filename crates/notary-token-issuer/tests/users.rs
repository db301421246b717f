//! htpasswd users: bcrypt variants from libxcrypt, refused formats, decoy checks for unknown
//! users.

use std::time::Instant;

use notary_token_issuer::users::{Users, UsersError};

use crate::support::{CAROL, HTPASSWD};

fn users() -> Users {
    Users::from_htpasswd(&[("users.htpasswd", HTPASSWD), ("users.entries", CAROL)]).unwrap()
}

#[test]
fn bcrypt_variants_verify() {
    let users = users();
    assert_eq!(users.len(), 4);
    for (user, password) in [
        ("alice", "alice-pw"),
        ("bob", "bob-pw"),
        ("reader", "reader-pw"),
        ("carol", "carol-pw"),
    ] {
        assert!(users.verify(user, password.as_bytes()), "{user}");
        assert!(!users.verify(user, b"wrong"), "{user}");
        assert!(!users.verify(user, format!("{password} ").as_bytes()), "{user}");
    }
    assert!(!users.verify("Alice", b"alice-pw"), "user names are case-sensitive");
    assert!(!users.verify("nobody", b"alice-pw"));
    assert!(!users.verify("alice", &vec![b'a'; 5000]));
}

#[test]
fn a_cost_5_vector_from_libxcrypt() {
    // crypt.crypt("s3cret", "$2y$05$abcdefghijklmnopqrstuu") with libxcrypt 4.4.
    let users =
        Users::from_htpasswd(&[("f", "u:$2y$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK\n")]).unwrap();
    assert!(users.verify("u", b"s3cret"));
    assert!(!users.verify("u", b"s3cret2"));
}

#[test]
fn comments_blank_lines_and_crlf() {
    let text = "# users\n\nalice:$2y$04$aliceSaltAliceSaltAliOyAr7o2.DNQGYf0J9GuOaNxcIMzgSKQy\r\n";
    let users = Users::from_htpasswd(&[("f", text)]).unwrap();
    assert!(users.verify("alice", b"alice-pw"));
}

#[test]
fn weak_or_malformed_entries_are_refused_without_echoing_hashes() {
    let cases = [
        ("alice", "Shape"),
        (
            ":$2y$04$aliceSaltAliceSaltAliOyAr7o2.DNQGYf0J9GuOaNxcIMzgSKQy",
            "BadUser",
        ),
        ("md5:$apr1$abc$0123456789012345678901", "NotBcrypt"),
        ("sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "NotBcrypt"),
        ("plain:hunter2", "NotBcrypt"),
        ("short:$2y$04$tooShort", "NotBcrypt"),
        (
            "slow:$2y$31$aliceSaltAliceSaltAliOyAr7o2.DNQGYf0J9GuOaNxcIMzgSKQy",
            "NotBcrypt",
        ),
        (
            "x:$2y$4$aliceSaltAliceSaltAliOyAr7o2.DNQGYf0J9GuOaNxcIMzgSKQy",
            "NotBcrypt",
        ),
    ];
    for (line, kind) in cases {
        let Err(error) = Users::from_htpasswd(&[("f", line)]) else {
            panic!("{line} accepted");
        };
        assert!(format!("{error:?}").starts_with(kind), "{line}: {error:?}");
        let message = error.to_string();
        assert!(message.contains("f line 1"), "{message}");
        if let Some((_, hash)) = line.split_once(':') {
            assert!(!message.contains(hash), "message echoes the hash: {message}");
        }
    }
    let twice = format!("{CAROL}\n{CAROL}");
    assert!(matches!(
        Users::from_htpasswd(&[("f", &twice)]),
        Err(UsersError::Duplicate { line: 2, .. })
    ));
}

#[test]
fn unknown_users_cost_a_bcrypt_run() {
    // The decoy hash has the highest configured cost (here 12), so an unknown user takes about
    // as long as a known one with a wrong password, far longer than a map lookup.
    let slow = bcrypt::hash("pw", 12).unwrap();
    let users = Users::from_htpasswd(&[("f", &format!("u:{slow}"))]).unwrap();
    let time = |user: &str| {
        let start = Instant::now();
        assert!(!users.verify(user, b"wrong"));
        start.elapsed()
    };
    let known = time("u");
    let unknown = time("nobody");
    assert!(
        unknown.as_secs_f64() > known.as_secs_f64() / 3.0,
        "unknown {unknown:?} vs known {known:?}"
    );
}

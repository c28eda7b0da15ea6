//! The fuzz corpus, run as an ordinary test: every committed seed and regression input of
//! `fuzz/` through the same harness the fuzz targets use, hand-picked nasty inputs, and a few
//! thousand deterministic mutations of the seeds. None may panic; bad input must come back as
//! a 4xx SCIM error (the harness asserts the error's shape).

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scim::error::ScimError;
use scim_harness as harness;

type Decoder = fn(&[u8]) -> Result<(), ScimError>;

const TARGETS: [(&str, Decoder); 5] = [
    ("filter", harness::filter),
    ("list_query", harness::list_query),
    ("patch", harness::patch),
    ("user_body", harness::user_body),
    ("group_body", harness::group_body),
];

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn fuzz_dir(kind: &str, target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("fuzz")
        .join(kind)
        .join(target)
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let seeds: Vec<Vec<u8>> = files_in(&fuzz_dir("corpus", target))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        })
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(!seeds.is_empty(), "fuzz/corpus/{target} has seeds");
    seeds
}

#[test]
fn seeds_that_idps_send_are_accepted() {
    for (target, decode) in TARGETS {
        for seed in seeds(target) {
            if let Err(e) = decode(&seed) {
                // Seeds are real IdP requests; a few PATCH seeds only make sense for one resource
                // type (user or group), so only those may be refused.
                assert!(
                    target == "patch",
                    "{target} refused its seed {}: {e}",
                    String::from_utf8_lossy(&seed)
                );
            }
        }
    }
}

#[test]
fn regression_inputs_never_panic() {
    for (target, decode) in TARGETS {
        for path in files_in(&fuzz_dir("regressions", target)) {
            let data = std::fs::read(&path).unwrap();
            let _ = decode(&data);
        }
    }
}

fn nested(open: &str, middle: &str, close: &str, depth: usize) -> Vec<u8> {
    format!("{}{middle}{}", open.repeat(depth), close.repeat(depth)).into_bytes()
}

#[test]
fn nasty_inputs_are_refused_as_scim_errors() {
    let filters: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"userName eq".to_vec(),
        b"userName eq \"unterminated".to_vec(),
        b"((((".to_vec(),
        b"not".to_vec(),
        b"emails[".to_vec(),
        b"emails[type eq \"work\"][value pr]".to_vec(),
        b"a.b.c eq 1".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        nested("(", "userName pr", ")", 10_000),
        nested("not (", "userName pr", ")", 5_000),
        nested("emails[", "type pr", "]", 1_000),
        vec![b'a'; 1 << 20],
        ["userName pr"; 5_000].join(" or ").into_bytes(),
        ["userName pr"; 5_000].join(" and ").into_bytes(),
    ];
    // Valid but odd: accepted or refused, never a panic.
    let odd: Vec<Vec<u8>> = vec![
        b"userName eq \"\\u0000\"".to_vec(),
        b"userName eq 1e999999".to_vec(),
        b"userName gt -0.0000000000000000000000001e-400".to_vec(),
        "userName eq \"\u{202e}\u{0}\u{fffd}\"".as_bytes().to_vec(),
        "dïsplayName eq \"ß\"".as_bytes().to_vec(),
        b"emails[type eq \"work\"].value eq \"x\"".to_vec(),
        // Entra's sub-attribute term, read as `members[(...) and display pr]`.
        b"members[value eq \"a\" or value eq \"b\"].display pr".to_vec(),
    ];
    for f in &odd {
        let _ = harness::filter(f);
    }
    for f in &filters {
        let result = harness::filter(f);
        assert!(
            result.is_err(),
            "{:?} accepted",
            String::from_utf8_lossy(&f[..f.len().min(80)])
        );
    }
    let queries: Vec<Vec<u8>> = vec![
        b"count=99999999999999999999999".to_vec(),
        b"startIndex=abc".to_vec(),
        b"count=1&count=-9223372036854775808".to_vec(),
        b"filter=%ZZ".to_vec(),
        b"attributes=,,,...,urn:&excludedAttributes=.....".to_vec(),
        b"sortBy=".to_vec(),
    ];
    for q in &queries {
        let _ = harness::list_query(q);
    }
    let json_nested = |depth: usize| nested("[", "1", "]", depth);
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"string\"".to_vec(),
        b"{".to_vec(),
        json_nested(100_000),
        nested("{\"a\":", "1", "}", 100_000),
        b"{\"Operations\":null}".to_vec(),
        b"{\"Operations\":[]}".to_vec(),
        b"{\"Operations\":[null,1,\"x\",[]]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"add\"}]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"replace\",\"path\":\"\",\"value\":1}]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"remove\",\"path\":\"emails[type eq \\\"work\\\"]\"}]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"replace\",\"path\":\"emails[value eq \\\"x\\\"].nope.deeper\",\"value\":1}]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":\"maybe\"}]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"replace\",\"value\":{\"name.givenName.x\":1,\"\":2,\"urn:\":3}}]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"remove\",\"path\":\"active\"}]}".to_vec(),
        b"{\"Operations\":[{\"op\":\"remove\",\"path\":\"userName\"}]}".to_vec(),
        b"{\"userName\":null}".to_vec(),
        b"{\"userName\":\"\"}".to_vec(),
        b"{\"userName\":[\"a\"],\"emails\":{\"value\":1}}".to_vec(),
        b"{\"userName\":\"a@b\",\"emails\":[null,{\"value\":null},{\"primary\":\"yes\"}]}".to_vec(),
        b"{\"userName\":\"a@b\",\"name\":\"x\",\"active\":{}}".to_vec(),
        b"{\"displayName\":\"g\",\"members\":[{\"value\":\"\"}]}".to_vec(),
        b"{\"displayName\":\"g\",\"members\":{\"value\":\"u\"}}".to_vec(),
        b"{\"displayName\":\" \"}".to_vec(),
        format!(
            "{{\"displayName\":\"g\",\"members\":[{}]}}",
            vec!["{\"value\":\"u\"}"; 20_000].join(",")
        )
        .into_bytes(),
    ];
    for body in &bodies {
        for decode in [harness::patch, harness::user_body, harness::group_body] {
            let _ = decode(body);
        }
    }
}

#[test]
fn undefined_names_and_invisible_characters_are_refused_as_scim_errors() {
    // Refused by /Users and by /Groups alike.
    for f in [
        r#"userNmae eq "x""#,
        "foo pr",
        r#"emails[typo eq "work"]"#,
        r#"displayName eq "a" and not (bar pr)"#,
    ] {
        let err = harness::filter(f.as_bytes()).unwrap_err();
        assert_eq!(err.status, 400, "{f}");
        assert!(err.detail.contains("is not a"), "{f}: {}", err.detail);
    }
    let patch = br#"{"Operations":[{"op":"replace","path":"activ","value":false}]}"#;
    assert_eq!(harness::patch(patch).unwrap_err().status, 400);
    for body in [
        r#"{"userName":"a\u202e@example.com"}"#,
        r#"{"userName":"a@example.com","name":{"givenName":"A\u200bB"}}"#,
        r#"{"userName":"a@example.com","emails":[{"value":"a\u0000@example.com"}]}"#,
    ] {
        let err = harness::user_body(body.as_bytes()).unwrap_err();
        assert!(
            err.detail.contains("(an invisible or control character)"),
            "{body}: {}",
            err.detail
        );
    }
    let group = r#"{"displayName":"SOC\u2066"}"#;
    assert_eq!(
        harness::group_body(group.as_bytes()).unwrap_err().status,
        400
    );
}

/// Byte-level mutations in the spirit of libFuzzer's: flip, insert, delete, duplicate, splice.
fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    const INTERESTING: &[&[u8]] = &[
        b"\"",
        b"\\",
        b"[",
        b"]",
        b"(",
        b")",
        b"{",
        b"}",
        b".",
        b":",
        b" eq ",
        b" or ",
        b" not ",
        b"null",
        b"-1",
        b"1e308",
        b"\\u0000",
        b"\xff",
        b"urn:",
        b"members[",
        b"value",
    ];
    let mut data = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = if data.is_empty() {
            0
        } else {
            rng.random_range(0..data.len())
        };
        match rng.random_range(0..6) {
            0 if !data.is_empty() => data[at] ^= 1 << rng.random_range(0..8),
            1 => {
                let token = INTERESTING[rng.random_range(0..INTERESTING.len())];
                data.splice(at..at, token.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + rng.random_range(1..=8)).min(data.len());
                data.drain(at..end);
            }
            3 if !data.is_empty() => {
                let end = (at + rng.random_range(1..=16)).min(data.len());
                let chunk: Vec<u8> = data[at..end].to_vec();
                data.splice(at..at, chunk);
            }
            4 if !other.is_empty() => {
                let from = rng.random_range(0..other.len());
                let end = (from + rng.random_range(1..=32)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
            _ => data.truncate(at),
        }
    }
    data
}

#[test]
fn mutated_seeds_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x5c1f_a1c0);
    for (target, decode) in TARGETS {
        let seeds = seeds(target);
        for round in 0..1500 {
            let input = &seeds[round % seeds.len()];
            let other = &seeds[rng.random_range(0..seeds.len())];
            let data = mutate(&mut rng, input, other);
            let _ = decode(&data);
        }
    }
}

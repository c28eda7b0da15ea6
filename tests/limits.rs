//! Every request limit, as a client meets it: the exact SCIM error, never a crash, and the
//! bridge still serving afterwards.

mod common;

use std::time::Duration;

use common::{TestApp, spawn_app_custom};
use falcon::model::routes;
use falcon::sim::{Fault, SimConfig};
use scim::auth::CredentialSpec;
use scim::limits::{Limits, RateLimit};
use secrecy::SecretString;
use serde_json::{Value, json};

const OTHER_TOKEN: &str = "other-credential-token-0123456789abcdefghijklmnop";

async fn app_with(limits: Limits) -> TestApp {
    spawn_app_custom(
        SimConfig::default(),
        |_| {},
        move |s| {
            s.security.limits = limits;
            s.tenants[0].credentials.push(CredentialSpec::static_token(
                "other",
                SecretString::from(OTHER_TOKEN),
            ));
        },
    )
    .await
}

/// Status, SCIM content type and exactly the RFC 7644 §3.12 members.
async fn scim_error(resp: reqwest::Response, status: u16, scim_type: Option<&str>) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(resp.headers()["content-type"], "application/scim+json");
    let body: Value = resp.json().await.unwrap();
    let mut expected = vec!["detail", "schemas", "status"];
    if scim_type.is_some() {
        expected.push("scimType");
        expected.sort_unstable();
    }
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, expected, "{body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], status.to_string());
    if let Some(t) = scim_type {
        assert_eq!(body["scimType"], t, "{body}");
    }
    body
}

/// POSTs `chunks` chunks of `size` bytes with chunked transfer encoding over a raw socket and
/// returns what the bridge answered.
async fn chunked_post(app: &TestApp, path: &str, chunks: usize, size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.bridge_addr)
        .await
        .unwrap();
    let head = format!(
        "POST /scim/v2{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.bridge_addr, app.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..chunks {
        let chunk = format!("{size:x}\r\n{}\r\n", "x".repeat(size));
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break; // the bridge answered and closed early
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// A list response's paging members: `totalResults`, `startIndex` and `itemsPerPage`, the
/// last being the number of resources on the page.
fn assert_page(page: &Value, total: u64, start: u64, items: usize) {
    assert_eq!(page["totalResults"], total, "{page}");
    assert_eq!(page["startIndex"], start, "{page}");
    assert_eq!(page["itemsPerPage"], items, "{page}");
    assert_eq!(page["Resources"].as_array().unwrap().len(), items, "{page}");
}

fn patch_op(ops: Vec<Value>) -> Value {
    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations": ops})
}

#[tokio::test]
async fn body_patch_filter_count_and_member_limits() {
    let app = app_with(Limits {
        max_body_bytes: 8 * 1024,
        max_patch_operations: 5,
        max_filter_len: 200,
        max_filter_depth: 4,
        max_results: 3,
        max_members: 4,
        ..Limits::default()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let user = json!({"userName": format!("limit{i}@example.com"), "name":{"givenName":"L","familyName":"M"}});
        let created = app.expect(app.post("/Users", &user), 201).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }

    // Body size: 413, also for a body sent without Content-Length.
    let big = json!({"userName":"big@example.com","displayName":"x".repeat(9000)});
    let err = scim_error(app.post("/Users", &big).send().await.unwrap(), 413, None).await;
    assert!(
        err["detail"].as_str().unwrap().contains("8192 bytes"),
        "{err}"
    );
    // Chunked, without Content-Length: the limit applies while reading.
    let raw = chunked_post(&app, "/Users", 20, 1024).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(
        raw.contains("urn:ietf:params:scim:api:messages:2.0:Error"),
        "{raw}"
    );

    // PATCH operations.
    let ops: Vec<Value> = (0..6)
        .map(|_| json!({"op":"replace","path":"displayName","value":"x"}))
        .collect();
    let err = scim_error(
        app.patch(&format!("/Users/{}", ids[0]), &patch_op(ops))
            .send()
            .await
            .unwrap(),
        400,
        Some("tooMany"),
    )
    .await;
    assert!(
        err["detail"].as_str().unwrap().contains("at most 5"),
        "{err}"
    );

    // Filter length, own depth limit, and the parser's bounds beyond it.
    let long = format!("userName eq \"{}\"", "a".repeat(200));
    scim_error(
        app.get("/Users")
            .query(&[("filter", &long)])
            .send()
            .await
            .unwrap(),
        400,
        Some("invalidFilter"),
    )
    .await;
    // Redundant parentheses cost nothing; nested and/or/not do.
    let parens = format!("{}userName pr{}", "(".repeat(10), ")".repeat(10));
    let page = app
        .expect(app.get("/Users").query(&[("filter", &parens)]), 200)
        .await;
    assert_page(&page, 5, 1, 3);
    let deep = "userName pr and (title pr or (active eq true and (title pr or not (title pr))))";
    let resp = app
        .get("/Users")
        .query(&[("filter", deep)])
        .send()
        .await
        .unwrap();
    scim_error(resp, 400, Some("tooMany")).await;
    let ok = "userName pr and (active eq true or not (title pr))";
    let page = app
        .expect(app.get("/Users").query(&[("filter", ok)]), 200)
        .await;
    assert_page(&page, 5, 1, 3);

    // count is clamped, not refused; the SPC advertises the maximum.
    let page = app.expect(app.get("/Users?count=5000"), 200).await;
    assert_eq!(page["itemsPerPage"], 3);
    assert_eq!(page["totalResults"], 5, "the five users made above");
    assert_page(&page, 5, 1, 3);
    let spc = app.expect(app.get("/ServiceProviderConfig"), 200).await;
    assert_eq!(spc["filter"]["maxResults"], 3);

    // Members per request: POST, PUT and PATCH.
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let group = json!({"displayName":"Too Big","members": members});
    let err = scim_error(
        app.post("/Groups", &group).send().await.unwrap(),
        400,
        Some("tooMany"),
    )
    .await;
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("at most 4 group members")
    );
    let small = app
        .expect(
            app.post(
                "/Groups",
                &json!({"displayName":"Small","members": members[..2]}),
            ),
            201,
        )
        .await;
    let gid = small["id"].as_str().unwrap();
    scim_error(
        app.put(&format!("/Groups/{gid}"), &group)
            .send()
            .await
            .unwrap(),
        400,
        Some("tooMany"),
    )
    .await;
    let add_all = patch_op(vec![
        json!({"op":"add","path":"members","value": members[..3]}),
        json!({"op":"remove","path":"members","value": members[3..]}),
    ]);
    scim_error(
        app.patch(&format!("/Groups/{gid}"), &add_all)
            .send()
            .await
            .unwrap(),
        400,
        Some("tooMany"),
    )
    .await;
    let add_some = patch_op(vec![
        json!({"op":"add","path":"members","value": members[2..4]}),
    ]);
    let answer = app
        .expect(app.patch(&format!("/Groups/{gid}"), &add_some), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    let got = app.expect(app.get(&format!("/Groups/{gid}")), 200).await;
    let mut got: Vec<&str> = got["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    let mut want: Vec<&str> = ids[..4].iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want, "the two members plus the two added");
}

#[tokio::test]
async fn the_parser_bounds_are_too_many_not_a_crash() {
    let app = app_with(Limits {
        max_filter_len: 1 << 20,
        max_filter_depth: 64,
        ..Limits::default()
    })
    .await;
    let cases = [
        format!("{}userName pr{}", "(".repeat(100), ")".repeat(100)),
        format!("{}userName pr{}", "not (".repeat(100), ")".repeat(100)),
        vec!["userName pr"; 2000].join(" or "),
        format!("emails[{}type pr{}]", "(".repeat(100), ")".repeat(100)),
    ];
    for filter in cases {
        let resp = app
            .get("/Users")
            .query(&[("filter", &filter)])
            .send()
            .await
            .unwrap();
        scim_error(resp, 400, Some("tooMany")).await;
    }
    let page = app.expect(app.get("/Users?count=1"), 200).await;
    assert_page(&page, 0, 1, 0);
}

#[tokio::test]
async fn a_slow_request_is_answered_504_with_a_scim_body() {
    let app = app_with(Limits {
        request_timeout: Duration::from_millis(700),
        ..Limits::default()
    })
    .await;
    app.sim.sim.inject_fault(
        routes::USERS,
        Some("POST"),
        Fault::Delay(Duration::from_secs(3)),
        1,
    );
    let user = json!({"userName":"slow@example.com","name":{"givenName":"S","familyName":"L"}});
    let started = std::time::Instant::now();
    let resp = app.post("/Users", &user).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    let err = scim_error(resp, 504, None).await;
    assert!(err["detail"].as_str().unwrap().contains("retrying is safe"));
    // The bridge keeps serving, and recorded nothing for the create it gave up on.
    let page = app.expect(app.get("/Users?count=1"), 200).await;
    assert_page(&page, 0, 1, 0);
}

/// A write that never reaches Falcon: a PATCH of a user that does not exist (404).
fn runaway_write(app: &TestApp, token: &str) -> reqwest::RequestBuilder {
    let body = patch_op(vec![
        json!({"op":"replace","path":"displayName","value":"again"}),
    ]);
    app.http
        .patch(app.url("/Users/7d6f3c1e-0000-4000-8000-000000000000"))
        .bearer_auth(token)
        .header("content-type", "application/scim+json")
        .body(body.to_string())
}

#[tokio::test]
async fn each_credential_has_its_own_rate_limit_with_retry_after() {
    let app = app_with(Limits {
        rate_limit: RateLimit {
            per_minute: 60,
            burst: 3,
            reads_per_minute: 600,
        },
        ..Limits::default()
    })
    .await;
    for _ in 0..3 {
        app.expect(runaway_write(&app, &app.token), 404).await;
    }
    let resp = runaway_write(&app, &app.token).send().await.unwrap();
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let err = scim_error(resp, 429, None).await;
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("too many writes with credential 'okta'"),
        "{err}"
    );
    // Its reads draw on their own budget.
    let page = app.expect(app.get("/Users?count=1"), 200).await;
    assert_page(&page, 0, 1, 0);
    // The other credential is not affected.
    let other = runaway_write(&app, OTHER_TOKEN).send().await.unwrap();
    assert_eq!(other.status(), 404);
    // After Retry-After, the first credential may go on.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    app.expect(runaway_write(&app, &app.token), 404).await;
}

/// With the default budgets: a storm of look-ups is served in full, while a credential writing
/// in a loop is held to Falcon's rate with 429 and `Retry-After`, and only that credential's
/// writes are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_defaults_serve_a_lookup_storm_and_stop_a_runaway_writer() {
    use futures::StreamExt;

    let app = app_with(Limits::default()).await;
    // 2,000 look-ups as Okta and Entra send them, 32 at a time.
    let started = std::time::Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(0..2000)
        .map(|i| {
            let req = app.get(&format!(
                "/Users?filter=userName%20eq%20%22nobody{i}%40example.com%22&startIndex=1&count=100"
            ));
            async move { req.send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let took = started.elapsed();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        2000,
        "every look-up answered 200 (in {took:?}): {:?}",
        statuses
            .iter()
            .filter(|s| **s != 200)
            .take(3)
            .collect::<Vec<_>>()
    );

    // A runaway write loop, 64 at a time, until the first refusal.
    let mut admitted = 0u32;
    let mut refusal = None;
    while refusal.is_none() {
        assert!(admitted < 30_000, "never refused after {admitted} writes");
        let wave =
            futures::future::join_all((0..64).map(|_| runaway_write(&app, &app.token).send()))
                .await;
        for resp in wave {
            let resp = resp.unwrap();
            match resp.status().as_u16() {
                404 => admitted += 1,
                429 if refusal.is_none() => refusal = Some(resp),
                429 => {}
                other => panic!("unexpected {other}"),
            }
        }
    }
    // A minute of Falcon's rate at once (6,000), then its pace.
    assert!(admitted >= 6000, "refused after only {admitted} writes");
    let resp = refusal.unwrap();
    assert_eq!(resp.headers()["retry-after"], "1");
    let err = scim_error(resp, 429, None).await;
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("too many writes with credential 'okta'; retry after 1 s"),
        "{err}"
    );
    // Its look-ups are still served, and the other credential still writes.
    let page = app.expect(app.get("/Users?count=1"), 200).await;
    assert_page(&page, 0, 1, 0);
    let other = runaway_write(&app, OTHER_TOKEN).send().await.unwrap();
    assert_eq!(other.status(), 404);
}
